"""Static pictures of a session's views, drawn without a browser.

A live view is a Plotly FigureWidget whose updates are transient messages: a saved or
exported notebook holds no trace points. This module draws the same panels (loss curves
with change markers, latent scatter, images, 2-D data with the decision surface) from a
:class:`~nbgen.ui.plots.SessionFigure` as

- SVG, small enough for a notebook's display data (what nbconvert's HTML and code hosts
  show when no kernel runs), with a ``<title>`` and ``<desc>`` stating the trained state;
- PNG, rasterised with NumPy (no text), with the same statement in a ``tEXt`` chunk.

Nothing here needs Chromium, kaleido or matplotlib.
"""

from __future__ import annotations

import base64
import html
import struct
import zlib
from typing import Any

import numpy as np

from .arrays import from_typed_array
from .png import png_to_array

WIDTH = 960
MAX_POINTS = 600  # per scatter trace: keeps the SVG (and the saved notebook) small
COLORWAY = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880")
LABEL_COLOURS = (
    "#30123b",
    "#4145ab",
    "#4675ed",
    "#1bcfd4",
    "#61fc6c",
    "#d1e834",
    "#fe9b2d",
    "#e4460a",
    "#9c1b03",
    "#7a0403",
)


def describe(session: Any) -> str:
    """One sentence on what the picture shows: model, data, status, epochs, steps, last metrics."""
    return f"nbgen snapshot: {session.summary()}"


# -- geometry -------------------------------------------------------------------------------


