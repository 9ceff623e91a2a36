"""The live widget in a real browser: JupyterLab, Notebook 7 and Voila driven by Chromium (Playwright).

JupyterLab test: open a copy of ``notebooks/01_quickstart.ipynb``, Run All (the
notebook shows the widget, trains 300 epochs blocking, prints facts) and check
the plots hold data; then act as a user: set epochs, press Train, wait for new
loss points in the browser, move the learning-rate slider (keyboard) while it
trains and check the change reached the kernel (the widget's timeline is
rendered from ``session.timeline``, and the loss curve gets a marker), press
Stop and check training ended, click the latent panel and check a decoded
image appears. Notebook 7 test: the same, in Jupyter Notebook 7. Voila test: render
the same notebook as an app, check its plots hold data, then the same user sequence
(``drive_widget``). The servers run on 127.0.0.1 with temporary Jupyter directories
and are stopped, kernels included, after each test; the browser reaches 127.0.0.1
only.

Screenshots (cropped to the widget, and whole-page) go to the pytest tmp dir; with
``NBGEN_UPDATE_DOCS=1`` the cropped ones also replace ``docs/widget.png`` and
``docs/voila.png``, the README's pictures.

Needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``;
Playwright's own browser download does not work here). Without it the tests
skip, except under ``CI=true``, where they fail.

Run:  python -m pytest tests/test_browser.py -q -s
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from _jupyter_servers import start_jupyterlab, start_notebook7, start_voila

from nbgen.ui import plotly_bundle

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_quickstart.ipynb"
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
MAX_DOCS_PNG = 300_000  # bytes
# the run started with the Train button: long enough to be still going when we press Stop,
# even on a slow, busy machine (it is stopped after a few thousand steps)
TRAIN_EPOCHS = 10_000

pytestmark = pytest.mark.slow


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is missing: pip install -e '.[test]'")
    return CHROMIUM


# -- servers --------------------------------------------------------------------------------------
def _copy_notebook(tmp_path: Path) -> Path:
    nb_dir = tmp_path / "nb"
    nb_dir.mkdir()
    target = nb_dir / NOTEBOOK.name
    shutil.copy(NOTEBOOK, target)
    return target


def _stop(server) -> None:
    survivors = server.stop()
    if server.killed_late:
        print(f"\n[browser test] the server left processes {server.killed_late}; they were ended")
    assert not survivors, f"processes left after stopping {server.url}: {survivors}"


def _app_server(start, name: str, tmp_path: Path):
    notebook = _copy_notebook(tmp_path)
    yield from _serving(start(notebook.parent, tmp_path / "jupyter-home", tmp_path / f"{name}.log"), notebook)


def _serving(server, notebook: Path):
    """Yield ``server`` once it answers, with the ``notebook`` it serves; stop it at the end."""
    try:
        server.wait_http("/api/status", timeout=120)
        server.notebook = notebook
        yield server
    finally:
        _stop(server)


def _cells_notebook(cells: list[str], name: str, tmp_path: Path) -> Path:
    """A notebook ``name`` made of ``cells`` (code), which names the python3 kernel, in its own folder."""
    import nbformat

    nb_dir = tmp_path / "nb"
    nb_dir.mkdir()
    notebook = nb_dir / name
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebook)
    return notebook


def _cells_lab_server(cells: list[str], name: str, tmp_path: Path):
    """JupyterLab serving a notebook ``name`` made of ``cells`` (code)."""
    notebook = _cells_notebook(cells, name, tmp_path)
    yield from _serving(start_jupyterlab(notebook.parent, tmp_path / "jupyter-home", tmp_path / "jupyterlab.log"), notebook)


@pytest.fixture
def lab_server(chromium, tmp_path):
    yield from _app_server(start_jupyterlab, "jupyterlab", tmp_path)


@pytest.fixture
def notebook7_server(chromium, tmp_path):
    yield from _app_server(start_notebook7, "notebook7", tmp_path)


@pytest.fixture
def voila_server(chromium, tmp_path):
    notebook = _copy_notebook(tmp_path)
    server = start_voila(notebook, tmp_path / "jupyter-home", tmp_path / "voila.log")
    try:
        server.wait_port(timeout=120)
        yield server
    finally:
        _stop(server)


# -- browser --------------------------------------------------------------------------------------
class Browser:
    """A Chromium page that reaches 127.0.0.1 only, and the console errors it logged."""

    def __init__(self, profile: Path):
        from playwright.sync_api import sync_playwright

        self.errors: list[str] = []
        self._pw = sync_playwright().start()
        try:
            self.context = self._pw.chromium.launch_persistent_context(
                str(profile),
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 1400},
                device_scale_factor=1,
            )
        except BaseException:
            self._pw.stop()
            raise
        self.context.route("**/*", self._route)
        self.context.set_default_timeout(60_000)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    @staticmethod
    def _route(route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:  # fonts and CDNs: no network here, and the test must not depend on one
            route.abort()

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self._pw.stop()


@pytest.fixture
def browser(chromium, tmp_path):
    b = Browser(tmp_path / "chromium-profile")
    try:
        yield b
    finally:
        b.close()


# -- reading the widget in the page -----------------------------------------------------------------
# the Plotly graph div of the widget's figure (the FigureWidget's element carries both classes)
PLOT = ".nbgen-plot.js-plotly-plot, .nbgen-plot .js-plotly-plot"

# what the browser holds in the widget's Plotly figure: per trace its kind, name,
# number of x values, largest x and whether an image source is set
FIGURE_JS = """
(sel) => {
  const el = document.querySelector(sel);
  if (!el || !Array.isArray(el.data)) return null;
  const len = (v) => (v == null ? 0 : (typeof v.length === 'number' ? v.length : 0));
  const max = (v) => { let m = null; if (v) for (const a of v) if (typeof a === 'number' && (m === null || a > m)) m = a; return m; };
  const box = el.getBoundingClientRect();
  return {
    width: box.width, height: box.height,
    shapes: ((el.layout && el.layout.shapes) || []).map((s) => s.name || ''),
    traces: el.data.map((t) => ({
      name: t.name || '', type: t.type || 'scatter', mode: t.mode || '',
      n: len(t.x), maxx: (t.mode === 'lines') ? max(t.x) : null,
      source: (typeof t.source === 'string') ? t.source.length : 0,
      z: len(t.z),
    })),
  };
}
"""

# the figure holds data: loss curves, the latent scatter, reconstruction and sample images
# (the 'decoded' image stays empty until a click in the latent panel)
POPULATED_JS = (
    "(sel) => { const f = (" + FIGURE_JS + ")(sel); if (!f) return false;"
    " const lines = f.traces.filter((t) => t.mode === 'lines');"
    " const latent = f.traces.filter((t) => t.name === 'latent');"
    " const images = f.traces.filter((t) => ['reconstructions', 'samples'].includes(t.name));"
    " return f.width > 100 && f.height > 100 && lines.length > 0 && lines.every((t) => t.n > 1)"
    " && latent.length === 1 && latent[0].n > 100"
    " && images.length === 2 && images.every((t) => t.type === 'image' && t.source > 100); }"
)

# the largest x on the loss curves: about the last step drawn (the curves are downsampled, so not exactly)
LAST_STEP_JS = (
    "(sel) => { const f = (" + FIGURE_JS + ")(sel); if (!f) return -1;"
    " const xs = f.traces.filter((t) => t.mode === 'lines' && t.maxx !== null).map((t) => t.maxx);"
    " return xs.length ? Math.max(...xs) : -1; }"
)


def figure(page) -> dict | None:
    return page.evaluate(FIGURE_JS, PLOT)


def describe(page) -> str:
    """What the page shows, for failure messages."""
    try:
        fig = figure(page)
        status = page.locator(".nbgen-status").first.inner_text(timeout=2000)
        progress = page.locator(".nbgen-progress").first.inner_text(timeout=2000)
        timeline = page.locator(".nbgen-timeline").first.inner_text(timeout=2000)
    except Exception as exc:  # noqa: BLE001 - best effort
        return f"(could not read the widget: {exc})"
    return f"status={status!r} progress={progress!r} timeline={timeline!r} figure={fig!r}"


def last_step(page) -> float:
    return page.evaluate(LAST_STEP_JS, PLOT)


def screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def widget_screenshot(page, tmp_path: Path, name: str) -> Path:
    """The widget alone, to docs/NAME.png (checked small) and the tmp dir."""
    widget = page.locator(".nbgen").first
    widget.scroll_into_view_if_needed()
    page.mouse.move(1, 1)  # no hover label or Plotly mode bar in the picture
    page.wait_for_timeout(800)  # let Plotly finish a redraw
    # the README's pictures are refreshed only on request, so test runs leave the tree clean
    path = DOCS / f"{name}.png" if os.environ.get("NBGEN_UPDATE_DOCS") == "1" else tmp_path / f"docs-{name}.png"
    path.parent.mkdir(exist_ok=True)
    widget.screenshot(path=str(path), animations="disabled")
    if path.parent == DOCS:
        shutil.copy(path, tmp_path / f"docs-{name}.png")
    size = path.stat().st_size
    assert size < MAX_DOCS_PNG, f"{path} is {size} bytes; keep docs screenshots under {MAX_DOCS_PNG}"
    return path


def click_latent_panel(page, where: tuple[float, float] = (0.6, 0.35)) -> int:
    """Click inside the latent panel (at fractions ``where`` of its plot area), as a user does:
    hover until Plotly shows a point under the pointer, then click. Returns how many
    ``plotly_click`` events the page has fired so far (counted by a listener added here), so
    that a lost click can be told apart: lost in the browser, or in the kernel."""
    page.locator(PLOT).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the scroll settle before measuring the panel
    box = page.evaluate(
        "(sel) => { const el = document.querySelector(sel);"
        " if (!el.__nbgenClicks) { el.__nbgenClicks = 0; el.on('plotly_click', () => { el.__nbgenClicks += 1; }); }"
        " const t = el.data.find((t) => t.name === 'latent');"
        " const sp = (t.xaxis || 'x') + (t.yaxis || 'y');"
        " const r = el.querySelector(`.nsewdrag[data-subplot='${sp}']`);"
        " if (!r) return null; const b = r.getBoundingClientRect();"
        " return {x: b.x, y: b.y, width: b.width, height: b.height}; }",
        PLOT,
    )
    assert box and box["width"] > 50 and box["height"] > 50, f"latent panel not found: {box}"
    x = box["x"] + where[0] * box["width"]
    y = box["y"] + where[1] * box["height"]
    hovered = "(sel) => { const el = document.querySelector(sel); return (el._hoverdata || []).length > 0; }"
    for wiggle in range(5):  # a redraw between hover and click clears Plotly's hover: hover again
        page.mouse.move(x - 5 - wiggle, y - 5)
        page.mouse.move(x, y, steps=3)  # Plotly fires click events for the point under hover
        if page.evaluate(hovered, PLOT):
            break
        page.wait_for_timeout(200)
    page.mouse.click(x, y)
    return page.evaluate("(sel) => document.querySelector(sel).__nbgenClicks", PLOT)


def wait_populated(page, timeout_ms: int, what: str) -> None:
    try:
        page.wait_for_function(POPULATED_JS, arg=PLOT, timeout=timeout_ms, polling=500)
    except Exception as exc:
        raise AssertionError(f"{what}: the plots never held data: {describe(page)}") from exc


def prepare_cell(page, code: str):
    """A new cell at the end of the open notebook holding ``code`` (not run); returns it."""
    # the last cell's prompt, not its middle: that may be a widget that keeps the keyboard
    page.locator(".jp-Notebook .jp-Cell .jp-InputArea-prompt").last.click()
    page.keyboard.press("Escape")  # command mode
    page.keyboard.press("b")  # a new cell below, selected
    cells = page.locator(".jp-Notebook .jp-Cell")
    cell = cells.nth(cells.count() - 1)  # by position: running it adds another cell below
    cell.locator(".cm-content").click()
    page.keyboard.insert_text(code)
    return cell


def drive_widget(page, log, tag: str, with_cells: bool = False) -> None:
    """Act as a user on a widget that has finished a run: set epochs, press Train, move the
    learning-rate slider while it trains (the change must reach session.timeline and mark
    the loss curve), press Stop (timed: the kernel must answer at once) and click the latent
    panel (a decoded image must come back). ``with_cells``: the page is a notebook; a cell run
    right after Stop must start in the kernel at once (the Stop handler must not hold it)."""
    status = page.locator(".nbgen-status").first
    # a long run for the Train button, so that it is still going when we press Stop
    epochs = page.locator(".nbgen-setup .widget-inline-hbox", has=page.get_by_text("epochs", exact=True))
    epochs_input = epochs.locator("input")
    epochs_input.fill(str(TRAIN_EPOCHS))
    epochs_input.press("Enter")

    before = last_step(page)
    assert before > 0, describe(page)
    page.locator(".nbgen-train button, button.nbgen-train").first.click()
    try:
        page.wait_for_function(f"(sel) => ({LAST_STEP_JS})(sel) > {before}", arg=PLOT, timeout=60_000)
    except Exception as exc:
        raise AssertionError(f"Train: no new loss points after step {before}: {describe(page)}") from exc
    assert "Training" in status.inner_text(), describe(page)
    log(f"training from the Train button: loss curve past step {before}, now {last_step(page)}")

    # move the learning-rate slider while it trains
    handle = page.locator(".nbgen-lr .noUi-handle").first
    readout = page.locator(".nbgen-lr .widget-readout").first
    old_lr = float(readout.inner_text())
    handle.focus()
    # one key press, one change: a slider step down (1e-3 -> 8.9e-4); arrow keys, which Notebook 7's
    # shortcuts took before nbgen marked its sliders (plotly_bundle.keysToSliders)
    handle.press("ArrowLeft")
    page.wait_for_function(
        f"(el) => parseFloat(el.textContent) < {old_lr * 0.9}",
        arg=readout.element_handle(),
        timeout=10_000,
    )
    log(f"learning-rate slider moved: {old_lr:g} -> {readout.inner_text()}")

    # the change reached the kernel: the timeline is rendered from session.timeline
    timeline = page.locator(".nbgen-timeline").first
    try:
        timeline.filter(has_text="learning_rate").wait_for(timeout=30_000)
    except Exception as exc:
        raise AssertionError(f"the learning-rate change never reached the kernel: {describe(page)}") from exc
    pattern = re.compile(r"step (\d+): learning_rate (\S+) -> (\S+)")

    def latest_lr() -> tuple[int, float]:  # the timeline lists the newest change first
        found = pattern.findall(timeline.inner_text())
        return (int(found[0][0]), float(found[0][2])) if found else (-1, float("nan"))

    # wait until the kernel's latest learning rate and the slider agree, and still agree a
    # second later (after quick successive changes the slider may briefly show an older value)
    def reading() -> tuple[float, int, float]:
        return (float(readout.inner_text()), *latest_lr())

    deadline = time.monotonic() + 30
    agree, last = False, None
    while time.monotonic() < deadline:
        now = reading()
        new_lr, step_changed, lr_in_kernel = now
        if abs(lr_in_kernel - new_lr) <= 0.06 * new_lr:  # the readout shows 2 digits
            if now == last:
                agree = True
                break
            last = now
            page.wait_for_timeout(1000)
        else:
            last = None
            page.wait_for_timeout(300)
    assert agree, f"slider shows {new_lr:g}, kernel timeline says {lr_in_kernel:g}: {describe(page)}"
    assert new_lr < 0.9 * old_lr, new_lr
    assert step_changed > before, f"change recorded at step {step_changed}, before this run's start {before}"
    log(f"timeline: step {step_changed}: learning_rate -> {lr_in_kernel:g}")
    # the change is marked on the loss curve (a dotted line with a note such as "lr 1e-3 -> 8.9e-4")
    try:
        page.wait_for_function(
            "(sel) => { const el = document.querySelector(sel); if (!el || !el.layout) return false;"
            " const mine = (o) => (o.name || '').startsWith('change');"
            " return (el.layout.shapes || []).some(mine)"
            " && (el.layout.annotations || []).some((a) => mine(a) && /^lr /.test(a.text || '')); }",
            arg=PLOT,
            timeout=30_000,
        )
    except Exception as exc:
        raise AssertionError(f"no learning-rate marker on the loss curve: {describe(page)}") from exc
    assert "Training" in status.inner_text(), f"training ended before Stop: {describe(page)}"
    log("learning-rate change marked on the loss curve; pressing Stop")

    # in a notebook, a cell waits below (the keyboard's focus in it), to be run right after Stop
    cell = prepare_cell(page, "import time; print('kernel free at', repr(time.time()))") if with_cells else None

    # Stop, timed: the click goes to the kernel, whose answer (the status line) must come back
    # at once; the handler no longer waits for the training thread. The page notes when the
    # status line says so (same machine clock as this process).
    page.evaluate(
        "() => { window.__nbgenStopped = null; const el = document.querySelector('.nbgen-status');"
        " const seen = () => { if (!window.__nbgenStopped && /Stopped at step/.test(el.textContent))"
        " window.__nbgenStopped = Date.now(); };"
        " new MutationObserver(seen).observe(el, {subtree: true, childList: true, characterData: true}); }"
    )
    stop = page.locator(".nbgen-stop button, button.nbgen-stop").first
    clicked_at = time.time()
    if cell is not None:  # a click that leaves the keyboard in the cell, then Shift+Enter at once
        stop.evaluate("(b) => b.click()")
        page.keyboard.press("Shift+Enter")
    else:
        stop.click()
    try:
        status.filter(has_text="Stopped at step").wait_for(timeout=30_000)
    except Exception as exc:
        raise AssertionError(f"Stop: the status line never said stopped: {describe(page)}") from exc
    stop_seconds = page.evaluate("() => window.__nbgenStopped") / 1000 - clicked_at
    log(f"{tag}: Stop answered in {1000 * stop_seconds:.0f} ms (click to 'Stopped' in the page)")
    assert stop_seconds < 5.0, f"Stop took {stop_seconds:.1f} s to come back"
    if cell is not None:
        out = cell.locator(".jp-OutputArea-output", has_text="kernel free at")
        out.wait_for(timeout=30_000)
        started = float(re.search(r"kernel free at (\S+)", out.inner_text()).group(1))
        # from the Stop click to the next cell running in the kernel (same clock on both sides)
        lag = started - clicked_at
        log(f"{tag}: a cell run right after Stop started in the kernel {1000 * lag:.0f} ms after the click")
        assert lag < 2.0, f"the kernel took the next cell {lag:.2f} s after Stop: the handler blocked it"
    stopped_text = status.inner_text()
    progress = page.locator(".nbgen-progress").first
    page.wait_for_timeout(1500)  # the view's last (final) draw comes just after the status line
    p1, s1 = progress.inner_text(), last_step(page)
    page.wait_for_timeout(2000)
    p2, s2 = progress.inner_text(), last_step(page)
    assert (p1, s1) == (p2, s2), f"still training after Stop: {p1!r} -> {p2!r}, loss curve {s1} -> {s2}"
    m = re.search(r"Stopped at step (\d+)", stopped_text)
    assert m and int(m.group(1)) > step_changed, stopped_text
    assert page.locator(".nbgen-train button, button.nbgen-train").first.is_enabled()
    log(f"stopped: {stopped_text!r}; progress {p2!r}")

    wait_populated(page, 30_000, "after Stop")

    # the latent explorer: a click in the latent panel decodes that point in the kernel
    clicks = click_latent_panel(page)
    try:
        page.wait_for_function(
            f"(sel) => {{ const f = ({FIGURE_JS})(sel); if (!f) return false;"
            " const by = (n) => f.traces.find((t) => t.name === n);"
            " return by('decoded').source > 100 && by('latent-click').n === 1; }",
            arg=PLOT,
            timeout=30_000,
        )
    except Exception as exc:
        raise AssertionError(
            f"a click in the latent panel decoded nothing ({clicks} plotly_click events fired in the page;"
            f" 0 means the browser lost it, 1 the kernel): {describe(page)}"
        ) from exc
    log("latent click decoded an image")


def report_failure(tag: str, page, browser, server, tmp_path: Path) -> None:
    """After a failed browser test: a screenshot, the widget's state, console errors, server log."""
    try:
        screenshot(page, tmp_path, f"{tag}-failure")
        print(f"\n[{tag}] failure screenshot: {tmp_path / f'{tag}-failure.png'}\n[{tag}] {describe(page)}")
    except Exception as exc:  # noqa: BLE001 - report the original failure, not this one
        print(f"[{tag}] no failure screenshot: {exc}")
    print(f"[{tag}] browser console errors: {browser.errors[-20:]}")
    print(f"[{tag}] server log tail:\n{server.log_tail(3000)}")


