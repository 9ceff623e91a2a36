"""The run history across kernels: every checkpointed run, in one SQLite file.

Each checkpoint a run writes (:mod:`nbgen.checkpoint`) also records the run in
``<nbgen.config.runs_dir>/runs.sqlite``: its id (kept by ``nbgen.resume``), model, data,
settings, history, the last and best value of each metric, step, epoch, status and its latest
checkpoint. :func:`runs` lists them: the runs of this kernel, of earlier ones and of other
processes, killed ones included (they are there as of their latest checkpoint).

SQLite, because Python ships it and it is safe with several writers: two kernels training at
once each write their own row (an upsert by run id, in a transaction); the database is in WAL
mode, so readers never block writers, and a writer waits (``busy_timeout``) for another's
transaction to end rather than failing. A run's row is replaced whole at each checkpoint, so
no two runs' records mix.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import time
from typing import Any

from ._settings import config

FILE = "runs.sqlite"
BUSY_MS = 30_000  # how long a writer waits for another's transaction
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run TEXT PRIMARY KEY,
    started REAL NOT NULL,
    updated REAL NOT NULL,
    model TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    config TEXT NOT NULL,
    history TEXT NOT NULL,
    final TEXT NOT NULL,
    best TEXT NOT NULL,
    checkpoint TEXT,
    folder TEXT,
    host TEXT,
    pid INTEGER,
    nbgen TEXT
)
"""
COLUMNS = (
    "run",
    "started",
    "updated",
    "model",
    "data",
    "status",
    "step",
    "epoch",
    "config",
    "history",
    "final",
    "best",
    "checkpoint",
    "folder",
    "host",
    "pid",
    "nbgen",
)
JSON_COLUMNS = ("config", "history", "final", "best")


def database(runs_dir: str | None = None) -> str:
    """The path of the run history's SQLite file."""
    return os.path.join(runs_dir or config.runs_dir, FILE)


def _connect(path: str) -> sqlite3.Connection:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None)
    con.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    con.execute("PRAGMA journal_mode = WAL")  # readers do not block the writer, nor it them
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute(SCHEMA)
    return con


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def summary(history: dict[str, list[float]]) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Each metric's last value and its best (the lowest; the highest for ``*accuracy``)."""
    final, best = {}, {}
    for name, values in history.items():
        values = [v for v in values if v is not None and math.isfinite(v)]
        if not values or name == "learning_rate":
            continue
        final[name] = _finite(values[-1])
        best[name] = max(values) if name.endswith("accuracy") else min(values)
    return final, best


def record(meta: dict[str, Any], checkpoint_path: str | None, status: str, runs_dir: str | None = None) -> None:
    """Record (or update) the run that a checkpoint's ``nbgen.json`` ``meta`` describes."""
    ck = meta["checkpoint"]
    cfg = dict(meta["config"])
    data = meta.get("data", {})
    final, best = summary(meta["history"])
    row = {
        "run": ck["run"],
        "started": ck.get("started", ck["time"]),
        "updated": time.time(),
        "model": str(cfg.pop("model", "?")),
        "data": str(data.get("name") or data.get("dataset_name") or data.get("path") or "arrays"),
        "status": status,
        "step": int(meta["step"]),
        "epoch": int(meta["epoch"]),
        "config": json.dumps(cfg, default=str),
        "history": json.dumps(meta["history"]),
        "final": json.dumps(final),
        "best": json.dumps(best),
        "checkpoint": checkpoint_path,
        "folder": ck.get("folder"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "nbgen": meta.get("nbgen"),
    }
    con = _connect(database(runs_dir))
    try:
        con.execute("BEGIN IMMEDIATE")  # take the write lock now (waiting for another writer), not midway
        con.execute(
            f"INSERT OR REPLACE INTO runs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            [row[c] for c in COLUMNS],
        )
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def runs(model: str | None = None, data: str | None = None, *, runs_dir: str | None = None):
    """The checkpointed runs of every kernel, oldest first: a pandas DataFrame when pandas is
    installed, else a list of dicts.

    Each run: ``run`` (its id), ``started`` and ``updated`` (Unix times), ``model``, ``data``,
    ``status`` (``"running"``: its process was training at its latest checkpoint, or was
    killed; ``"finished"``, ``"stopped"``), ``step``, ``epoch``, ``config`` (the settings),
    ``history``, ``final`` and ``best`` (each metric's last and best value), ``checkpoint``
    (the latest checkpoint: ``nbgen.resume(row["checkpoint"])``), ``folder``, ``host``,
    ``pid`` and ``nbgen`` (the version that wrote it).

    Args:
        model, data: keep the runs of this model (``"vae"``, ``"ae"``...) or data set (``"digits"``).
        runs_dir: another runs folder than ``nbgen.config.runs_dir``.
    """
    path = database(runs_dir)
    rows: list[dict[str, Any]] = []
    if os.path.exists(path):
        con = _connect(path)
        try:
            where, args = [], []
            if model is not None:  # "ae" is "autoencoder"
                from . import models as _models

                try:
                    model = _models.resolve(model).name
                except (ValueError, TypeError):
                    pass
            for column, value in (("model", model), ("data", data)):
                if value is not None:
                    where.append(f"{column} = ?")
                    args.append(value)
            sql = f"SELECT {', '.join(COLUMNS)} FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
            for values in con.execute(sql + " ORDER BY started, run", args):
                row = dict(zip(COLUMNS, values))
                for c in JSON_COLUMNS:
                    row[c] = json.loads(row[c])
                rows.append(row)
        finally:
            con.close()
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=list(COLUMNS))


__all__ = ["database", "record", "runs"]
