"""The widget's stepping row, beside Train and Step: one dispatch, a discriminator-only and a
generator-only step for a GAN, and a slow-motion slider (seconds between one-step
dispatches). Each button calls :class:`nbgen.stepping.Stepping`'s methods, so a click is
exactly what ``session.step_once(part=...)`` / ``session.dispatch_once()`` does in code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..stepping import MAX_DELAY


class StepControls:
    """The row; ``box`` holds it. Its buttons are enabled when the Step button is (not while
    training), and the D/G buttons are shown for a GAN only."""

    def __init__(
        self, session: Any, step_button: widgets.Button, status_line: widgets.HTML, run_action: Callable[..., bool]
    ):
        self.session = session
        self._run_action = run_action

        def button(label: str, css: str, tooltip: str, handler: Callable[[Any], None]) -> widgets.Button:
            b = widgets.Button(description=label, tooltip=tooltip, layout=widgets.Layout(width="90px"))
            b.add_class(css)
            b.on_click(handler)
            return b

        self.dispatch_button = button("Dispatch", "nbgen-dispatch", "the steps of one compiled call",
                                      lambda _: self._step(None, dispatch=True))  # fmt: skip
        self.d_step_button = button("D step", "nbgen-step-d", "one step updating the discriminator only",
                                    lambda _: self._step("d"))  # fmt: skip
        self.g_step_button = button("G step", "nbgen-step-g", "one step updating the generator only",
                                    lambda _: self._step("g"))  # fmt: skip
        old = self.g_step_button.layout
        self.g_step_button.layout = self.d_step_button.layout  # shown and hidden together: one layout model
        old.close()
        self.slow_motion = widgets.FloatSlider(
            value=session.slow_motion, min=0.0, max=min(2.0, MAX_DELAY), step=0.05, description="slow motion (s)",
            style={"description_width": "initial"}, continuous_update=False,
            tooltip="seconds between dispatches of one step each while training (0: full speed)",
        )  # fmt: skip
        self.slow_motion.add_class("nbgen-slow-motion")
        self.slow_motion.observe(self._on_slow, names="value")
        self.box = widgets.HBox(
            [self.dispatch_button, self.d_step_button, self.g_step_button, self.slow_motion],
            layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
        )
        self.box.add_class("nbgen-stepping")
        self._step_button = step_button
        step_button.observe(lambda _: self.refresh(), names="disabled")
        status_line.observe(lambda _: self.refresh(), names="value")  # after a Reset to another model too
        self.refresh()

    @property
    def buttons(self) -> tuple[widgets.Button, ...]:
        return (self.dispatch_button, self.d_step_button, self.g_step_button)

    def refresh(self) -> None:
        """Follow the Step button's state; show D/G for a model that has both networks."""
        for b in self.buttons:
            b.disabled = self._step_button.disabled
        gan = "update" in self.session.run.live
        for b in (self.d_step_button, self.g_step_button):
            b.layout.display = None if gan else "none"

    def _step(self, part: str | None, dispatch: bool = False) -> None:
        s = self.session
        to = s.step + 1
        words = {None: "", "d": " (the discriminator only)", "g": " (the generator only)"}[part]

        def action() -> int:
            if dispatch:
                return s.dispatch_once(block=False)
            s.step_once(part=part, block=False)
            return 1

        notice = (lambda n: f"One dispatch: {n} step{'s' if n > 1 else ''}.") if dispatch else f"One step{words}: to step {to}."
        self._run_action(action, notice)

    def _on_slow(self, change: dict) -> None:
        def action() -> None:
            self.session.slow_motion = float(change["new"])

        seconds = change["new"]
        self._run_action(action, f"Slow motion: {seconds:g} s between steps." if seconds else "Full speed.")
