"""The README's quality table: its rows, how each is measured, and how the table is rewritten.

``python benchmarks/quality.py --readme`` measures every row at the current commit and rewrites
the rows between ``<!-- quality:begin -->`` and ``<!-- quality:end -->`` in README.md with the
median over the row's seeds, the worst seed and the date; ``--rows gan-ring,gan-grid`` redoes a
subset (quality.py's docstring). A row's key is the text in its ``--rows`` cell.
"""

from __future__ import annotations

import datetime
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BEGIN, END = "<!-- quality:begin -->", "<!-- quality:end -->"
HEADER = (
    "| model | data | held-out quality: median over the seeds (worst seed) | wall s | `--rows` | measured |\n"
    "|---|---|---|---|---|---|"
)


@dataclass(frozen=True)
class Stat:
    """One figure of a row: ``key`` in the measurement, shown as ``label``; ``higher``: which way is better."""

    key: str
    label: str
    digits: int = 3
    higher: bool = True


@dataclass(frozen=True)
class Row:
    """One row of the table. ``measure(seed, epochs)`` trains and returns the figures (a dict);
    ``counts``: (text, test) pairs shown as "text in k/n seeds"; ``target``: what a seed must
    reach (the slow test and the verdicts read it)."""

    key: str
    model: str
    data: str
    measure: Callable[[int, int | None], dict]
    stats: tuple[Stat, ...]
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    counts: tuple[tuple[str, Callable[[dict], bool]], ...] = ()
    note: str = ""
    target: Callable[[dict], bool] | None = field(default=None, compare=False)


def summarize(row: Row, results: dict[int, dict]) -> str:
    """The quality cell: each stat's median over the seeds and its worst seed, then the counts."""
    parts = []
    for st in row.stats:
        values = {seed: float(m[st.key]) for seed, m in results.items()}
        worst = (min if st.higher else max)(values, key=lambda sd: (values[sd], sd))
        med = statistics.median(values.values())
        if len(values) == 1:
            parts.append(f"{st.label} {med:.{st.digits}f} (seed {worst})")
        else:
            parts.append(f"{st.label} {med:.{st.digits}f} (worst {values[worst]:.{st.digits}f}, seed {worst})")
    for text, test in row.counts:
        parts.append(f"{text} in {sum(bool(test(m)) for m in results.values())}/{len(results)} seeds")
    return "; ".join(parts) + (f" {row.note}" if row.note else "")


def format_row(row: Row, results: dict[int, dict], measured: str, epochs: int | None = None) -> str:
    """The row's markdown line: ``results`` maps each seed to its figures (with ``wall``, seconds)."""
    walls = [m["wall"] for m in results.values()]
    wall = f"{min(walls):.0f}" if round(min(walls)) == round(max(walls)) else f"{min(walls):.0f}-{max(walls):.0f}"
    quality = summarize(row, results)
    if epochs is not None:  # a reduced budget is never shown as the defaults' figure
        quality += f" (epochs={epochs}, not the defaults)"
    return f"| {row.model} | {row.data} | {quality} | {wall} | `{row.key}` | {measured} |"


def row_key(line: str) -> str | None:
    """The key in a table line's ``--rows`` cell (the fifth), or None for a line that is not a row."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 5 or not cells[4].startswith("`") or cells[4].startswith("`--"):
        return None  # not a row, or the header
    return cells[4].strip("`")


def rewrite(text: str, lines: dict[str, str]) -> str:
    """``text`` (README.md) with the table rows whose keys are in ``lines`` replaced by those lines,
    the header made current; other rows and everything outside the markers stay as they were."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise ValueError(f"README must hold one {BEGIN} ... {END} block around the quality table")
    head, rest = text.split(BEGIN)
    block, tail = rest.split(END)
    out, seen = [], set()
    for line in block.split("\n"):
        key = row_key(line)
        if line.startswith("| model |"):
            out.append(HEADER.split("\n")[0])
        elif line.startswith("|---"):
            out.append(HEADER.split("\n")[1])
        elif key in lines:
            out.append(lines[key])
            seen.add(key)
        else:
            out.append(line)
    missing = sorted(set(lines) - seen)
    if missing:
        raise ValueError(f"rows {missing} are not in README's quality table (it has {table_keys(text)})")
    return head + BEGIN + "\n".join(out) + END + tail


def table_keys(text: str) -> list[str]:
    """The keys of the rows in the README's quality table, in order."""
    block = text.split(BEGIN, 1)[1].split(END, 1)[0] if BEGIN in text else ""
    return [k for k in map(row_key, block.split("\n")) if k]


def measured_stamp(root: str) -> str:
    """Today's date (UTC) and the commit the figures were measured at (``+dirty``: uncommitted changes)."""
    day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    try:
        rev = subprocess.run(
            ["git", "describe", "--always", "--dirty=+dirty"], cwd=root, capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except OSError:
        rev = ""
    return f"{day}, {rev}" if rev else day


def parse_rows(value: str, known: list[str]) -> list[str]:
    """``--rows a,b`` as a list of keys; an unknown key raises, naming the allowed ones."""
    keys = [k.strip() for k in value.split(",") if k.strip()]
    bad = [k for k in keys if k not in known]
    if bad or not keys:
        raise ValueError(f"--rows must be a comma-separated list of {', '.join(known)}; got {value!r}")
    return keys


def say(text: str) -> None:
    print(text, flush=True)


def measure_row(row: Row, seeds, epochs: int | None, log=say) -> dict[int, dict]:
    """Each seed's figures for ``row`` (with ``wall``), logging one line per seed."""
    out = {}
    for seed in seeds:
        t0 = time.perf_counter()
        m = dict(row.measure(seed, epochs))
        m["wall"] = time.perf_counter() - t0
        shown = ", ".join(f"{s.label} {float(m[s.key]):.{s.digits}f}" for s in row.stats)
        log(f"{row.key} seed {seed}: {shown}; {m['wall']:.1f} s")
        out[seed] = m
    return out