# -- JupyterLab ------------------------------------------------------------------------------------
def wait_kernel_idle(page, timeout: float, settle: float = 2.0) -> None:
    """Wait until the notebook's kernel has been idle for ``settle`` seconds in a row.

    The execution indicator reads "idle" for a moment before the kernel
    connection is set up (then "unknown", then "idle" again): Run All in that
    gap asks for a kernel.
    """
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        state = page.evaluate(
            "() => { const e = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            " return e ? e.getAttribute('data-status') : null; }"
        )
        if state == "idle":
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= settle:
                return
        else:
            idle_since = None
        page.wait_for_timeout(250)
    raise AssertionError(f"the notebook's kernel was not idle within {timeout:.0f} s")


def wait_for_widget(page, timeout: float) -> None:
    """Wait for the widget's Train button; should JupyterLab still ask which kernel to use,
    take its default (the notebook's python3) and go on waiting."""
    deadline = time.monotonic() + timeout
    train = page.locator(".nbgen-train").first
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    while time.monotonic() < deadline:
        if dialog.count() and dialog.first.is_visible():
            dialog.first.locator("button.jp-mod-accept").click()
        if train.count() and train.is_visible():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the widget did not appear within {timeout:.0f} s of Run All")


def test_widget_in_jupyterlab(lab_server, browser, tmp_path):
    page = browser.page
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[lab {time.monotonic() - t0:5.1f} s] {msg}", flush=True)

    try:
        page.goto(f"{lab_server.url}/lab/tree/{lab_server.notebook.name}?reset", timeout=120_000)
        wait_kernel_idle(page, timeout=120)
        log("notebook open, kernel idle")

        # Run All from the Run menu
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator("li[data-command='runmenu:run-all']").click()
        wait_for_widget(page, timeout=120)
        log("widget displayed")
        # the last cell prints facts once the blocking train cell is done
        # the whole output area of that cell: its two prints may render as two outputs
        facts = page.locator(".jp-Cell-outputArea", has_text="samples cover all 10 digits").first
        facts.wait_for(timeout=240_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        text = facts.inner_text()
        log(f"run all done: {text!r}")
        assert "finished 300" in text and "True" in text, text
        errors = page.locator(".jp-OutputArea-output", has_text="Traceback")
        assert errors.count() == 0, errors.first.inner_text()
        wait_populated(page, 60_000, "after Run All")
        # Plotly's JavaScript reached the page through the kernel's one shared bundle
        # (nbgen/ui/plotly_bundle.py), not inside the figure's own model
        shared = page.evaluate("() => globalThis.__nbgenPlotlyBundles ? globalThis.__nbgenPlotlyBundles.size : 0")
        assert shared == (1 if plotly_bundle.wanted() else 0), f"{shared} shared Plotly bundles loaded in the page"
        # Plotly's widget registers its click, hover and relayout handlers once its first draw has
        # finished; a draw that never finished (an image update during it) left clicks dead
        handlers = page.evaluate(
            "(sel) => Object.keys((document.querySelector(sel)._ev || {})._events || {})", PLOT
        )
        assert {"plotly_click", "plotly_hover", "plotly_relayout"} <= set(handlers), handlers
        screenshot(page, tmp_path, "lab-after-run-all")
        status = page.locator(".nbgen-status").first
        assert "Finished" in status.inner_text(), describe(page)

        drive_widget(page, log, "lab", with_cells=True)
        screenshot(page, tmp_path, "lab-final")
        path = widget_screenshot(page, tmp_path, "widget")
        log(f"screenshot {path} ({path.stat().st_size} bytes)")
    except BaseException:
        report_failure("lab", page, browser, lab_server, tmp_path)
        raise


# -- Voila -----------------------------------------------------------------------------------------
def test_notebook_in_voila(voila_server, browser, tmp_path):
    page = browser.page
    t0 = time.monotonic()
    try:
        # Voila runs every cell (the blocking train included) while it renders the page
        page.goto(voila_server.url + "/", timeout=240_000, wait_until="commit")
        page.locator(".nbgen-plot").first.wait_for(state="visible", timeout=240_000)
        wait_populated(page, 120_000, "Voila")
        status = page.locator(".nbgen-status").first.inner_text()
        assert "Finished 300 epochs" in status, describe(page)
        facts = page.get_by_text("samples cover all 10 digits: True")
        facts.first.wait_for(timeout=60_000)
        screenshot(page, tmp_path, "voila-page")

        def log(msg: str) -> None:
            print(f"[voila {time.monotonic() - t0:5.1f} s] {msg}", flush=True)

        drive_widget(page, log, "voila")
        screenshot(page, tmp_path, "voila-final")
        path = widget_screenshot(page, tmp_path, "voila")
        print(f"[voila {time.monotonic() - t0:5.1f} s] populated plot; screenshot {path} ({path.stat().st_size} bytes)")
    except BaseException:
        report_failure("voila", page, browser, voila_server, tmp_path)
        raise


# -- Notebook 7 -------------------------------------------------------------------------------------
def run_all_in_lab(page, server, widget_timeout: float) -> None:
    """Open the server's notebook in JupyterLab (a fresh workspace), run every cell from the Run
    menu, as a user does, and wait for the widget to show."""
    page.goto(f"{server.url}/lab/tree/{server.notebook.name}?reset", timeout=120_000)
    wait_kernel_idle(page, timeout=120)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator("li[data-command='runmenu:run-all']").click()
    wait_for_widget(page, timeout=widget_timeout)


def run_all_in_notebook7(page, server, log, widget_timeout: float) -> None:
    """Open the server's notebook in Notebook 7, run every cell from the Run menu, as a user
    does, and wait for the widget to show."""
    page.goto(f"{server.url}/notebooks/{server.notebook.name}", timeout=120_000)
    page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
    page.wait_for_timeout(3000)  # the kernel connection settles
    log("notebook open")
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator("li[data-command='runmenu:run-all']").click()
    wait_for_widget(page, timeout=widget_timeout)


def test_widget_in_notebook7(notebook7_server, browser, tmp_path):
    page = browser.page
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[notebook7 {time.monotonic() - t0:5.1f} s] {msg}", flush=True)

    try:
        run_all_in_notebook7(page, notebook7_server, log, widget_timeout=120)
        log("widget displayed")
        # the whole output area of that cell: its two prints may render as two outputs
        facts = page.locator(".jp-Cell-outputArea", has_text="samples cover all 10 digits").first
        facts.wait_for(timeout=240_000)
        assert "finished 300" in facts.inner_text() and "True" in facts.inner_text(), facts.inner_text()
        wait_populated(page, 60_000, "after Run All")
        assert "Finished" in page.locator(".nbgen-status").first.inner_text(), describe(page)
        drive_widget(page, log, "notebook7")
        screenshot(page, tmp_path, "notebook7-final")
    except BaseException:
        report_failure("notebook7", page, browser, notebook7_server, tmp_path)
        raise


# -- a Keras model of the user's, in JupyterLab -------------------------------------------------------
KERAS_CELLS = [
    "import nbgen\nimport keras\nfrom keras import layers, ops",
    '''class BetaVAE(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.encoder = keras.Sequential([layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(4)])
        self.decoder = keras.Sequential([keras.Input((2,)), layers.Dense(64, activation="relu"),
                                         layers.Dense(64, activation="sigmoid"), layers.Reshape((8, 8))])
        self.kl_weight = keras.Variable(1.0, trainable=False)
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, x):
        h = self.encoder(x)
        m, lv = h[:, :2], h[:, 2:]
        return self.decoder(m + ops.exp(0.5 * lv) * keras.random.normal(ops.shape(m), seed=self.seed_generator)), m, lv

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        rec, m, lv = y_pred
        r = ops.mean(ops.sum(keras.losses.binary_crossentropy(x[..., None], rec[..., None]), axis=(1, 2)))
        kl = ops.mean(-0.5 * ops.sum(1 + lv - ops.square(m) - ops.exp(lv), axis=-1))
        return r + self.kl_weight * kl''',
    'model = BetaVAE(name="my_beta_vae")\nmodel.compile(optimizer=keras.optimizers.Adam(1e-3))\n'
    's = nbgen.show(model, "digits", epochs=100000, autostart=True)',
]


@pytest.fixture
def keras_lab_server(chromium, tmp_path):
    yield from _cells_lab_server(KERAS_CELLS, "keras_model.ipynb", tmp_path)


def test_a_keras_model_in_jupyterlab_its_variable_slider_and_stop(keras_lab_server, browser, tmp_path):
    """A user's compiled keras.Model with a live variable: the widget shows a slider made from the
    model, a move reaches the running session's timeline, Stop stops it."""
    page = browser.page
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[lab keras {time.monotonic() - t0:5.1f} s] {msg}", flush=True)

    try:
        run_all_in_lab(page, keras_lab_server, widget_timeout=120)
        log("widget displayed")
        page.wait_for_function(f"(sel) => ({LAST_STEP_JS})(sel) > 50", arg=PLOT, timeout=120_000)
        status = page.locator(".nbgen-status").first
        assert "Training" in status.inner_text(), describe(page)
        picker = page.locator(".nbgen-model select").first
        assert "my_beta_vae (your Keras model)" in picker.inner_text().replace("\xa0", " "), picker.inner_text()
        slider = page.locator(".nbgen-var-kl_weight").first
        assert slider.is_visible(), describe(page)
        readout = slider.locator(".widget-readout").first
        old = float(readout.inner_text())
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        handle.press("PageUp")  # one key press, one change
        page.wait_for_function(
            f"(el) => parseFloat(el.textContent) > {old}", arg=readout.element_handle(), timeout=10_000
        )
        log(f"kl_weight slider moved: {old:g} -> {readout.inner_text()}")
        timeline = page.locator(".nbgen-timeline").first
        try:
            timeline.filter(has_text="kl_weight").wait_for(timeout=30_000)
        except Exception as exc:
            raise AssertionError(f"the variable's change never reached the kernel: {describe(page)}") from exc
        log(f"timeline: {timeline.inner_text()!r}")
        page.locator(".nbgen-stop button, button.nbgen-stop").first.click()
        try:
            status.filter(has_text="Stopped at step").wait_for(timeout=30_000)
        except Exception as exc:
            raise AssertionError(f"Stop: the status line never said stopped: {describe(page)}") from exc
        log(f"stopped: {status.inner_text()!r}")
        path = widget_screenshot(page, tmp_path, "keras-widget")
        log(f"screenshot {path}")
    except BaseException:
        report_failure("lab keras", page, browser, keras_lab_server, tmp_path)
        raise


# -- drawing data ----------------------------------------------------------------------------------
DRAW_CELLS = ['import nbgen, numpy as np\ns = nbgen.show("gan", "draw", epochs=150, controls={"learning_rate": "locked"})']
DRAWN = [(-3.0, -2.0), (3.0, -2.0), (0.0, 3.0)]
PAD = ".nbgen-draw.js-plotly-plot, .nbgen-draw .js-plotly-plot"


@pytest.fixture
def draw_lab_server(chromium, tmp_path):
    yield from _cells_lab_server(DRAW_CELLS, "draw.ipynb", tmp_path)


def click_pad(page, x: float, y: float) -> None:
    """Click the draw pad at data coordinates (x, y), hovering first as a user's mouse does."""
    box = page.evaluate(
        "(sel) => { const r = document.querySelector(sel).querySelector(\".nsewdrag[data-subplot='xy']\");"
        " const b = r.getBoundingClientRect(); return {x: b.x, y: b.y, width: b.width, height: b.height}; }",
        PAD,
    )
    px = box["x"] + (x + 5.0) / 10.0 * box["width"]
    py = box["y"] + (5.0 - y) / 10.0 * box["height"]
    # Plotly clicks whatever point it last hovered: wait until that is the spot under the mouse (a
    # hover left over from the previous click, on a drawn point there, once put a blob on it)
    hovered = "(sel) => (document.querySelector(sel)._hoverdata || []).map((p) => [p.x, p.y])"
    for wiggle in range(10):
        page.mouse.move(px - 5 - wiggle, py - 5)
        page.mouse.move(px, py, steps=3)
        spots = page.evaluate(hovered, PAD)
        if spots and abs(spots[0][0] - x) < 0.3 and abs(spots[0][1] - y) < 0.3:
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(f"the pad never hovered a spot near {(x, y)}: {spots}")
    page.mouse.click(px, py)


def test_draw_three_clusters_with_the_mouse_and_a_gan_covers_them(draw_lab_server, browser, tmp_path):
    """GAN Lab's lesson in JupyterLab: draw three clusters on a blank pad with the mouse, use them
    as the data, train the GAN: its samples land on all three."""
    page = browser.page
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[lab draw {time.monotonic() - t0:5.1f} s] {msg}", flush=True)

    try:
        run_all_in_lab(page, draw_lab_server, widget_timeout=120)
        page.locator(PAD).first.wait_for(timeout=60_000)
        # a teacher's lock: the learning-rate slider is drawn disabled and a key press does not move it
        locked = page.locator(".nbgen-lr").first
        readout = locked.locator(".widget-readout").first
        before_lr = readout.inner_text()
        handle = locked.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        handle.press("PageUp")
        page.wait_for_timeout(500)
        assert readout.inner_text() == before_lr, (before_lr, readout.inner_text())
        assert "disabled" in (locked.get_attribute("class") or "") or locked.locator("[disabled]").count() > 0
        page.locator(".nbgen-drawpad select").first.select_option("blank")
        status = page.locator(".nbgen-drawpad .widget-html").last
        status.filter(has_text=re.compile(r"^0 points")).wait_for(timeout=30_000)
        page.locator(PAD).first.scroll_into_view_if_needed()
        for i, (x, y) in enumerate(DRAWN, 1):
            click_pad(page, x, y)
            status.filter(has_text=f"{100 * i} points").wait_for(timeout=30_000)
        log(f"drew three clusters: {status.inner_text()!r}")
        screenshot(page, tmp_path, "draw-three-clusters")
        page.locator("button.nbgen-draw-use, .nbgen-draw-use button").first.click()
        status.filter(has_text="now trains on these 300 points").wait_for(timeout=30_000)
        cell = prepare_cell(
            page,
            f"s.train()\nx = s.sample(1000)\nc = np.array({DRAWN!r})\nd = np.linalg.norm(x[:, None] - c[None], axis=2)\n"
            "print('per cluster', np.bincount(d.argmin(1)[d.min(1) < 1.2], minlength=3).tolist())",
        )
        page.keyboard.press("Shift+Enter")
        out = cell.locator(".jp-OutputArea-output", has_text="per cluster")
        out.wait_for(timeout=240_000)
        counts = [int(v) for v in re.findall(r"\d+", out.inner_text().split("per cluster")[1])]
        log(f"samples per drawn cluster: {counts}")
        assert len(counts) == 3 and min(counts) >= 150, counts
        screenshot(page, tmp_path, "draw-trained")
        # one click on Step: exactly one more optimizer step
        cell = prepare_cell(page, "print('steps before', s.step)")
        page.keyboard.press("Shift+Enter")
        before = cell.locator(".jp-OutputArea-output", has_text="steps before")
        before.wait_for(timeout=60_000)
        n = int(before.inner_text().split()[-1])
        page.locator("button.nbgen-step, .nbgen-step button").first.click()
        page.locator(".nbgen-status", has_text=f"to step {n + 1}").first.wait_for(timeout=60_000)
        cell = prepare_cell(page, "import time\nwhile s.running: time.sleep(0.1)\nprint('steps after', s.step)")
        page.keyboard.press("Shift+Enter")
        after = cell.locator(".jp-OutputArea-output", has_text="steps after")
        after.wait_for(timeout=60_000)
        assert int(after.inner_text().split()[-1]) == n + 1, (n, after.inner_text())
        log(f"Step: {n} -> {n + 1}")
    except BaseException:
        report_failure("lab draw", page, browser, draw_lab_server, tmp_path)
        raise


# -- the lesson by the widget alone, in Notebook 7 and in Voila (no cell to run: buttons and the mouse) --
LESSON_CELLS = [
    'import nbgen\ns = nbgen.show("gan", "draw", epochs=150, controls={"learning_rate": "locked"})',
    'v = nbgen.show("vae", "digits", epochs=3, autostart=True)',
]
# the widget number i's figure (0: the GAN's, 1: the VAE's)
NTH_PLOT_JS = "(i) => document.querySelectorAll('.nbgen-plot.js-plotly-plot, .nbgen-plot .js-plotly-plot')[i]"
# the GAN's generated points as the browser holds them, [[x, y], ...]
GENERATED_JS = f"""
() => {{
  const t = ({NTH_PLOT_JS})(0).data.find((t) => t.name === 'generated');
  if (!t || !t.x) return [];
  const x = Array.from(t.x), y = Array.from(t.y);
  return x.map((v, i) => [v, y[i]]);
}}
"""


@pytest.fixture
def lesson_notebook7_server(chromium, tmp_path):
    notebook = _cells_notebook(LESSON_CELLS, "lesson.ipynb", tmp_path)
    yield from _serving(start_notebook7(notebook.parent, tmp_path / "jupyter-home", tmp_path / "notebook7.log"), notebook)


@pytest.fixture
def lesson_voila_server(chromium, tmp_path):
    notebook = _cells_notebook(LESSON_CELLS, "lesson.ipynb", tmp_path)
    server = start_voila(notebook, tmp_path / "jupyter-home", tmp_path / "voila.log")
    try:
        server.wait_port(timeout=120)
        yield server
    finally:
        _stop(server)


def per_cluster(points: list) -> list[int]:
    """How many ``points`` lie within 1.2 of each drawn cluster's centre."""
    d = np.linalg.norm(np.asarray(points, dtype=float)[:, None] - np.asarray(DRAWN)[None], axis=2)
    return np.bincount(d.argmin(1)[d.min(1) < 1.2], minlength=len(DRAWN)).tolist()


def drive_lesson(page, log) -> None:
    """Notebook 11's lesson with the widget alone: a locked slider does not move; three clusters drawn
    with the mouse become the data; Train; the GAN's samples land on all three; Step makes exactly one
    step; the step slider shows an earlier step's samples; hovering the VAE's latent scatter shows an image."""
    page.locator(PAD).first.wait_for(timeout=240_000)
    locked = page.locator(".nbgen-lr").first
    readout = locked.locator(".widget-readout").first
    before_lr = readout.inner_text()
    handle = locked.locator(".noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")
    handle.press("PageUp")
    page.wait_for_timeout(500)
    assert readout.inner_text() == before_lr, (before_lr, readout.inner_text())
    log("the locked learning-rate slider did not move")
    page.locator(".nbgen-drawpad select").first.select_option("blank")
    status = page.locator(".nbgen-drawpad .widget-html").last
    status.filter(has_text=re.compile(r"^0 points")).wait_for(timeout=30_000)
    page.locator(PAD).first.scroll_into_view_if_needed()
    for i, (x, y) in enumerate(DRAWN, 1):
        click_pad(page, x, y)
        status.filter(has_text=f"{100 * i} points").wait_for(timeout=30_000)
    page.locator("button.nbgen-draw-use, .nbgen-draw-use button").first.click()
    status.filter(has_text="now trains on these 300 points").wait_for(timeout=30_000)
    log("drew three clusters and used them")
    widget_status = page.locator(".nbgen-status").first
    page.locator("button.nbgen-train, .nbgen-train button").first.click()
    widget_status.filter(has_text="Finished 150 epochs").wait_for(timeout=300_000)
    page.wait_for_timeout(1500)  # the final draw reaches the page
    counts = per_cluster(page.evaluate(GENERATED_JS))
    log(f"trained: {widget_status.inner_text()!r}; generated points per drawn cluster {counts}")
    assert min(counts) >= 150, counts  # of the 1,000 drawn (the lab test asks the same of s.sample(1000))
    n = int(re.search(r"\((\d+) steps\)", widget_status.inner_text()).group(1))
    page.locator("button.nbgen-step, .nbgen-step button").first.click()
    page.locator(".nbgen-status", has_text=f"to step {n + 1}").first.wait_for(timeout=60_000)
    log(f"Step: {n} -> {n + 1}")
    live = page.evaluate(GENERATED_JS)
    track = page.locator(".nbgen-scrubber .noUi-target").first.bounding_box()
    page.mouse.click(track["x"] + 1, track["y"] + track["height"] / 2)  # a tap at the track's start
    page.locator(".nbgen-scrubber", has_text="step 1").first.wait_for(timeout=30_000)
    page.wait_for_function(f"(live) => JSON.stringify(({GENERATED_JS})()) !== JSON.stringify(live)", arg=live, timeout=30_000)
    early = per_cluster(page.evaluate(GENERATED_JS))
    log(f"scrubbed to step 1: generated points per drawn cluster {early}")
    assert sum(early) < sum(counts), (early, counts)  # step 1's generator had not found the clusters
    page.mouse.click(track["x"] + track["width"] - 1, track["y"] + track["height"] / 2)
    page.locator(".nbgen-scrubber", has_text="live").first.wait_for(timeout=30_000)
    # the VAE's latent scatter: hovering a point shows its image
    vae = f"({NTH_PLOT_JS})(1)"
    page.wait_for_function(f"() => {{ const el = {vae}; const t = el && el._fullData && el._fullData.find((t) => t.name === 'latent'); return t && t.x.length > 0; }}", timeout=240_000)
    page.evaluate(f"() => {vae}.scrollIntoView()")
    page.wait_for_timeout(500)
    at = page.evaluate(LATENT_POINT_JS.replace("document.querySelector(sel)", vae))
    page.mouse.move(at["x"] + 3, at["y"] + 3)
    page.mouse.move(at["x"], at["y"])
    page.wait_for_function(f"() => ({vae}.layout.images || []).some((im) => im.name === 'nbgen-hover')", timeout=30_000)
    log("hovering the VAE's latent scatter shows a thumbnail")


def test_the_lesson_by_the_widget_alone_in_notebook7(lesson_notebook7_server, browser, tmp_path):
    page = browser.page
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[notebook7 lesson {time.monotonic() - t0:5.1f} s] {msg}", flush=True)

    try:
        run_all_in_notebook7(page, lesson_notebook7_server, log, widget_timeout=180)
        drive_lesson(page, log)
        screenshot(page, tmp_path, "notebook7-lesson")
    except BaseException:
        report_failure("notebook7 lesson", page, browser, lesson_notebook7_server, tmp_path)
        raise


def test_the_lesson_by_the_widget_alone_in_voila(lesson_voila_server, browser, tmp_path):
    page = browser.page
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[voila lesson {time.monotonic() - t0:5.1f} s] {msg}", flush=True)

    try:
        page.goto(lesson_voila_server.url + "/", timeout=240_000, wait_until="commit")
        page.locator(".nbgen-plot").first.wait_for(state="visible", timeout=240_000)
        drive_lesson(page, log)
        screenshot(page, tmp_path, "voila-lesson")
    except BaseException:
        report_failure("voila lesson", page, browser, lesson_voila_server, tmp_path)
        raise


TEACHER_CELLS = [
    "import nbgen, numpy as np\n"
    "s = nbgen.show('gan', 'moons', epochs=5, controls={'learning_rate': 'locked', 'model': 'hidden'})"
]


@pytest.fixture
def teacher_lab_server(chromium, tmp_path):
    yield from _cells_lab_server(TEACHER_CELLS, "teacher.ipynb", tmp_path)


def run_and_print(page, code: str, marker: str) -> str:
    """Run ``code`` in a new cell (made with the toolbar's insert button: a slider that had the
    keyboard may keep command-mode keys); the text of its output that holds ``marker``."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    n = cells.count()
    cells.nth(n - 1).locator(".jp-InputArea-prompt").click()
    page.locator(".jp-NotebookPanel-toolbar [data-command='notebook:insert-cell-below']").first.click()
    page.wait_for_function("(n) => document.querySelectorAll('.jp-Notebook .jp-Cell').length > n", arg=n)
    cell = cells.nth(n)
    cell.locator(".cm-content").click()
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    out = cell.locator(".jp-OutputArea-output", has_text=marker)
    out.wait_for(timeout=60_000)
    return out.inner_text()


def test_a_teachers_locked_slider_cannot_be_moved_and_d_step_makes_one_step(teacher_lab_server, browser, tmp_path):
    """A teacher's exercise in JupyterLab: the learning-rate slider is locked (the mouse and the
    keys do not move it, in the page or in the kernel), the model picker hidden; one click on
    D step advances session.step by exactly one and leaves the generator as it was."""
    page = browser.page
    try:
        run_all_in_lab(page, teacher_lab_server, widget_timeout=120)
        assert not page.locator(".nbgen-model").first.is_visible()
        lr = page.locator(".nbgen-lr").first
        lr.scroll_into_view_if_needed()
        readout = lr.locator(".widget-readout").first
        shown = readout.inner_text()
        handle = lr.locator(".noUi-handle").first
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + 120, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(1000)
        assert readout.inner_text() == shown, (shown, readout.inner_text())
        text = run_and_print(
            page,
            "import jax\nW = lambda: [np.array(v) for v in jax.device_get(s.engine.state['params']['generator']['tv'])]\n"
            "g0 = W()\nprint('lr', s.hyperparameters['learning_rate'], s.widget.learning_rate.value, 'step', s.step)",
            "lr",
        )
        assert text.split() == ["lr", "0.0005", "0.0005", "step", "0"], text
        page.locator("button.nbgen-step-d, .nbgen-step-d button").first.click()
        page.locator(".nbgen-status", has_text="to step 1").first.wait_for(timeout=90_000)
        text = run_and_print(
            page,
            "import time\nwhile s.running: time.sleep(0.1)\n"
            "print('after', s.step, all(np.array_equal(a, b) for a, b in zip(g0, W())))",
            "after",
        )
        assert text.split() == ["after", "1", "True"], text
        screenshot(page, tmp_path, "teacher-locked-and-d-step")
        print(f"[lab teacher] screenshot: {tmp_path / 'teacher-locked-and-d-step.png'}")
    except BaseException:
        report_failure("lab teacher", page, browser, teacher_lab_server, tmp_path)
        raise


# -- views a student can read ---------------------------------------------------------------------
# the page position of the latent scatter's first point
LATENT_POINT_JS = """
(sel) => {
  const el = document.querySelector(sel), full = el._fullLayout, box = el.getBoundingClientRect();
  const t = el._fullData.find((t) => t.name === 'latent');
  const xa = full['xaxis' + t.xaxis.slice(1)], ya = full['yaxis' + t.yaxis.slice(1)];
  return {x: box.left + xa._offset + xa.l2p(t.x[0]), y: box.top + ya._offset + ya.l2p(t.y[0])};
}
"""
# whether the figure shows the hovered row's thumbnail (a layout image with a PNG source)
HOVER_IMAGE_JS = """
(sel) => (document.querySelector(sel).layout.images || []).some((im) => im.name === 'nbgen-hover' && String(im.source).startsWith('data:image/png'))
"""
READABLE_CELLS = ["import nbgen\ns = nbgen.show('vae', 'digits', epochs=3)", "s.train(block=True)\nprint('trained', s.step)"]

# per image panel, screen pixels per image pixel (from the axes' pixel length and range); the
# figure's drawn width and its element's (the output's) width; whether the latent scatter has its colour bar
READABLE_JS = """
(sel) => {
  const el = document.querySelector(sel);
  const full = el && el._fullLayout;
  if (!full) return null;
  const scale = {};
  for (const t of el._fullData) {
    if (t.type !== 'image') continue;
    const xa = full['xaxis' + t.xaxis.slice(1)];
    scale[t.name] = xa._length / Math.abs(xa.range[1] - xa.range[0]);
  }
  const latent = el._fullData.find((t) => t.name === 'latent');
  return {drawn: full.width, element: el.getBoundingClientRect().width, scale,
          colorbar: !!(latent && latent.marker && latent.marker.showscale)};
}
"""


@pytest.fixture
def readable_lab_server(chromium, tmp_path):
    yield from _cells_lab_server(READABLE_CELLS, "readable.ipynb", tmp_path)


def test_views_a_student_can_read_in_a_1400_pixel_page(readable_lab_server, browser, tmp_path):
    """In a 1400-pixel-wide JupyterLab page the figure fills its output's width (Plotly's first
    draw came at its default 700 px: about 60% of it), follows it when the page narrows, draws
    the digits of the reconstructions and samples at least 40 screen pixels across (an 8x8 digit
    was about 19), and the latent scatter says which colour is which class."""
    page = browser.page
    try:
        page.set_viewport_size({"width": 1400, "height": 1400})
        run_all_in_lab(page, readable_lab_server, widget_timeout=180)
        page.locator(".jp-OutputArea-output", has_text="trained").first.wait_for(timeout=300_000)
        page.wait_for_function(f"(sel) => {{ const v = ({READABLE_JS})(sel); return v && Math.abs(v.drawn - v.element) < 2; }}", arg=PLOT, timeout=30_000)
        wide = page.evaluate(READABLE_JS, PLOT)
        print(f"[lab readable] 1400 px page: {wide}")
        assert wide["element"] > 900 and wide["colorbar"], wide
        for name in ("reconstructions", "samples"):
            assert 8 * wide["scale"][name] >= 40, (name, wide)
        path = widget_screenshot(page, tmp_path, "readable-widget")
        print(f"[lab readable] screenshot: {path}")
        # back through the run: the step slider's first kept step shows that step's samples
        samples_src = "(sel) => document.querySelector(sel).data.find((t) => t.name === 'samples').source"
        live_src = page.evaluate(samples_src, PLOT)
        track = page.locator(".nbgen-scrubber .noUi-target").first.bounding_box()
        page.mouse.click(track["x"] + 1, track["y"] + track["height"] / 2)  # a tap at the track's start
        page.locator(".nbgen-scrubber", has_text="step 1").first.wait_for(timeout=30_000)
        page.wait_for_function(f"(a) => ({samples_src})(a[0]) !== a[1]", arg=[PLOT, live_src], timeout=30_000)
        path = widget_screenshot(page, tmp_path, "readable-step-1")
        print(f"[lab readable] scrubbed to step 1: {path}")
        page.mouse.click(track["x"] + track["width"] - 1, track["y"] + track["height"] / 2)  # at its end: live
        page.locator(".nbgen-scrubber", has_text="live").first.wait_for(timeout=30_000)
        # hovering a point of the latent scatter shows its image beside it
        page.wait_for_function("(sel) => document.querySelector(sel)._fullData.find((t) => t.name === 'latent').x.length > 0", arg=PLOT, timeout=30_000)
        at = page.evaluate(LATENT_POINT_JS, PLOT)
        page.mouse.move(at["x"] + 3, at["y"] + 3)
        page.mouse.move(at["x"], at["y"])
        page.wait_for_function(HOVER_IMAGE_JS, arg=PLOT, timeout=30_000)
        path = tmp_path / "readable-hover.png"  # the mouse stays: the thumbnail goes when it leaves
        page.locator(PLOT).first.screenshot(path=str(path), animations="disabled")
        print(f"[lab readable] hover thumbnail: {path}")
        page.wait_for_function(f"(a) => ({samples_src})(a[0]) === a[1]", arg=[PLOT, live_src], timeout=30_000)
        page.set_viewport_size({"width": 1100, "height": 1400})  # a narrower page: the figure follows
        page.wait_for_function(
            f"(w) => {{ const v = ({READABLE_JS})(w[0]); return v && v.element < w[1] - 100 && Math.abs(v.drawn - v.element) < 2; }}",
            arg=[PLOT, wide["element"]],
            timeout=30_000,
        )
        print(f"[lab readable] 1100 px page: {page.evaluate(READABLE_JS, PLOT)}")
    except BaseException:
        report_failure("lab readable", page, browser, readable_lab_server, tmp_path)
        raise


# -- the latent scatter by t-SNE, in JupyterLab -----------------------------------------------------
TSNE_CELLS = ["import nbgen\ns = nbgen.show('vae', 'digits', epochs=3, latent_dim=8)",
              "s.train(block=True)\nprint('trained', s.step)"]
LATENT_TRACE_JS = """
(sel) => { const el = document.querySelector(sel); const t = el && el._fullData && el._fullData.find((t) => t.name === 'latent');
  const title = ((el && el.layout.annotations) || []).map((a) => a.text).find((s) => /^(Latent space|t-SNE)/.test(s));
  return {n: t ? t.x.length : 0, title: title || ''}; }