class _Box:
    """One panel: its pixel rectangle and the data ranges it maps."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float, xr: tuple, yr: tuple, ylog: bool = False):
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.xr, self.yr, self.ylog = xr, yr, ylog

    def px(self, x: np.ndarray) -> np.ndarray:
        lo, hi = self.xr
        return self.x0 + (np.asarray(x, dtype=np.float64) - lo) / max(hi - lo, 1e-12) * (self.x1 - self.x0)

    def py(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        lo, hi = self.yr
        if self.ylog:
            y, lo, hi = np.log10(np.maximum(y, 1e-300)), np.log10(max(lo, 1e-300)), np.log10(max(hi, 1e-300))
        return self.y1 - (y - lo) / max(hi - lo, 1e-12) * (self.y1 - self.y0)


def _range(values: list[np.ndarray], log: bool = False) -> tuple[float, float]:
    finite = [v[np.isfinite(v)] for v in values if v is not None and len(v)]
    finite = [v[v > 0] if log else v for v in finite]
    finite = [v for v in finite if v.size]
    if not finite:
        return (0.0, 1.0)
    lo, hi = min(float(v.min()) for v in finite), max(float(v.max()) for v in finite)
    if log:
        return (lo / 1.2, hi * 1.2)
    pad = 0.05 * (hi - lo) or 0.5
    return (lo - pad, hi + pad)


def _array(v: Any) -> np.ndarray | None:
    if v is None:
        return None
    try:
        return np.asarray(v, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None


def _thin(n: int) -> np.ndarray:
    return np.arange(n) if n <= MAX_POINTS else np.linspace(0, n - 1, MAX_POINTS).astype(int)


def _waiting(fig: Any, panel: Any) -> bool:
    """True for a panel with nothing to draw until the user acts: image panels without an image
    (the decoded click before any click). A static picture cannot be clicked."""
    traces = [t for t in fig.data if (t.xaxis or "x") == panel.xref and (t.yaxis or "y") == panel.yref]
    return bool(traces) and all(t.type == "image" and not t.source for t in traces)


def _title_of(layout: Any, xd: tuple, yd: tuple) -> Any:
    """The subplot title annotation of the panel with domains ``xd``, ``yd`` (Plotly's
    make_subplots puts it at the top centre of the panel, in paper coordinates)."""
    for a in layout.annotations:
        if a.xref == "paper" and a.yref == "paper" and a.x is not None and a.y is not None:
            if abs(a.x - (xd[0] + xd[1]) / 2) < 1e-6 and abs(a.y - yd[1]) < 1e-6:
                return a
    return None


def static_figure(sf: Any, validate: bool = True) -> tuple[Any, dict[str, Any]]:
    """A static Plotly figure of ``sf`` (a drawn SessionFigure) and its panels, without empty cells.

    A panel that waits for a click (the decoded image) is left out and the others of its row
    widen to fill the row, so that a picture of the views has no blank panel; the live view
    keeps its layout. Returns ``(figure, {name: Panel})``. ``validate=False``: Plotly does not
    check the copy again, and the copy has no template (the SVG snapshot only reads it, and draws
    in its own colours; most of its time went to the check and to the template).
    """
    import plotly.graph_objects as go

    layout = sf.widget.layout.to_plotly_json()
    if not validate:
        layout.pop("template", None)
    panels = dict(sf.panels)
    dropped = [name for name, p in panels.items() if _waiting(sf.widget, p)]
    if len(dropped) == len(panels):
        dropped = []
    data = list(sf.widget.data)
    for name in dropped:
        p = panels.pop(name)
        xd, yd = tuple(layout[p.xaxis]["domain"]), tuple(layout[p.yaxis]["domain"])
        row = [q for q in panels.values() if tuple(layout[q.yaxis].get("domain", (0, 1))) == yd]
        doms = sorted([tuple(layout[q.xaxis]["domain"]) for q in row] + [xd])
        gap = min((b[0] - a[1] for a, b in zip(doms, doms[1:])), default=0.0)
        lo, hi = doms[0][0], doms[-1][1]
        fig_layout = go.Layout(layout, _validate=validate)
        titles = {q.name: _title_of(fig_layout, tuple(layout[q.xaxis]["domain"]), yd) for q in row}
        gone = _title_of(fig_layout, xd, yd)
        annotations = [a for a in fig_layout.annotations if a is not gone]
        width = (hi - lo - gap * (len(row) - 1)) / max(len(row), 1)
        for i, q in enumerate(sorted(row, key=lambda q: layout[q.xaxis]["domain"][0])):
            new = (lo + i * (width + gap), lo + i * (width + gap) + width)
            layout[q.xaxis]["domain"] = list(new)
            if titles[q.name] is not None:
                titles[q.name].x = (new[0] + new[1]) / 2
        layout["annotations"] = [a.to_plotly_json() for a in annotations]
        layout.pop(p.xaxis, None)
        layout.pop(p.yaxis, None)
        data = [t for t in data if not ((t.xaxis or "x") == p.xref and (t.yaxis or "y") == p.yref)]
    return go.Figure(data=data, layout=layout, _validate=validate), panels


def _layout(sf: Any) -> tuple[int, list[tuple[str, _Box, list]], Any]:
    """Pixel boxes and traces of each panel of a SessionFigure (see :func:`static_figure`)."""
    fig, panels = static_figure(sf, validate=False)
    layout = fig.layout
    height = int(layout.height or 500)
    m = layout.margin
    left, right, top, bottom = (m.l or 40), (m.r or 20), (m.t or 50), (m.b or 30)
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    out = []
    for name, p in panels.items():
        xa, ya = layout[p.xaxis], layout[p.yaxis]
        xd, yd = tuple(xa.domain or (0, 1)), tuple(ya.domain or (0, 1))
        x0, x1 = left + xd[0] * plot_w, left + xd[1] * plot_w
        y0, y1 = top + (1 - yd[1]) * plot_h, top + (1 - yd[0]) * plot_h
        traces = [t for t in fig.data if (t.xaxis or "x") == p.xref and (t.yaxis or "y") == p.yref]
        ylog = ya.type == "log"
        if xa.range is not None and ya.range is not None:
            xr, yr = tuple(xa.range), tuple(ya.range)
        else:
            xs = [_array(t.x) for t in traces if t.type == "scatter" and _visible(t)]
            ys = [_array(t.y) for t in traces if t.type == "scatter" and _visible(t)]
            xr, yr = _range(xs), _range(ys, ylog)
        out.append((name, _Box(x0, y0, x1, y1, xr, yr, ylog), traces))
    return height, out, fig


def _visible(trace: Any) -> bool:
    marker = getattr(trace, "marker", None)
    if trace.visible is False or getattr(trace, "opacity", None) == 0:
        return False
    return not (marker is not None and marker.opacity == 0)


def _colours(trace: Any, n: int, index: int) -> list[str]:
    marker = getattr(trace, "marker", None)
    colour = None if marker is None else marker.color
    if colour is None:
        line = getattr(trace, "line", None)
        colour = line.color if line is not None and line.color else COLORWAY[index % len(COLORWAY)]
    if isinstance(colour, str):
        return [colour] * n
    labels = np.asarray(colour).reshape(-1).astype(int)
    return [LABEL_COLOURS[int(v) % len(LABEL_COLOURS)] for v in labels[:n]]


def _rdbu(z: np.ndarray) -> np.ndarray:
    """RdBu as RGB (red at 0, white at 0.5, blue at 1) for the decision surface."""
    z = np.clip(np.nan_to_num(np.asarray(z, dtype=np.float64), nan=0.5), 0, 1)[..., None]
    red, white, blue = np.array([178, 24, 43]), np.array([247, 247, 247]), np.array([33, 102, 172])
    rgb = np.where(z < 0.5, red + (white - red) * (z / 0.5), white + (blue - white) * ((z - 0.5) / 0.5))
    return rgb.astype(np.uint8)


def _blues(z: np.ndarray) -> np.ndarray:
    """White at 0 to blue at 1 (a classifier's confusion matrix)."""
    z = np.clip(np.nan_to_num(np.asarray(z, dtype=np.float64)), 0, 1)[..., None]
    white, blue = np.array([247, 251, 255]), np.array([8, 48, 107])
    return (white + (blue - white) * z).astype(np.uint8)


def _heat(trace: Any, z: np.ndarray) -> tuple[np.ndarray, int]:
    """A heatmap's colours and opacity (0-255): its own palette when it names one, else RdBu at half
    opacity (the GAN's D(x) behind its samples)."""
    if (trace.meta or {}).get("palette") == "blues":
        return _blues(z), 255
    return _rdbu(z), 128


def _png_rgba(rgba: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    h, w, _ = rgba.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgba.reshape(h, 4 * w)], 1)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    extra = b"".join(
        chunk(b"tEXt", k.encode("latin-1") + b"\0" + v.encode("latin-1", "replace")) for k, v in (text or {}).items()
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
        + extra
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def _surface(trace: Any) -> tuple[np.ndarray, tuple, tuple] | None:
    if trace.z is None or not _visible(trace):  # (the latent panel's click grid is a clear heatmap)
        return None
    z = from_typed_array(trace.z).astype(np.float64)
    lo, hi = trace.zmin, trace.zmax
    if lo is not None and hi is not None and hi > lo:  # the colour scale's range, as 0-1
        z = (z - lo) / (hi - lo)
    if z.ndim != 2 or z.size < 4 or trace.x is None or trace.y is None:
        return None
    xs, ys = np.asarray(trace.x, dtype=np.float64), np.asarray(trace.y, dtype=np.float64)
    return z, (float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1]))


