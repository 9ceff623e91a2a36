"""A Jupyter kernel driven from Python, as a frontend would drive it.

:class:`Kernel` starts this interpreter's ``ipykernel_launcher`` (through a
temporary kernel spec, so no installed spec is needed) with the repository on
``PYTHONPATH``, runs code in it and reads values back, and plays the
frontend's side of the widget protocol: ``comm_msg`` messages on the shell
channel (slider value updates, button clicks) exactly like JupyterLab sends.

Used by tests/test_widget.py and by the benchmarks in benchmarks/ (which put
this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import queue
import sys
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]


class Kernel:
    """A running kernel plus the frontend side of the widget protocol."""

    def __init__(self, tmp: Path):
        spec_dir = tmp / "kernels" / "nbgen-test"
        spec_dir.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (spec_dir / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "nbgen test", "language": "python"})
        )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        self.km = KernelManager(
            kernel_name="nbgen-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp / "kernels")])
        )
        self.km.start_kernel(env=env, cwd=str(tmp))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.stderr: list[str] = []

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def execute(self, code: str, timeout: float = 120) -> list[dict]:
        """Run code; return its iopub messages; raise with the traceback on error."""
        return self.until_idle(self.kc.execute(code), timeout, what=f"the kernel running:\n{code}\n")

    def until_idle(self, msg_id: str, timeout: float = 120, what: str = "the cell", errors: bool = False) -> list[dict]:
        """The iopub messages of a cell already sent (``kc.execute``), until it ends; raises with
        the traceback on error (``errors=True``: returns the error among the messages), and says
        ``what`` did not end in time."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{what} did not end within {timeout:.0f} s") from None
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                self.stderr.append(msg["content"]["text"])  # also from background threads
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            out.append(msg)
            if msg["msg_type"] == "error" and not errors:
                raise AssertionError("kernel error:\n" + "\n".join(msg["content"]["traceback"]))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out

    def run(self, code: str, timeout: float = 120) -> str:
        """Run code; return what it printed."""
        out = [m["content"]["text"] for m in self.execute(code, timeout) if m["msg_type"] == "stream"]
        return "".join(out)

    def value(self, expr: str, timeout: float = 120):
        """The JSON value of an expression evaluated in the kernel."""
        text = self.run(f"import json as _json; print(_json.dumps({expr}))", timeout)
        return json.loads(text.strip().splitlines()[-1])

    def wait_for(self, expr: str, timeout: float = 60.0, poll: float = 0.1):
        """Poll a kernel expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.value(expr)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{expr} stayed {value!r} for {timeout} s")
            time.sleep(poll)

    # -- the frontend's side of the widget protocol ---------------------------------
    def comm_msg(self, comm_id: str, data: dict) -> None:
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.shell_channel.send(msg)

    def set_value(self, model_id: str, **state) -> None:
        """What the browser sends when the user moves a slider or edits a field."""
        self.comm_msg(model_id, {"method": "update", "state": state, "buffer_paths": []})

    def click(self, model_id: str) -> None:
        """What the browser sends when the user clicks a button."""
        self.comm_msg(model_id, {"method": "custom", "content": {"event": "click"}})


def module_kernel(tmp_path_factory, setup: str, name: str = "kernel"):
    """A test module's kernel (a fixture's body: ``yield from module_kernel(...)``): ``setup`` run
    first, closed at the end, and no traceback on its stderr."""
    k = Kernel(tmp_path_factory.mktemp(name))
    k.run(setup)
    yield k
    k.close()
    assert "Traceback" not in "".join(k.stderr), "".join(k.stderr)
