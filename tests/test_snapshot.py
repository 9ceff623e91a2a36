"""Static pictures: the snapshot in a shown session's display data, session.figure(), session.snapshot().

The end-to-end test executes a notebook with nbconvert (no browser), converts it to HTML,
checks the picture states the trained run, and opens the HTML in Chromium for a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import zlib

import nbformat
import numpy as np
import pytest

import nbgen
from nbgen.ui.pictures import StaticView
from nbgen.ui.show import show

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"


def _desc(svg_text: str) -> str:
    match = re.search(r"<desc>(.*?)</desc>", svg_text, re.S)
    assert match, "the SVG has no <desc>"
    return match.group(1)


def _png_text(data: bytes) -> dict[str, str]:
    out, pos = {}, 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if tag == b"tEXt":
            key, value = body.split(b"\0", 1)
            out[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return out


def test_snapshot_files_state_the_trained_run(tmp_path):
    s = nbgen.train("vae", "digits", epochs=3, hidden=(32,), progress=False)
    s.set(beta=0.5)
    last = f"loss {s.history['loss'][-1]:.4g}"
    svg_text = open(s.snapshot(tmp_path / "run.svg")).read()
    assert svg_text.startswith("<svg") and "finished after 3 epochs (33 steps)" in _desc(svg_text) and last in svg_text
    assert svg_text.count('class="lines"') == 3  # loss, reconstruction, kl
    assert svg_text.count("<image") >= 2  # reconstructions and samples
    assert 'stroke-dasharray="2,2"' in svg_text  # the beta change marker
    assert len(svg_text) < 150_000
    png = open(s.snapshot(tmp_path / "run.png"), "rb").read()
    assert png.startswith(b"\x89PNG") and "(33 steps)" in _png_text(png)["Description"]
    page = open(s.snapshot(tmp_path / "run.html")).read()
    assert "<svg" in page and "finished after 3 epochs" in page
    with pytest.raises(ValueError, match=r"must end in .png, .svg or .html"):
        s.snapshot(tmp_path / "run.jpg")
    fig = s.figure()
    loss = next(t for t in fig.data if t.name == "loss")
    assert len(loss.x) > 0 and loss.x[-1] == 33  # the static figure holds the trace points


def _panel_groups(svg_text: str) -> dict[str, str]:
    """What each panel of a snapshot SVG draws, by panel name."""
    return dict(
        re.findall(r'<g clip-path="url\(#clip-([\w-]+)\)">\n(.*?)</g>\n(?:<text|<clipPath|</g>)', svg_text, re.S)
    )


def _has_content(trace) -> bool:
    if trace.type == "image":
        return bool(trace.source)
    return trace.x is not None and len(trace.x) > 0


def test_pictures_have_no_blank_panel(tmp_path):
    # the decoded-click panel is empty until a click, which a picture cannot get: it is left
    # out of pictures and static figures (its row widens), and comes back once something is decoded
    s = show("vae", "digits", display=False, epochs=2, hidden=(32,))
    try:
        s.train()
        fig = s.figure()
        axes = [k[1:] for k in fig.layout.to_plotly_json() if k.startswith("xaxis")]  # "axis", "axis2"...
        for axis in axes:
            ref = "x" + axis[4:]
            assert any(_has_content(t) for t in fig.data if (t.xaxis or "x") == ref), f"subplot {ref} is empty"
        assert len(axes) == 4 and "Decoded from the latent click" not in [a.text for a in fig.layout.annotations]
        bottom = sorted(tuple(fig.layout[f"xaxis{i}"].domain) for i in (3, 4))
        assert bottom[0][0] == pytest.approx(0.0) and bottom[-1][1] == pytest.approx(1.0)  # the row is filled
        svg_text = s.snapshot()
        groups = _panel_groups(svg_text)
        assert set(groups) == {"loss", "latent", "reconstructions", "samples"}
        assert all(body.strip() for body in groups.values()), groups.keys()
        # the PNG: every quarter of the lower row (below the titles) has drawn pixels
        from nbgen.ui.png import png_to_array

        data = open(s.snapshot(tmp_path / "run.png"), "rb").read()
        pixels, _ = png_to_array("data:image/png;base64," + base64.b64encode(data).decode())
        lower = pixels[pixels.shape[0] * 2 // 3 :, :, :3].astype(int)
        for quarter in np.array_split(lower[:, 40:-20], 4, axis=1):
            assert (quarter.max(-1) < 200).any(), "a blank stretch in the lower row"
        # after a click in the latent panel, the decoded image is drawn as the fifth panel
        s.widget.figure.decode_at(0.0, 0.0)
        groups = _panel_groups(s.snapshot())
        assert set(groups) == {"loss", "latent", "reconstructions", "samples", "decoded"}
        assert "<image" in groups["decoded"]
        assert len([k for k in s.figure().layout.to_plotly_json() if k.startswith("xaxis")]) == 5
    finally:
        s.close()


def test_gan_snapshot_draws_the_decision_surface(tmp_path):
    s = nbgen.train("gan", "ring", epochs=2, progress=False)
    svg_text = s.snapshot()
    assert "gan on ring" in _desc(svg_text)
    assert svg_text.count('preserveAspectRatio="none"') == 1  # the D(x) shading
    assert svg_text.count("h0M") > 500  # real and generated points (dots: zero-length round strokes)


def test_stop_and_run_end_refresh_the_display(monkeypatch):
    updates = []
    monkeypatch.setattr(
        "IPython.display.update_display", lambda bundle, display_id, raw: updates.append((display_id, bundle))
    )
    s = show("ae", "moons", display=False, hidden=(16,), epochs=200)
    view = s.widget
    view.displayed = True  # as show(display=True) marks it
    try:
        bundle = view.snapshot_bundle()  # shown under the widget by show()
        assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
        assert "idle after 0 epochs" in _desc(bundle["image/svg+xml"])
        assert bundle["text/html"].startswith('<div class="nbgen-snapshot"><svg')
        assert "application/vnd.jupyter.widget-view+json" in view._repr_mimebundle_()
        # the live widget carries the style that hides the snapshot while it renders
        assert any("nbgen-snapshot" in getattr(c, "value", "") for c in view.children)
        s.train(block=False)
        while s.epoch < 2:
            pass
        view.stop_button.click()
        s.wait()
        assert view.flush()
        assert updates and updates[-1][0] == view.display_id
        assert "stopped after" in _desc(updates[-1][1]["image/svg+xml"])
        n = len(updates)
        s.train(1)  # a blocking run refreshes it in the caller's thread
        assert len(updates) > n and "finished" in _desc(updates[-1][1]["image/svg+xml"])
    finally:
        s.close()


@pytest.mark.slow
def test_executed_notebook_and_its_html_show_the_trained_state(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell('import nbgen\nsession = nbgen.show("vae", "digits", epochs=5)'),
            nbformat.v4.new_code_cell("session.train()"),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "course.ipynb"
    nbformat.write(nb, src)
    env = {**os.environ, "PYTHONPATH": ROOT}
    jupyter = [sys.executable, "-m", "jupyter", "nbconvert"]
    # the notebook's outputs only (no widget state): what a saved notebook holds
    run = subprocess.run(
        [*jupyter, "--execute", "--ExecutePreprocessor.store_widget_state=False", "--to", "notebook"]
        + ["--output", "executed.ipynb", str(src)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    executed = tmp_path / "executed.ipynb"
    assert executed.stat().st_size < 200_000, executed.stat().st_size
    outputs = json.loads(executed.read_text())["cells"][0]["outputs"]
    kinds = [sorted(o.get("data", {})) for o in outputs]
    assert kinds[0] == ["application/vnd.jupyter.widget-view+json", "text/plain"], kinds  # the widget
    out = outputs[1]["data"]  # and the picture under it, refreshed when the run ended
    svg_text = "".join(out["image/svg+xml"]) if isinstance(out["image/svg+xml"], list) else out["image/svg+xml"]
    assert "finished after 5 epochs (55 steps)" in _desc(svg_text)
    html = subprocess.run(
        [*jupyter, "--to", "html", str(executed)], capture_output=True, text=True, env=env, timeout=120
    )
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "executed.html").read_text()
    # the snapshot is inline SVG in the page (its HTML form has priority over the image form)
    ours = re.findall(r'<div class="nbgen-snapshot">(<svg.*?</svg>)', page, re.S)
    assert len(ours) == 1 and "finished after 5 epochs (55 steps)" in _desc(ours[0])
    # the one-step command with nbclient's defaults (the widgets' state stored in the page): the
    # widget needs a widget manager from a CDN, which an offline page lacks; the snapshot is a
    # separate output, so it is there all the same
    direct = subprocess.run(
        [*jupyter, "--execute", "--to", "html", "--output", "direct.html", str(src)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert direct.returncode == 0, direct.stderr
    page_direct = (tmp_path / "direct.html").read_text()
    found = re.findall(r'<div class="nbgen-snapshot">(<svg.*?</svg>)', page_direct, re.S)
    assert len(found) == 1 and "finished after 5 epochs (55 steps)" in _desc(found[0])
    # look at it: a real browser renders the exported page
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail(f"{CHROMIUM} is missing (CI=true: the rendering check must run)")
        pytest.skip(f"{CHROMIUM} is missing")
    shot = str(tmp_path / "exported_html.png")
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        + ["--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chr'}"]
        + [f"--screenshot={shot}", "--window-size=1100,900", f"file://{tmp_path / 'executed.html'}"],
        capture_output=True,
        timeout=120,
    )
    data = open(shot, "rb").read()
    assert data.startswith(b"\x89PNG")
    # the screenshot is not blank: the picture's grey and coloured pixels are there
    pos, idat = 8, b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    assert len(set(raw[::97])) > 20


def _fake_colab(monkeypatch, enable):
    import types

    from nbgen.ui import frontends

    frontends._enable_colab_widgets.cache_clear()
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = enable
    output._widgets = types.SimpleNamespace(_installed_url="https://colab.example/manager.js")
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    return frontends


def test_colab_gets_its_custom_widget_manager_enabled(monkeypatch):
    calls = []
    frontends = _fake_colab(monkeypatch, lambda: calls.append(1))
    try:
        s = show("ae", "moons", display=False, hidden=(16,))
        data, metadata = s.widget._repr_mimebundle_()
        assert calls  # enabled (nbgen asks once; Plotly's anywidget asks too)
        assert metadata["application/vnd.jupyter.widget-view+json"]["colab"]["custom_widget_manager"]["url"]
        assert "application/vnd.jupyter.widget-view+json" in data
        s.close()
    finally:
        frontends._enable_colab_widgets.cache_clear()


def test_without_widgets_show_falls_back_to_the_snapshot_and_a_progress_line(monkeypatch, capsys):
    def refuse():
        raise RuntimeError("no custom widgets here")

    frontends = _fake_colab(monkeypatch, refuse)
    updates = []
    monkeypatch.setattr(
        "IPython.display.update_display", lambda bundle, display_id, raw: updates.append((display_id, bundle))
    )
    try:
        s = show("ae", "moons", display=False, hidden=(16,), epochs=3)
        assert isinstance(s.widget, StaticView)
        bundle = s._repr_mimebundle_()
        assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
        assert "idle after 0 epochs" in _desc(bundle["image/svg+xml"])
        s.widget.displayed = True
        s.train()
        out = capsys.readouterr().out
        assert "epoch 3/3" in out and "finished after 3/3 epochs" in out
        assert updates and "finished after 3 epochs" in _desc(updates[-1][1]["image/svg+xml"])
        s.close()
    finally:
        frontends._enable_colab_widgets.cache_clear()


def test_static_display_can_be_forced(monkeypatch):
    monkeypatch.setenv("NBGEN_DISPLAY", "static")
    s = show("ae", "moons", display=False, hidden=(16,))
    assert isinstance(s.widget, StaticView)
    s.close()