# -- SVG --------------------------------------------------------------------------------------


def svg(sf: Any) -> str:
    """The views of ``sf`` (a drawn SessionFigure) as one SVG document."""
    height, panels, fig = _layout(sf)
    total = height + 24
    text = describe(sf.session)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total}" viewBox="0 0 {WIDTH} {total}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(text)}</title>",
        f"<desc>{html.escape(text)}</desc>",
        f'<rect width="{WIDTH}" height="{total}" fill="white"/>',
        f'<text x="8" y="16" font-size="13" fill="#333">{html.escape(text)}</text>',
        '<g transform="translate(0,24)">',
    ]
    for name, box, traces in panels:
        clip = f"clip-{name}"
        w, h = box.x1 - box.x0, box.y1 - box.y0
        out.append(
            f'<clipPath id="{clip}"><rect x="{box.x0:.1f}" y="{box.y0:.1f}" width="{w:.1f}" height="{h:.1f}"/></clipPath>'
        )
        out.append(
            f'<rect x="{box.x0:.1f}" y="{box.y0:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#fafafa" stroke="#ddd"/>'
        )
        out.append(f'<g clip-path="url(#{clip})">')
        for i, t in enumerate(traces):
            out.extend(_svg_trace(t, box, i))
        for shape in fig.layout.shapes:
            if shape.xref == sf.panels[name].xref and shape.x0 is not None:
                x = float(box.px([shape.x0])[0])
                out.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{box.y0:.1f}" y2="{box.y1:.1f}" stroke="#888" '
                    'stroke-dasharray="2,2"/>'
                )
        out.append("</g>")
        if name == "loss":
            names = [t.name for t in traces if t.type == "scatter"]
            for i, n in enumerate(names):
                colour = COLORWAY[i % len(COLORWAY)]
                y = box.y0 + 14 + 14 * i
                out.append(f'<text x="{box.x0 + 6:.1f}" y="{y:.1f}" fill="{colour}">{html.escape(n)}</text>')
            out.append(f'<text x="{box.x0:.1f}" y="{box.y1 + 14:.1f}" fill="#666">step {max(box.xr[0], 0):.0f}</text>')
            out.append(
                f'<text x="{box.x1:.1f}" y="{box.y1 + 14:.1f}" fill="#666" text-anchor="end">{box.xr[1]:.0f}</text>'
            )
    for a in fig.layout.annotations:
        if a.xref == "paper" and a.yref == "paper" and a.text:
            x = (fig.layout.margin.l or 40) + a.x * (WIDTH - (fig.layout.margin.l or 40) - 20)
            top = fig.layout.margin.t or 50
            y = top + (1 - a.y) * (height - top - (fig.layout.margin.b or 30)) - 4
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="13">{html.escape(a.text)}</text>'
            )
    out.append("</g></svg>")
    return "\n".join(out)


