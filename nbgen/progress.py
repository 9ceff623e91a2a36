"""A one-line text progress bar for headless training (terminal and notebook alike).

It listens to a session's events, so it knows nothing of widgets: epoch, the model's loss
(:func:`headline`), samples per second and an ETA, redrawn in place with a carriage return at most a few
times a second. The first epoch says that it is compiling.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO


def default_enabled() -> bool:
    """On in a terminal and in a notebook; off under ``CI=true`` or when output is a pipe or file."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
            return True
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        pass
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def headline(metric_names: Sequence[str]) -> tuple[str, ...]:
    """The metrics a progress line shows, from a model's ``metric_names``: ``loss`` when it has
    one (autoencoder, VAE, diffusion), else its first two (a GAN's ``d_loss`` and ``g_loss``,
    the first columns of the CLI's table; not the InfoGAN ``code_loss``).

    Example:
        >>> headline(("loss", "reconstruction", "kl")), headline(("d_loss", "g_loss", "code_loss"))
        (('loss',), ('d_loss', 'g_loss'))
    """
    names = tuple(metric_names)
    return ("loss",) if "loss" in names else names[:2]


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


class ProgressLine:
    """Prints ``prefix epoch e/E | loss ... | N samples/s | ETA m:ss`` for one run of a session.

    Args:
        total_epochs: the epochs this run will train.
        prefix: text before the bar (a sweep puts ``run 2/6 (beta=1)`` there).
        stream: where to write (default: standard error).
        interval: the least number of seconds between redraws.
        metrics: the step metrics to show (default: ``loss``, else the first one reported);
            :func:`attach` passes the session's model's :func:`headline`.
    """

    def __init__(
        self,
        total_epochs: int,
        prefix: str = "",
        stream: TextIO | None = None,
        interval: float = 0.25,
        metrics: Sequence[str] | None = None,
    ):
        self.total = int(total_epochs)
        self.prefix = prefix
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.start = time.perf_counter()
        self.first_epoch = None
        self.epochs = 0
        self.names = tuple(metrics) if metrics else None
        self.metric: list[tuple[str, float]] | None = None
        self.rate = float("nan")
        self.compiling = True
        self._last = 0.0
        self._width = 0
        self.write(f"epoch 0/{self.total} | compiling the training step ...", force=True)

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "steps":
            self.compiling = False
            self.rate = float(event.get("samples_per_sec", float("nan")))
            metrics = event.get("metrics") or {}
            if metrics:
                names = self.names or (("loss",) if "loss" in metrics else (next(iter(metrics)),))
                shown = [(n, float(metrics[n][-1])) for n in names if n in metrics and len(metrics[n])]
                self.metric = shown or self.metric
            self.redraw()
        elif kind == "epoch":
            self.epochs += 1
            if self.first_epoch is None:
                self.first_epoch = time.perf_counter()
            self.redraw(force=self.epochs == self.total)

    def eta(self) -> float | None:
        """Seconds left, from the epochs after the first (which includes the compile)."""
        if self.epochs >= self.total:
            return 0.0
        if self.epochs < 2 or self.first_epoch is None:
            return None
        per_epoch = (time.perf_counter() - self.first_epoch) / (self.epochs - 1)
        return per_epoch * (self.total - self.epochs)

    def redraw(self, force: bool = False) -> None:
        parts = [f"epoch {self.epochs}/{self.total}"]
        if self.compiling:
            parts.append("compiling the training step ...")
        if self.metric is not None:
            parts.append(self._metric_text())
        if self.rate == self.rate:  # not NaN
            parts.append(f"{self.rate:,.0f} samples/s")
        eta = self.eta()
        parts.append("ETA " + ("?" if eta is None else clock(eta)))
        self.write(" | ".join(parts), force=force)

    def _metric_text(self) -> str:
        return ", ".join(f"{name} {value:.4g}" for name, value in self.metric or ())

    def write(self, text: str, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        line = f"{self.prefix}{text}"
        pad = max(self._width - len(line), 0)
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def close(self, status: str = "finished") -> None:
        """Print the final line and a newline."""
        took = clock(time.perf_counter() - self.start)
        summary = f"{status} after {self.epochs}/{self.total} epochs in {took}"
        if self.metric is not None:
            summary += " | " + self._metric_text()
        self.write(summary, force=True)
        self.stream.write("\n")
        self.stream.flush()


def attach(session: Any, total_epochs: int, prefix: str = "", stream: TextIO | None = None):
    """Subscribe a :class:`ProgressLine` to ``session``; returns ``(line, unsubscribe)``."""
    model = getattr(session, "generative_model", None)
    names = headline(model.metric_names) if model is not None and model.metric_names else None
    line = ProgressLine(total_epochs, prefix=prefix, stream=stream, metrics=names)
    unsubscribe: Callable[[], None] = session.subscribe(line)
    return line, unsubscribe
