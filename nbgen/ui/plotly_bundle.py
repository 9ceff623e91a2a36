"""One Plotly JavaScript bundle per kernel, not one per figure.

plotly 6+ draws a ``FigureWidget`` with anywidget, and anywidget sends the widget's
JavaScript (``_esm``: Plotly's ~5 MB bundle) with every figure's model; the browser then
imports it afresh for each one (a new ``blob:`` module every time). On the 2-core test
machine that made every ``nbgen.show()`` take ~1.5-2 s to appear in JupyterLab even in a
warm kernel, and a trivial one-trace ``FigureWidget`` alone took 1.5 s
(benchmarks/widget_appears.py).

Here the bundle travels once per kernel, through one small widget model (:class:`PlotlyBundle`),
and each figure (:class:`SharedFigureWidget`) carries a few hundred bytes of JavaScript
that imports the bundle once per page (cached in the page under the bundle's hash) and
hands each figure Plotly's own widget code: the figure's model, its views and its Python API
are Plotly's. One thing differs: a view takes no model updates until its first draw has
finished (queued, then replayed in order), which works around a Plotly race that left a
figure deaf to clicks (the comment after ``SHIM`` says how).

The bundle is in no widget's state: it is a custom message of the bundle's model, which the
kernel pushes when it makes its first figure and sends again to a page that asks (a page
opened or reloaded later). Tools that save the widget state into the notebook (nbclient,
``jupyter nbconvert --execute``, papermill) keep state, not custom messages, so an executed
notebook does not carry 5 MB of Plotly (tests/test_notebook_size.py). A page rendered from
saved state without a kernel (nbconvert's HTML where a CDN serves the widget manager) cannot
get the bundle: its figure says so and the static snapshot under the widget stays visible.

:func:`figure_widget` returns a plain ``go.FigureWidget`` when this cannot work or is not
tested: a Plotly whose widget is not the anywidget bundle this expects (a change upstream
then costs speed, not pictures), Google Colab (its own widget manager), or
``NBGEN_PLOTLY_BUNDLE=0`` in the environment. Tested in JupyterLab 4, Notebook 7 and Voila
(tests/test_browser.py).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import pathlib
import sys
import threading
from collections.abc import Iterator

import anywidget
import plotly.graph_objects as go
import traitlets

from .._settings import OFF
from .frontends import in_colab

# shared by both modules below. The bundle's bytes reach the page in a custom message of the
# bundle's model, never in a widget's state: a notebook saved with its widget state (nbclient,
# nbconvert --execute, papermill) does not carry 5 MB of Plotly. The kernel pushes them when it
# makes its first figure; a page that missed that push (opened or reloaded later) asks for them.
LOAD = r"""
const PAGE = (globalThis.__nbgenPlotly ??= { code: new Map(), asked: new Set() });
const BUNDLES = (globalThis.__nbgenPlotlyBundles ??= new Map()); // imported modules, by key

// the bundle's bytes in this page, by key (the sha1 of the bundle): { promise, resolve, done }
function code(key) {
  if (!PAGE.code.has(key)) {
    const c = { done: false };
    c.promise = new Promise((resolve) => {
      c.resolve = (bytes) => {
        c.done = true;
        resolve(bytes);
      };
    });
    PAGE.code.set(key, c);
  }
  return PAGE.code.get(key);
}

// take the bundle from the custom message that carries it (pushed, or the answer to a request)
function listen(model, key) {
  if (code(key).done) return;
  const got = (msg, buffers) => {
    if (!msg || msg.type !== "nbgen-plotly-bundle" || msg.key !== key || !buffers || !buffers.length) return;
    model.off("msg:custom", got);
    if (!code(key).done) code(key).resolve(buffers[0]);
  };
  model.on("msg:custom", got);
}

// ask the kernel for the bundle, once per page (the kernel answers when it is idle)
function ask(model, key) {
  if (code(key).done || PAGE.asked.has(key)) return;
  PAGE.asked.add(key);
  model.send({ type: "nbgen-plotly-bundle?", key });
}