def _svg_trace(t: Any, box: _Box, index: int) -> list[str]:
    if t.type == "image":
        if not t.source:
            return []
        pixels, _ = png_to_array(t.source)
        h, w = pixels.shape[:2]
        scale = min((box.x1 - box.x0) / w, (box.y1 - box.y0) / h)
        x = box.x0 + ((box.x1 - box.x0) - w * scale) / 2
        y = box.y0 + ((box.y1 - box.y0) - h * scale) / 2
        return [
            f'<image x="{x:.1f}" y="{y:.1f}" width="{w * scale:.1f}" height="{h * scale:.1f}" '
            f'style="image-rendering:pixelated" href="{t.source}"/>'
        ]
    if t.type == "heatmap":
        surface = _surface(t)
        if surface is None:
            return []
        z, xr, yr = surface
        colours, alpha = _heat(t, z[::-1])
        rgba = np.concatenate([colours, np.full((*z.shape, 1), alpha, np.uint8)], -1)
        uri = "data:image/png;base64," + base64.b64encode(_png_rgba(rgba)).decode("ascii")
        x0, x1 = box.px(np.array(xr))
        y1, y0 = box.py(np.array(yr))
        return [
            f'<image x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            f'preserveAspectRatio="none" href="{uri}"/>'
        ]
    if t.type != "scatter" or not _visible(t):
        return []
    x, y = _array(t.x), _array(t.y)
    if x is None or y is None or not len(x):
        return []
    mode = t.mode or "lines"
    if "lines" in mode:
        # a NaN is a gap (Plotly's way of putting many lines in one trace): one polyline per run
        keep = np.isfinite(x) & np.isfinite(y)
        runs = np.split(np.arange(len(x)), np.flatnonzero(~keep))
        colour = (t.line.color if t.line is not None and t.line.color else None) or COLORWAY[index % len(COLORWAY)]
        parts = []
        for run in runs:
            run = run[keep[run]]
            if len(run) < 2:
                continue
            points = " ".join(f"{a:.0f} {b:.0f}" for a, b in zip(box.px(x[run]), box.py(y[run])))
            parts.append(f"M{points}")  # later pairs after M are line-tos
        if not parts:
            return []
        return [f'<path class="lines" fill="none" stroke="{colour}" stroke-width="1.5" d="{"".join(parts)}"/>']
    idx = _thin(len(x))
    colours = _colours(t, len(x), index)
    size = float(t.marker.size) if t.marker is not None and isinstance(t.marker.size, (int, float)) else 5.0
    radius = max(1.0, size / 2.5)
    # each point a zero-length stroke with round caps (a dot of the marker's size): one path per
    # colour, about a quarter of the bytes of a <circle> per point
    groups: dict[str, list[str]] = {}
    for i in idx:
        if np.isfinite(x[i]) and np.isfinite(y[i]):
            cx, cy = float(box.px([x[i]])[0]), float(box.py([y[i]])[0])
            groups.setdefault(colours[i] if i < len(colours) else colours[0], []).append(f"M{cx:.0f} {cy:.0f}h0")
    return [
        f'<path class="dots" stroke="{c}" stroke-width="{2 * radius:.1f}" stroke-linecap="round" d="{"".join(items)}"/>'
        for c, items in groups.items()
    ]


# -- PNG --------------------------------------------------------------------------------------


