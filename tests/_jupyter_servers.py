"""Start and stop JupyterLab and Voila servers for the browser tests.

Each server runs in its own process group, on 127.0.0.1 and a free port, with
temporary Jupyter/IPython config, runtime and data directories (the front-end
extensions installed in ``sys.prefix/share/jupyter`` stay visible: that path
is always on Jupyter's search path). :meth:`Server.stop` ends the server and
every process it started, kernels included (Jupyter starts kernels in a new
session, so killing the server's process group alone would leave them behind),
and reports any process that survived.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil  # ipykernel depends on it

NEWS_OVERRIDE = {
    # the "get notified about Jupyter news" toast covers the page
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_overrides() -> Path:
    """Merge the news/update-check override into ``<sys.prefix>/share/jupyter/lab/settings/overrides.json``."""
    path = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current: dict = {}
    if path.exists():
        try:
            current = json.loads(path.read_text() or "{}")
        except json.JSONDecodeError:
            current = {}  # a broken file would break JupyterLab's settings: replace it
    merged = dict(current)
    for plugin, values in NEWS_OVERRIDE.items():
        merged[plugin] = {**merged.get(plugin, {}), **values}
    if merged != current:
        path.write_text(json.dumps(merged, indent=2) + "\n")
    return path


def isolated_env(home: Path) -> dict[str, str]:
    """Environment with Jupyter/IPython config, runtime and data dirs under ``home``."""
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR", "data"),
        ("IPYTHONDIR", "ipython"),
    ):
        d = home / sub
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Server:
    """A server subprocess in its own process group, logging to ``log_path``."""

    def __init__(self, argv: list[str], *, env: dict[str, str], cwd: Path, log_path: Path, port: int):
        self.argv = argv
        self.port = port
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log_path, "wb")  # noqa: SIM115 - open for the server's lifetime, closed in stop()
        self.proc = subprocess.Popen(
            argv, env=env, cwd=str(cwd), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._seen: dict[int, psutil.Process] = {}
        self.killed_late: list[int] = []  # processes the server left behind (we ended them)

    # -- waiting ------------------------------------------------------------------
    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.argv[2] if len(self.argv) > 2 else self.argv[0]} exited with code {self.proc.returncode}:\n"
                + self.log_tail()
            )

    def wait_http(self, path: str = "/api/status", timeout: float = 120.0) -> None:
        """Poll ``path`` until it answers 200 (raise with the server's log on timeout or exit)."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as r:
                    if r.status == 200:
                        return
                    last = r.status
            except (urllib.error.URLError, OSError) as exc:
                last = exc
            time.sleep(0.5)
        raise TimeoutError(f"{self.url}{path} not ready after {timeout:.0f} s (last: {last!r}):\n{self.log_tail()}")

    def wait_port(self, timeout: float = 120.0) -> None:
        """Wait until the TCP port accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"port {self.port} not open after {timeout:.0f} s:\n{self.log_tail()}")

    # -- stopping -------------------------------------------------------------------
    def _remember_descendants(self) -> None:
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for p in procs:
            self._seen.setdefault(p.pid, p)  # psutil.Process checks its create time: no pid-reuse mix-ups

    def stop(self, grace: float = 15.0) -> list[str]:
        """Stop the server and everything it started; return descriptions of survivors (none expected)."""
        self._remember_descendants()
        pgid = self.proc.pid  # start_new_session: the server leads its own group
        if self.proc.poll() is None:
            try:
                os.killpg(pgid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(pgid, signal.SIGKILL)  # anything left in the server's group
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        # kernels run in their own sessions: end the ones the server did not
        alive = []
        for p in self._seen.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        for p in alive:
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        _, still = psutil.wait_procs(alive, timeout=5)
        for p in still:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        _, still = psutil.wait_procs(still, timeout=5)
        survivors = []
        for p in still:
            try:
                survivors.append(f"pid {p.pid}: {' '.join(p.cmdline())}")
            except psutil.NoSuchProcess:
                pass
        self.killed_late = [p.pid for p in alive]
        self._log.close()
        return survivors


def _start_jupyter_app(module: str, root_dir: Path, home: Path, log_path: Path, *extra: str) -> Server:
    """A Jupyter server application (``jupyterlab``, ``notebook``) on 127.0.0.1, no token."""
    write_lab_overrides()
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        module,
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--allow-root",
        f"--ServerApp.root_dir={root_dir}",
        *extra,
    ]
    return Server(argv, env=isolated_env(home), cwd=root_dir, log_path=log_path, port=port)


def start_jupyterlab(root_dir: Path, home: Path, log_path: Path) -> Server:
    """JupyterLab on 127.0.0.1, no token, serving ``root_dir``; call ``wait_http()`` next."""
    return _start_jupyter_app(
        "jupyterlab", root_dir, home, log_path, "--LabServerApp.workspaces_dir=" + str(home / "workspaces")
    )


def start_notebook7(root_dir: Path, home: Path, log_path: Path) -> Server:
    """Jupyter Notebook 7 on 127.0.0.1, no token, serving ``root_dir``; call ``wait_http()`` next."""
    return _start_jupyter_app("notebook", root_dir, home, log_path)


def start_voila(notebook: Path, home: Path, log_path: Path) -> Server:
    """Voila serving ``notebook`` on 127.0.0.1; call ``wait_port()`` next (its /api/status answers 403)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--show_tracebacks=True",
    ]
    return Server(argv, env=isolated_env(home), cwd=notebook.parent, log_path=log_path, port=port)
