"""The message of :class:`nbgen.TrainingDiverged`: where the loss blew up, what was rolled back,
and what to try (a lower learning rate, a smaller beta, data with extreme values)."""

from __future__ import annotations

from typing import Any

OUTLIER_HINT = 20.0  # model-unit values beyond this make a divergence message name the data


def diverged_message(at: int, bad: list[str], step: int, live: dict[str, Any], dataset: Any) -> str:
    """The message for a loss that became NaN or infinite at step ``at`` (the weights rolled
    back to ``step``), with the live values ``live`` and the training ``dataset``."""
    lr = f" with learning_rate={live['learning_rate']:g}" if "learning_rate" in live else ""
    return (
        f"training diverged at step {at}: {', '.join(bad)} became NaN or infinite{lr}. The weights were rolled "
        f"back to step {step}, the last finite state, and the history is kept. "
        + _divergence_hint(live)
        + _data_scale_hint(dataset)
    )


def _divergence_hint(live: dict[str, Any]) -> str:
    if "learning_rate" not in live:
        return "Try a lower learning rate."
    return (
        f"Try a lower learning_rate (for example {live['learning_rate'] / 10:g})"
        + (" or a smaller beta" if "beta" in live else "")
        + "."
    )


def _data_scale_hint(ds: Any) -> str:
    """A sentence on the data's scale when it may be why the loss blew up."""
    big = ds.max_abs
    if big <= OUTLIER_HINT:
        return ""
    units = "after standardising, " if ds.scaling.kind == "standardise" else ""
    return (
        f" The data's scale may be the cause: {units}its values reach {big:.3g} in the model's units "
        f"({ds.scaling.describe()}); clip or transform extreme values (for example a log) and try again."
    )