def _parse_colour(colour: str) -> tuple[int, int, int, int]:
    colour = colour.strip()
    if colour.startswith("#") and len(colour) == 7:
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255
    if colour.startswith("rgb"):
        values = [float(v) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")]
        alpha = values[3] if len(values) > 3 else 1.0
        return int(values[0]), int(values[1]), int(values[2]), int(255 * alpha)
    return 60, 60, 60, 255


def png(sf: Any) -> bytes:
    """The views of ``sf`` rasterised to an RGBA PNG (no text; the statement is a tEXt chunk)."""
    height, panels, fig = _layout(sf)
    canvas = np.full((height, WIDTH, 4), 255, np.uint8)

    def blend(ys: np.ndarray, xs: np.ndarray, rgba: tuple[int, int, int, int]) -> None:
        ok = (xs >= 0) & (xs < WIDTH) & (ys >= 0) & (ys < height)
        ys, xs = ys[ok], xs[ok]
        a = rgba[3] / 255
        canvas[ys, xs, :3] = (canvas[ys, xs, :3] * (1 - a) + np.array(rgba[:3]) * a).astype(np.uint8)

    for name, box, traces in panels:
        x0, y0, x1, y1 = (int(round(v)) for v in (box.x0, box.y0, box.x1, box.y1))
        canvas[y0:y1, x0:x1, :3] = 250
        canvas[y0, x0:x1, :3] = canvas[y1 - 1, x0:x1, :3] = canvas[y0:y1, x0, :3] = canvas[y0:y1, x1 - 1, :3] = 221
        for i, t in enumerate(traces):
            _png_trace(t, box, i, canvas, blend, (x0, y0, x1, y1))
        for shape in fig.layout.shapes:
            if shape.xref == sf.panels[name].xref and shape.x0 is not None:
                x = int(round(float(box.px([shape.x0])[0])))
                ys = np.arange(y0, y1, 3)
                blend(ys, np.full(len(ys), x), (136, 136, 136, 255))
    return _png_rgba(canvas, {"Title": "nbgen snapshot", "Description": describe(sf.session)})


def _png_trace(t: Any, box: _Box, index: int, canvas: np.ndarray, blend, bounds) -> None:
    x0, y0, x1, y1 = bounds

    def inside(ys: np.ndarray, xs: np.ndarray):
        ok = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
        return ys[ok], xs[ok]

    if t.type in ("image", "heatmap"):
        if t.type == "image":
            if not t.source:
                return
            pixels, alpha = png_to_array(t.source)
            rgb = pixels if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, -1)
            h, w = pixels.shape[:2]
            scale = min((x1 - x0) / w, (y1 - y0) / h)
            left, top = x0 + ((x1 - x0) - w * scale) / 2, y0 + ((y1 - y0) - h * scale) / 2
            width, height_px, opacity = w * scale, h * scale, alpha / 255
        else:
            surface = _surface(t)
            if surface is None:
                return
            z, xr, yr = surface
            rgb, alpha = _heat(t, z[::-1])
            opacity = np.full(z.shape, alpha / 255)
            left, right = box.px(np.array(xr))
            bottom, top = box.py(np.array(yr))
            width, height_px = right - left, bottom - top
        h, w = rgb.shape[:2]
        ys, xs = np.mgrid[int(top) : int(top + height_px), int(left) : int(left + width)]
        ys, xs = inside(ys.reshape(-1), xs.reshape(-1))
        sy = np.clip(((ys - top) / max(height_px, 1) * h).astype(int), 0, h - 1)
        sx = np.clip(((xs - left) / max(width, 1) * w).astype(int), 0, w - 1)
        a = opacity[sy, sx][:, None]
        canvas[ys, xs, :3] = (canvas[ys, xs, :3] * (1 - a) + rgb[sy, sx] * a).astype(np.uint8)
        return
    if t.type != "scatter" or not _visible(t):
        return
    x, y = _array(t.x), _array(t.y)
    if x is None or y is None or not len(x):
        return
    keep = np.isfinite(x) & np.isfinite(y)
    if "lines" in (t.mode or "lines"):
        colour = (t.line.color if t.line is not None and t.line.color else None) or COLORWAY[index % len(COLORWAY)]
        px, py = box.px(np.where(keep, x, 0.0)), box.py(np.where(keep, y, 0.0))
        joined = keep[:-1] & keep[1:]  # a NaN is a gap between lines, never a segment
        for a, b, c, d in zip(px[:-1][joined], py[:-1][joined], px[1:][joined], py[1:][joined]):
            n = int(max(abs(c - a), abs(d - b))) + 1
            xs = np.round(np.linspace(a, c, n)).astype(int)
            ys = np.round(np.linspace(b, d, n)).astype(int)
            for dy in (0, 1):
                blend(*inside(ys + dy, xs), _parse_colour(colour))
        return
    colours = _colours(t, len(x), index)
    for i in _thin(len(x)):
        if keep[i]:
            cx, cy = int(round(float(box.px([x[i]])[0]))), int(round(float(box.py([y[i]])[0])))
            ys, xs = np.mgrid[cy - 1 : cy + 2, cx - 1 : cx + 2]
            blend(*inside(ys.reshape(-1), xs.reshape(-1)), _parse_colour(colours[min(i, len(colours) - 1)]))


