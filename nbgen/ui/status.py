"""What the panel says in words: the progress line and the status line of a session."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from ..engine import TrainingDiverged

if TYPE_CHECKING:
    from ..session import Session

RED = "#c62828"


def progress(s: Session) -> tuple[int, int, str]:
    """The progress bar's value and maximum, and the line beside it (epochs, steps, speed, time left)."""
    run = s.run
    step = s.step
    per_epoch = max(len(s.dataset.x_train) // max(run.batch_size, 1), 1)
    planned = run.planned_steps
    if s.running or planned > step:  # a run going on, or one that was stopped early
        total = max(planned, step)
    elif step == 0:  # nothing yet: show what Train will do
        total = int(s.hyperparameters["epochs"]) * per_epoch
    else:  # finished
        total = step
    total = max(total, 1)
    target = s.epoch + math.ceil(max(total - step, 0) / per_epoch)
    parts = [f"epoch {s.epoch}/{target}", f"step {step}/{total}"]
    rate = run.samples_per_sec
    if s.running and math.isfinite(rate) and rate > 0:
        left = (total - step) * run.batch_size / rate
        parts.append(f"{rate:,.0f} samples/s")
        parts.append(f"~{duration(left)} left")
    return min(step, total), total, " &middot; ".join(parts)


def status_text(s: Session) -> tuple[str, str | None]:
    """The status line's sentence for the session's state, and its colour (red for an error)."""
    status = s.status
    where = f"{s.kind} on {s.dataset.name}"
    color = None
    if status == "error":
        err = s.error
        color = RED
        if isinstance(err, TrainingDiverged):
            text = (
                f"Training diverged: {err} Lower the learning rate, then press Train to continue, "
                "or Reset to start over."
            )
        else:
            text = (
                f"Training failed: {type(err).__name__}: {err}. Press Reset to rebuild the model, then "
                "Train (session.wait() re-raises this error)."
            )
    elif status == "running":
        text = f"Training {where}..."
    elif status == "paused":
        text = f"Paused at step {s.step}: press Resume to continue or Stop to end the run."
    elif status == "stopped":
        text = f"Stopped at step {s.step}: press Train to continue or Reset to start over."
    elif status == "finished":
        text = f"Finished {s.epoch} epochs ({s.step} steps). Press Train to train more, or Save."
    else:
        text = f"Ready: {where}. Press Train." if s.step == 0 else f"Ready at step {s.step}: press Train."
    return text, color


def short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def span(text: str, color: str | None) -> str:
    style = f" style='color:{color}'" if color else ""
    return f"<span{style}>{html.escape(text)}</span>"


def duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