"""


@pytest.fixture
def tsne_lab_server(chromium, tmp_path):
    yield from _cells_lab_server(TSNE_CELLS, "tsne.ipynb", tmp_path)


def test_the_latent_scatter_by_tsne_from_the_dropdown_and_a_click_on_it(tsne_lab_server, browser, tmp_path):
    """A VAE with 8 latent dimensions: picking t-SNE in the plot options redraws the latent
    scatter as a t-SNE of 300 codes (title "t-SNE of step N"); a click on it decodes a point;
    "redo t-SNE" embeds the codes again; PCA brings back every row's point."""
    page = browser.page
    try:
        run_all_in_lab(page, tsne_lab_server, widget_timeout=180)
        page.locator(".jp-OutputArea-output", has_text="trained").first.wait_for(timeout=300_000)
        page.wait_for_function(f"(sel) => ({LATENT_TRACE_JS})(sel).n === 360", arg=PLOT, timeout=60_000)
        page.locator(".nbgen-projection select").first.select_option(label="t-SNE")
        page.wait_for_function(f"(sel) => {{ const v = ({LATENT_TRACE_JS})(sel); return v.n === 300 && v.title.startsWith('t-SNE of step'); }}", arg=PLOT, timeout=120_000)
        print(f"[lab tsne] {page.evaluate(LATENT_TRACE_JS, PLOT)}")
        clicks = click_latent_panel(page)
        page.wait_for_function(
            "(sel) => { const el = document.querySelector(sel); const by = (n) => el.data.find((t) => t.name === n);"
            " return String(by('decoded').source || '').length > 100 && (by('latent-click').x || []).length === 1; }",
            arg=PLOT, timeout=60_000,
        )
        print(f"[lab tsne] a click decoded a point ({clicks} plotly_click events)")
        path = widget_screenshot(page, tmp_path, "tsne-widget")
        print(f"[lab tsne] screenshot: {path}")
        # "redo t-SNE": the title says "computing", then "t-SNE of step" again (sampled every 10 ms)
        page.evaluate(
            "(sel) => { const el = document.querySelector(sel); el.__titles = [];"
            f" setInterval(() => el.__titles.push(({LATENT_TRACE_JS})(sel).title), 10); }}", PLOT
        )
        page.locator(".nbgen-redo-tsne").first.click()
        page.wait_for_function(
            "(sel) => { const t = document.querySelector(sel).__titles;"
            " return t.some((s) => s.startsWith('Latent space: computing')) && t[t.length - 1].startsWith('t-SNE of step'); }",
            arg=PLOT, timeout=120_000,
        )
        page.locator(".nbgen-projection select").first.select_option(label="PCA")
        page.wait_for_function(f"(sel) => ({LATENT_TRACE_JS})(sel).n === 360", arg=PLOT, timeout=60_000)
        assert page.locator(".nbgen-redo-tsne").first.is_hidden()
    except BaseException:
        report_failure("lab tsne", page, browser, tsne_lab_server, tmp_path)
        raise