def compare_svg(comparison: Any, width: int = WIDTH, panel_height: int = 190) -> str:
    """Small multiples of a :class:`~nbgen.Comparison`: one panel per history metric,
    one line per run in the comparison's colours, a legend on top."""
    from .._compare import PALETTE

    metrics: list[str] = []
    for s in comparison.sessions:
        metrics += [m for m in s.history if m not in metrics]
    cols = min(3, max(1, len(metrics)))
    rows = max(1, -(-len(metrics) // cols))
    legend_h = 18 * len(comparison.labels) + 10
    height = legend_h + rows * (panel_height + 30)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f"<desc>nbgen comparison of {len(comparison.sessions)} runs</desc>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for i, label in enumerate(comparison.labels):
        colour = PALETTE[i % len(PALETTE)]
        y = 16 + 18 * i
        out.append(f'<line x1="10" x2="34" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" stroke-width="3"/>')
        out.append(f'<text x="40" y="{y}">{html.escape(label)}</text>')
    cell_w = (width - 20) / cols
    for j, m in enumerate(metrics):
        r, c = divmod(j, cols)
        x0, y0 = 10 + c * cell_w + 40, legend_h + r * (panel_height + 30) + 20
        x1, y1 = 10 + (c + 1) * cell_w - 10, y0 + panel_height - 20
        series = [np.asarray(s.history.get(m, []), dtype=np.float64) for s in comparison.sessions]
        log = m == "learning_rate"
        xr = (1.0, float(max([len(v) for v in series] + [2])))
        box = _Box(x0, y0, x1, y1, xr, _range(series, log), ylog=log)
        out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{y0 - 6:.1f}" text-anchor="middle">{html.escape(m)}</text>')
        out.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="#fafafa" stroke="#ddd"/>'
        )
        lo, hi = box.yr
        out.append(f'<text x="{x0 - 4:.1f}" y="{y1:.1f}" text-anchor="end" font-size="10">{lo:.3g}</text>')
        out.append(f'<text x="{x0 - 4:.1f}" y="{y0 + 10:.1f}" text-anchor="end" font-size="10">{hi:.3g}</text>')
        out.append(f'<text x="{x1:.1f}" y="{y1 + 12:.1f}" text-anchor="end" font-size="10">epoch {xr[1]:.0f}</text>')
        for i, v in enumerate(series):
            if len(v) == 0:
                continue
            xs = np.arange(1, len(v) + 1)
            keep = np.isfinite(v)
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(box.px(xs[keep]), box.py(v[keep])))
            out.append(
                f'<polyline fill="none" stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="1.5" points="{points}"/>'
            )
    out.append("</svg>")
    return "\n".join(out)


# Live front ends hide the static snapshot while the widget renders: the widget carries this
# style (a rendered widget means a live view is on the page). Where the widget cannot render
# (a saved notebook opened without a kernel, nbconvert's HTML, a code host), the style is
# absent and the snapshot shows. A live figure that cannot get Plotly's code (widget state
# rendered without a kernel, nbgen/ui/plotly_bundle.py) marks the page, and the snapshot shows.
HIDE_WHEN_LIVE = (
    "<style>html:not(.nbgen-no-live-figure) :is(.jp-OutputArea-child, .output_area):has(.nbgen-snapshot)"
    " { display: none; }</style>"
)


def bundle(sf: Any) -> dict[str, str]:
    """The display data of a snapshot: inline SVG in HTML (marked for hiding while the widget is
    live), the same SVG as an image for front ends without HTML, and the state as text."""
    picture = svg(sf)
    return {
        "text/html": f'<div class="nbgen-snapshot">{picture}</div>',
        "image/svg+xml": picture,
        "text/plain": describe(sf.session),
    }


__all__ = ["HIDE_WHEN_LIVE", "bundle", "compare_svg", "describe", "png", "static_figure", "svg"]
