"""Short text for hyperparameter changes: the loss panel's labels and the timeline's lines.

:func:`short_value` writes a value compactly (``0.001 -> "1e-3"``),
:func:`change_label` makes the loss panel's marker label of one timeline record
(``"lr 1e-3 -> 3e-4"``, names shortened by :data:`SHORT_NAMES`), and
:func:`timeline_line` the widget's full line for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

UPDATES = {0: "both", 1: "D only", 2: "G only"}  # a GAN's live "update" (session.step_once(part=...))
SHORT_NAMES = {"learning_rate": "lr", "batch_size": "batch", "d_steps": "d_steps", "beta": "beta", "epochs": "epochs"}


def short_value(value: Any) -> str:
    """Compact text for a hyperparameter value: ``0.001 -> "1e-3"``, ``3 -> "3"``."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0 or 0.01 <= abs(v) < 10_000:
            return f"{v:.3g}"
        mantissa, exponent = f"{v:.1e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    if isinstance(value, (tuple, list)):
        return ",".join(short_value(v) for v in value)
    return str(value)


def change_label(record: dict[str, Any]) -> str:
    """The loss panel's label of one timeline record: ``"lr 1e-3 -> 3e-4"``."""
    name = SHORT_NAMES.get(record["name"], record["name"])
    if record["name"] == "update":
        return f"update {UPDATES.get(record['new'], record['new'])}"
    return f"{name} {short_value(record['old'])} -> {short_value(record['new'])}"


def timeline_line(record: dict[str, Any]) -> str:
    """One timeline record as text: ``"step 120: learning_rate 0.001 -> 0.0003"``, with
    ``" (anneal)"`` after a drop the ``anneal`` schedule made."""

    def fmt(v: Any) -> str:
        if record["name"] == "update":  # a GAN's update: which networks the steps moved
            return UPDATES.get(v, str(v))
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    text = f"step {record['step']}: {record['name']} {fmt(record['old'])} -> {fmt(record['new'])}"
    return text + (" (anneal)" if record.get("by") == "anneal" else "")