// Plotly's widget module, imported once per page when the bundle's bytes are there
function load(key) {
  if (!BUNDLES.has(key)) {
    const loading = (async () => {
      const url = URL.createObjectURL(new Blob([await code(key).promise], { type: "text/javascript" }));
      try {
        return await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    loading.catch(() => BUNDLES.delete(key)); // the next one tries again
    BUNDLES.set(key, loading);
  }
  return BUNDLES.get(key);
}
"""

# the bundle's model: listens for the bundle as soon as it reaches the page (show() makes it
# before it builds the session, so the page is listening when the first figure's push comes),
# and imports it on arrival; asks for it if the kernel pushed it before this page had the model
PRELOAD = (
    LOAD
    + r"""
export default {
  initialize({ model }) {
    const key = model.get("key");
    if (code(key).done) return;
    listen(model, key);
    if (model.get("sent")) ask(model, key);
    code(key).promise.then(() => load(key)).catch((e) => console.error("nbgen: Plotly bundle", e));
  },
};
"""
)

# a figure's JavaScript: Plotly's widget from the kernel's bundle, then Plotly's own code, with
# one change: a view gets no model updates until its first draw has finished (why: below)
SHIM = (
    LOAD
    + r"""
async function bundle(model) {
  const ref = model.get("_nbgen_bundle"); // "IPY_MODEL_<id>#<sha1 of the bundle>"
  const [modelRef, key] = ref.split("#");
  if (!code(key).done) {
    // the push came before this figure's model (the kernel sends it first): this page missed it
    const holder = await model.widget_manager.get_model(modelRef.replace("IPY_MODEL_", ""));
    if (!holder.comm_live && !code(key).done) {
      // e.g. nbconvert's HTML or saved widget state shown without a kernel: no one can send it
      throw new Error("no kernel to send Plotly's code");
    }
    listen(holder, key);
    ask(holder, key);
  }
  return load(key);
}

// where the figure cannot draw, show the static snapshot that the live widget hides
function unavailable(el, error) {
  document.documentElement.classList.add("nbgen-no-live-figure");
  el.textContent = `The live figure needs its kernel (${error.message}); the picture below shows the views.`;
  el.style.cssText = "padding: 8px; color: #666; font-size: 13px;";
}

// The model as Plotly's widget sees it. Listeners that a view registers while it is being
// rendered belong to that view's gate: until the view's first draw has finished (Plotly's
// "plotlywidget-after-render" event), their changes are queued with the value each had,
// then replayed in order.
function gated(model) {
  let registering = null; // the gate of the view being rendered
  let served = null; // [name, value] that get() serves while a queued change is replayed
  return {
    get: (name) => (served && served[0] === name ? served[1] : model.get(name)),
    set: (...a) => model.set(...a),
    save_changes: () => model.save_changes(),
    send: (...a) => model.send(...a),
    off: (...a) => model.off(...a),
    widget_manager: model.widget_manager,
    on(event, callback) {
      const gate = registering;
      if (!gate) return model.on(event, callback);
      const name = event.startsWith("change:") ? event.slice(7) : null;
      return model.on(event, (...args) => {
        if (gate.open) return callback(...args);
        const value = name ? model.get(name) : undefined;
        gate.queue.push(() => {
          served = name ? [name, value] : null;
          try {
            callback(...args);
          } finally {
            served = null;
          }
        });
      });
    },
    rendering(gate, draw) {
      registering = gate;
      try {
        return draw();
      } finally {
        registering = null;
      }
    },
  };
}

const FIRST_DRAW_TIMEOUT_MS = 15000;

// Arrow keys on a focused slider of nbgen's panel: Notebook 7 starts Lumino without JupyterLab's
// bubblingKeydown, so the notebook's command-mode shortcuts take the arrows before the slider
// sees them (plain ipywidgets sliders too); Lumino leaves keys alone inside an element marked
// data-lm-suppress-shortcuts, so the panel's slider handles get that mark (new ones as they come).
function keysToSliders(el) {
  if (typeof MutationObserver === "undefined") return () => undefined;
  let watch = null;
  let tries = 0;
  let timer = null;
  const attach = () => {
    const box = el.closest(".nbgen"); // the view is in the page once the front end has placed it
    if (!box) {
      if (tries++ < 100) timer = setTimeout(attach, 100);
      return;
    }
    const mark = () => {
      for (const h of box.querySelectorAll(".noUi-handle:not([data-lm-suppress-shortcuts])")) {
        h.setAttribute("data-lm-suppress-shortcuts", "true");
      }
    };
    mark();
    watch = new MutationObserver(mark);
    watch.observe(box, { childList: true, subtree: true });
  };
  attach();
  return () => {
    clearTimeout(timer);
    if (watch) watch.disconnect();
  };
}
// The figure follows its output's width. Plotly sizes a figure when it first draws it, here
// before the page has laid the output out (so at Plotly's default, 700 px: in a 1400-pixel
// JupyterLab page about 60% of the output), and again only on a window resize; this resizes it
// whenever its element's width changes (a figure given a width in Python keeps it).
function followWidth(el) {
  if (typeof ResizeObserver === "undefined") return () => undefined;
  let frame = 0;
  const fit = () => {
    frame = 0;
    const Plotly = globalThis.Plotly;
    const full = el._fullLayout;
    const width = el.getBoundingClientRect().width;
    if (!Plotly || !full || !width || (el.layout && el.layout.width)) return;
    if (Math.abs(full.width - width) >= 2) Plotly.Plots.resize(el);
  };
  const later = () => {
    if (!frame) frame = requestAnimationFrame(fit);
  };
  const watch = new ResizeObserver(later);
  watch.observe(el);
  later();
  return () => {
    watch.disconnect();
    if (frame) cancelAnimationFrame(frame);
  };
}
export default () => {
  let widget = null;
  let model = null;
  let ready = null;
  return {
    initialize(ctx) {
      model = gated(ctx.model);
      ready = (async () => {
        const mod = await bundle(ctx.model);
        widget = typeof mod.default === "function" ? await mod.default() : mod.default;
        return widget.initialize ? widget.initialize({ ...ctx, model }) : undefined;
      })();
      return ready.catch(() => undefined); // render() says what failed
    },
    async render(ctx) {
      try {
        await ready;
      } catch (error) {
        return unavailable(ctx.el, error);
      }
      const gate = { open: false, queue: [] };
      let follow = () => undefined;
      const release = () => {
        if (gate.open) return;
        gate.open = true;
        document.removeEventListener("plotlywidget-after-render", drawn);
        clearTimeout(timer);
        for (const replay of gate.queue.splice(0)) replay();
        follow = followWidth(ctx.el); // after the first draw: a resize never races it
      };
      const drawn = (event) => {
        if (event.detail && event.detail.element === ctx.el) release();
      };
      document.addEventListener("plotlywidget-after-render", drawn);
      const timer = setTimeout(release, FIRST_DRAW_TIMEOUT_MS); // never hold updates for good
      const cleanup = model.rendering(gate, () => widget.render({ ...ctx, model }));
      const keys = keysToSliders(ctx.el);
      return () => {
        release();
        follow();
        keys();
        return typeof cleanup === "function" ? cleanup() : undefined;
      };
    },
  };
};
"""
)

# Why the gate: Plotly draws an image trace given by ``source`` asynchronously, and its first
# draw (``newPlot``) resolves only when the image's ``onload`` fires; an update of the same
# image before that replaces ``onload`` (Plotly reuses one Image object per trace), so the first
# draw never resolves, and Plotly's widget registers its click, hover and relayout handlers only
# when it does. A live session updates its images a few times a second, so a figure shown while
# training (or a page reloaded during a run) could lose every click for good: the latent panel
# stopped decoding in tests/test_browser.py (seen with plain FigureWidgets too, 2026-11-26).


def _lean(js: str) -> str:
    """The JavaScript without its comment lines: each figure's state carries it (saved notebooks too)."""
    return "\n".join(line for line in js.splitlines() if line.strip() and not line.lstrip().startswith("//"))


class PlotlyBundle(anywidget.AnyWidget):
    """Plotly's widget JavaScript, sent to the front end once per kernel (no view of its own).

    The bundle is not in the model's state (a saved notebook would carry it): it travels in a
    custom message, pushed when the kernel makes its first figure (:meth:`push`) and sent again
    to a page that asks for it (one it reached before that page had this model)."""

    _esm = _lean(PRELOAD)
    key = traitlets.Unicode("").tag(sync=True)  # the bundle's sha1: the page caches it under this
    sent = traitlets.Bool(False).tag(sync=True)  # pushed once: a page that lacks it must ask

    def __init__(self, code: str, **kwargs):
        self._code = code.encode("utf-8")
        super().__init__(key=hashlib.sha1(self._code).hexdigest(), **kwargs)
        self.on_msg(self._on_request)

    def _on_request(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "nbgen-plotly-bundle?":
            self.push()

    def push(self) -> None:
        """Send the bundle to every page of the kernel (a custom message: not widget state)."""
        self.send({"type": "nbgen-plotly-bundle", "key": self.key}, buffers=[self._code])
        self.sent = True


@contextlib.contextmanager
def _without(module: str) -> Iterator[None]:
    """Make ``import module`` fail (ImportError) inside the block, if nothing imported it yet."""
    if module in sys.modules:
        yield
        return
    sys.modules[module] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get(module, 0) is None:
            del sys.modules[module]


# Plotly's FigureWidget imports nbformat (a version check), nbformat imports jsonschema, and
# jsonschema imports rfc3987_syntax when it is installed (JupyterLab's server installs it) to
# check one string format, "iri", building a grammar as it loads: 1.0 of the 1.2 s that the
# first FigureWidget takes in a fresh kernel on the 2-core test machine. Nothing in the kernel
# checks that format, so the import is skipped (only while Plotly loads: a later
# ``import rfc3987_syntax`` works). benchmarks/first_minute.py times what this saves.
with _without("rfc3987_syntax"):
    _FigureWidget = go.FigureWidget


class SharedFigureWidget(_FigureWidget):
    """A Plotly ``FigureWidget`` that fetches Plotly's JavaScript from the kernel's one
    :class:`PlotlyBundle` instead of carrying its own copy."""

    _esm = _lean(SHIM)
    _nbgen_bundle = traitlets.Unicode("").tag(sync=True)

    @traitlets.default("_nbgen_bundle")
    def _default_bundle(self) -> str:  # read when the model opens: it must be in the first state
        return bundle_ref() or ""


_lock = threading.Lock()
_bundle: PlotlyBundle | None = None


def _bundle_code() -> str | None:
    """Plotly's widget bundle (an ES module with a default export), or None if this Plotly differs."""
    esm = getattr(go.FigureWidget, "_esm", None)
    try:  # anywidget turns a file path into FileContents, whose str() is the file's text
        code = esm.read_text(encoding="utf-8") if isinstance(esm, pathlib.Path) else str(esm or "")
    except OSError:
        return None
    return code if "export" in code[-4000:] else None


def bundle_ref() -> str | None:
    """``"IPY_MODEL_<id>#<hash>"`` of this kernel's bundle model (made on first use), or None."""
    global _bundle
    with _lock:
        if _bundle is None or _bundle.comm is None:  # first use, or closed (Widget.close_all())
            code = _bundle_code()
            if code is None:
                return None
            _bundle = PlotlyBundle(code)
        return f"IPY_MODEL_{_bundle.model_id}#{_bundle.key}"


def _push_once() -> None:
    """Push the bundle with the kernel's first figure (before that figure's model opens, so a
    page that was listening has it when the figure asks), and again after a close_all()."""
    with _lock:
        holder = _bundle
    if holder is not None and holder.comm is not None and not holder.sent:
        holder.push()


def wanted() -> bool:
    """Whether figures should share the kernel's bundle here (see the module docstring)."""
    return os.environ.get("NBGEN_PLOTLY_BUNDLE", "").lower() not in OFF and not in_colab()


def preload() -> None:
    """Send the bundle now (if figures share it), so the page loads Plotly while the kernel works."""
    if wanted():
        bundle_ref()


def figure_widget() -> go.FigureWidget:
    """An empty FigureWidget that shares the kernel's Plotly bundle (a plain one if it cannot)."""
    if not wanted() or bundle_ref() is None:
        return go.FigureWidget()
    _push_once()
    return SharedFigureWidget()


def state_copy(fig: go.FigureWidget) -> tuple[dict, list]:
    """The figure's layout and traces as its synced state holds them (``_widget_layout``,
    ``_widget_data``): set them to make a saved notebook's widget, and a page that opens the
    widget later (Voila renders after the cells ran), draw the figure as it is now. Plotly's
    own updates travel as messages that such a page may never see."""
    return copy.deepcopy(fig._layout_obj._props), copy.deepcopy(fig._data)
