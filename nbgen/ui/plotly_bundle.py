"""One Plotly JavaScript bundle per kernel, not one per figure.

plotly 6+ draws a ``FigureWidget`` with anywidget, and anywidget sends the widget's
JavaScript (``_esm``: Plotly's ~5 MB bundle) with every figure's model; the browser then
imports it afresh for each one (a new ``blob:`` module every time). On the 2-core test
machine that made every ``nbgen.show()`` take ~1.5-2 s to appear in JupyterLab even in a
warm kernel, and a trivial one-trace ``FigureWidget`` alone took 1.5 s
(benchmarks/widget_appears.py).

Here the bundle travels once per kernel, in one small widget model (:class:`PlotlyBundle`),
and each figure (:class:`SharedFigureWidget`) carries a few hundred bytes of JavaScript
that imports the bundle once per page (cached in the page under the bundle's hash) and
hands each figure Plotly's own widget code: the figure's model, its views and its Python API
are Plotly's. One thing differs: a view takes no model updates until its first draw has
finished (queued, then replayed in order), which works around a Plotly race that left a
figure deaf to clicks (the comment after ``SHIM`` says how).

:func:`figure_widget` returns a plain ``go.FigureWidget`` when this cannot work or is not
tested: a Plotly whose widget is not the anywidget bundle this expects (a change upstream
then costs speed, not pictures), Google Colab (its own widget manager), or
``NBGEN_PLOTLY_BUNDLE=0`` in the environment. Tested in JupyterLab 4, Notebook 7 and Voila
(tests/test_browser.py).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import threading

import anywidget
import plotly.graph_objects as go
import traitlets

from .._settings import OFF
from .frontends import in_colab

# shared by both modules below: import a bundle once per page, cached under its hash
LOAD = r"""
const BUNDLES = (globalThis.__nbgenPlotlyBundles ??= new Map());

function load(key, code) {
  if (!BUNDLES.has(key)) {
    const loading = (async () => {
      const url = URL.createObjectURL(new Blob([await code()], { type: "text/javascript" }));
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

# the bundle's model: starts the import as soon as it reaches the page (show() makes it
# before it builds the session, so the browser loads Plotly while the kernel works)
PRELOAD = LOAD + r"""
export default {
  initialize({ model }) {
    load(model.get("key"), () => model.get("code")).catch((e) => console.error("nbgen: Plotly bundle", e));
  },
};
"""

# a figure's JavaScript: Plotly's widget from the kernel's bundle, then Plotly's own code, with
# one change: a view gets no model updates until its first draw has finished (why: below)
SHIM = LOAD + r"""
function bundle(model) {
  const ref = model.get("_nbgen_bundle"); // "IPY_MODEL_<id>#<sha1 of the bundle>"
  const [modelRef, key] = ref.split("#");
  return load(key, async () => {
    const holder = await model.widget_manager.get_model(modelRef.replace("IPY_MODEL_", ""));
    return holder.get("code");
  });
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
      return ready;
    },
    async render(ctx) {
      await ready;
      const gate = { open: false, queue: [] };
      const release = () => {
        if (gate.open) return;
        gate.open = true;
        document.removeEventListener("plotlywidget-after-render", drawn);
        clearTimeout(timer);
        for (const replay of gate.queue.splice(0)) replay();
      };
      const drawn = (event) => {
        if (event.detail && event.detail.element === ctx.el) release();
      };
      document.addEventListener("plotlywidget-after-render", drawn);
      const timer = setTimeout(release, FIRST_DRAW_TIMEOUT_MS); // never hold updates for good
      const cleanup = model.rendering(gate, () => widget.render({ ...ctx, model }));
      return () => {
        release();
        return typeof cleanup === "function" ? cleanup() : undefined;
      };
    },
  };
};
"""

# Why the gate: Plotly draws an image trace given by ``source`` asynchronously, and its first
# draw (``newPlot``) resolves only when the image's ``onload`` fires; an update of the same
# image before that replaces ``onload`` (Plotly reuses one Image object per trace), so the first
# draw never resolves, and Plotly's widget registers its click, hover and relayout handlers only
# when it does. A live session updates its images a few times a second, so a figure shown while
# training (or a page reloaded during a run) could lose every click for good: the latent panel
# stopped decoding in tests/test_browser.py (seen with plain FigureWidgets too, 2026-11-26).


class PlotlyBundle(anywidget.AnyWidget):
    """Plotly's widget JavaScript, sent to the front end once per kernel (no view of its own)."""

    _esm = PRELOAD
    code = traitlets.Unicode("").tag(sync=True)
    key = traitlets.Unicode("").tag(sync=True)


class SharedFigureWidget(go.FigureWidget):
    """A Plotly ``FigureWidget`` that fetches Plotly's JavaScript from the kernel's one
    :class:`PlotlyBundle` instead of carrying its own copy."""

    _esm = SHIM
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
            _bundle = PlotlyBundle(code=code, key=hashlib.sha1(code.encode()).hexdigest())
        return f"IPY_MODEL_{_bundle.model_id}#{_bundle.key}"


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
    return SharedFigureWidget()
