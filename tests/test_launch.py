"""nbgen.show() in a real kernel puts its frame (Train, Pause, Stop, Reset and a status line) on
screen before the session exists; the session's widget then takes the frame's place and its
buttons; a click made while the cell still runs is honoured; a failure is written in the frame."""

from __future__ import annotations

import time

import pytest
from _kernel import Kernel

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(tmp_path_factory.mktemp("launch"))
    yield k
    k.close()


def _opened(messages: list[dict]) -> dict[str, dict]:
    """comm id -> the state its model opened with."""
    return {m["content"]["comm_id"]: m["content"]["data"]["state"] for m in messages if m["msg_type"] == "comm_open"}


def test_the_frame_is_shown_before_the_session_and_becomes_its_widget(kernel):
    kernel.run("import nbgen")
    msg_id = kernel.kc.execute('s = nbgen.show("vae", "digits", epochs=1)')
    messages = kernel.until_idle(msg_id)
    opened = _opened(messages)
    displays = [
        i for i, m in enumerate(messages) if m["msg_type"] == "display_data" and WIDGET_VIEW in m["content"]["data"]
    ]
    assert len(displays) == 1, "one widget display: the frame, which the session's widget fills"
    first_display = displays[0]
    frame_id = messages[first_display]["content"]["data"][WIDGET_VIEW]["model_id"]
    assert "nbgen-launch" in opened[frame_id]["_dom_classes"]
    # the frame was on screen before the session's figure existed (Plotly's widget opens later)
    figure_opened = [
        i
        for i, m in enumerate(messages)
        if m["msg_type"] == "comm_open"
        and (
            "Figure" in str(m["content"]["data"]["state"].get("_model_name"))
            or "_anywidget_id" in m["content"]["data"]["state"]
        )
    ]
    assert figure_opened and min(figure_opened) > first_display
    facts = kernel.value(
        "{'train': s.widget.train_button.model_id, 'frame_children': [c.model_id for c in s.widget._launcher.box.children],"
        " 'widget': s.widget.model_id, 'status_is_frames': s.widget.status_line is s.widget._launcher.status}"
    )
    assert facts["frame_children"] == [facts["widget"]] and facts["status_is_frames"]
    train_opened = opened[facts["train"]]
    assert train_opened["description"] == "Train"
    train_open = next(
        i for i, m in enumerate(messages) if m["msg_type"] == "comm_open" and m["content"]["comm_id"] == facts["train"]
    )
    assert train_open < first_display, "the widget's Train button is the frame's, on screen from the start"


def test_a_train_click_made_while_the_cell_builds_is_honoured(kernel):
    kernel.run("import nbgen")
    msg_id = kernel.kc.execute('import time\ns = nbgen.show("vae", "digits", epochs=1)\ntime.sleep(2)')
    train_id = None
    deadline = time.monotonic() + 60
    while train_id is None and time.monotonic() < deadline:  # the frame's Train button, as the browser sees it
        msg = kernel.kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "comm_open":
            state = msg["content"]["data"]["state"]
            if state.get("description") == "Train":
                train_id = msg["content"]["comm_id"]
    assert train_id is not None
    kernel.click(train_id)  # the cell is still running: the kernel reads this when it ends
    kernel.until_idle(msg_id)
    assert kernel.wait_for("s.step > 0 and not s.running", timeout=120)
    assert kernel.value("s.status") == "finished"


def test_a_failure_while_building_is_written_in_the_frame(kernel):
    kernel.run("import nbgen")
    msg_id = kernel.kc.execute('nbgen.show("vea", "digits")')
    messages = kernel.until_idle(msg_id, errors=True)
    errors = [m for m in messages if m["msg_type"] == "error"]
    assert errors and "vea" in errors[0]["content"]["evalue"]
    updates = [
        m["content"]["data"]["state"].get("value", "")
        for m in messages
        if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update"
    ]
    assert any("ValueError" in u and "vea" in u and "c62828" in u for u in updates), updates
