"""``nbgen.show()``'s work in the ui: build the session, its live widget (or the static view where
widgets cannot render), and display it, in the frame that ``nbgen.show()`` put on screen first."""

from __future__ import annotations

from typing import Any

from ..session import Session
from . import frontends, pictures, plotly_bundle
from .drawpad import MIN_POINTS, DrawPad, drawn
from .lean import lean_models
from .widget import SessionWidget


def show(
    model: str = "vae",
    data: Any = "digits",
    *,
    autostart: bool = False,
    display: bool = True,
    launcher: Any = None,
    controls: Any = None,
    plot_view: Any = None,
    **hyperparameters: Any,
) -> Session:
    """Build a session, display its live widget and return the session.

    Args:
        model: ``"autoencoder"`` (or ``"ae"``), ``"vae"``, ``"gan"`` or ``"diffusion"``, or a model object.
        data: a data set name or arrays, as for :class:`nbgen.Session`; or ``"draw"`` (or a
            :class:`~nbgen.ui.drawpad.DrawPad`): a pad to draw 2-D data on is shown above the
            panel, and its "Use these points" makes the drawing the session's data.
        autostart: start training at once (in the background) rather than on Train.
        display: display the widget now (``False``: display ``session`` later).
        launcher: the frame ``nbgen.show()`` displayed at once (:mod:`nbgen.ui.launch`): the
            widget takes its place, and its buttons and status line.
        controls: show, hide or lock controls by name (:mod:`nbgen.ui.teacher`).
        plot_view: the plot options (``log_y``, ``smoothing``, ``x``; ``projection``: "pca" or "tsne").
        **hyperparameters: as for :class:`nbgen.Session`.

    Returns:
        The session; ``session.widget`` is the widget, ``session.close()`` ends both.

    Example:
        >>> session = nbgen.show("vae", "digits", epochs=20)  # doctest: +SKIP
    """
    live = frontends.widgets_available()
    if live and display:
        plotly_bundle.preload()  # the page starts loading Plotly while the session is built
    pad = None
    if isinstance(data, str) and data == "draw" or isinstance(data, DrawPad):
        pad = data if isinstance(data, DrawPad) else DrawPad()
        if len(pad.points) < MIN_POINTS:
            raise ValueError(
                f"data: the pad holds {len(pad.points)} points; a data set needs at least {MIN_POINTS}: draw "
                "some, or start from a preset (DrawPad(preset='three blobs'))"
            )
        data = drawn(pad.points)
    session = Session(model, data, **hyperparameters)
    if not live:  # e.g. Colab without its widget manager
        view: Any = pictures.StaticView(session)
        session.widget = view
        if autostart:
            session.train(block=False)
    else:
        if autostart and not controls:
            # start first: the step compiles (releasing the GIL) while the view is built
            session.train(block=False)
        if launcher is not None:
            launcher.say("drawing the views")
        with lean_models():  # a notebook saved with its widget state stays small
            view = SessionWidget(session, launcher, controls=controls, view=plot_view)
        session.widget = view
        if autostart and controls:  # a bad name in controls has been refused before any run
            session.train(block=False)
        if pad is not None:
            pad.bind(session)
            view.drawpad = pad
    if display and not frontends.in_ipython():
        # a plain ``python`` script: IPython's display() would print the widget's text and the
        # whole SVG snapshot; say what to do instead, once
        print(
            f"nbgen.show(): the live widget needs Jupyter (an IPython kernel); here it returns the session "
            f"({session.kind} on {session.dataset.name}): call session.train(), session.snapshot('run.png')"
        )
    elif display:
        from IPython.display import display as ipy_display

        if isinstance(view, SessionWidget):
            if launcher is not None:
                view.figure.sync_state()
                launcher.hand_over(view, above=None if pad is None else pad.box)
            else:
                if pad is not None:
                    ipy_display(pad.box)
                ipy_display(view)
            ipy_display(view.snapshot_bundle(), raw=True, display_id=view.display_id)
        else:
            ipy_display(view, display_id=view.display_id)
        view.displayed = True
        view.shown_in_cell = frontends.execution_count()
    return session
