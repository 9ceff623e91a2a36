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
hands each figure Plotly's own widget code. Nothing of Plotly's behaviour changes: the
figure's model, its views and its Python API are Plotly's.

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

import ipywidgets as widgets
import plotly.graph_objects as go
import traitlets

from .._settings import OFF
from .frontends import in_colab

# the figure's JavaScript: load the kernel's Plotly bundle once per page, then act as it
SHIM = r"""
const BUNDLES = (globalThis.__nbgenPlotlyBundles ??= new Map());

function bundle(model) {
  const ref = model.get("_nbgen_bundle"); // "IPY_MODEL_<id>#<sha1 of the bundle>"
  const [modelRef, key] = ref.split("#");
  if (!BUNDLES.has(key)) {
    const loading = (async () => {
      const holder = await model.widget_manager.get_model(modelRef.replace("IPY_MODEL_", ""));
      const url = URL.createObjectURL(new Blob([holder.get("code")], { type: "text/javascript" }));
      try {
        return await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    loading.catch(() => BUNDLES.delete(key)); // the next figure tries again
    BUNDLES.set(key, loading);
  }
  return BUNDLES.get(key);
}

export default () => {
  let widget = null;
  let ready = null;
  return {
    initialize(ctx) {
      ready = (async () => {
        const mod = await bundle(ctx.model);
        widget = typeof mod.default === "function" ? await mod.default() : mod.default;
        return widget.initialize ? widget.initialize(ctx) : undefined;
      })();
      return ready;
    },
    async render(ctx) {
      await ready;
      return widget.render(ctx);
    },
  };
};
"""


class PlotlyBundle(widgets.Widget):
    """Plotly's widget JavaScript, sent to the front end once per kernel (no view of its own)."""

    code = traitlets.Unicode("").tag(sync=True)


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
_key: str | None = None


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
    global _bundle, _key
    with _lock:
        if _bundle is None or _bundle.comm is None:  # first use, or closed (Widget.close_all())
            code = _bundle_code()
            if code is None:
                return None
            _key = hashlib.sha1(code.encode()).hexdigest()
            _bundle = PlotlyBundle(code=code)
        return f"IPY_MODEL_{_bundle.model_id}#{_key}"


def figure_widget() -> go.FigureWidget:
    """An empty FigureWidget that shares the kernel's Plotly bundle (a plain one if it cannot)."""
    if os.environ.get("NBGEN_PLOTLY_BUNDLE", "").lower() in OFF or in_colab() or bundle_ref() is None:
        return go.FigureWidget()
    return SharedFigureWidget()
