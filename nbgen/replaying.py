"""Replay: a new session from a run's config that re-applies every timeline change at the step it
was made, over the same steps, ending its epochs where the original's ended."""

from __future__ import annotations

from typing import Any


def replay_of(session: Any, block: bool = True) -> Any:
    """The replica of ``session`` (see :meth:`nbgen.Session.replay`), trained (``block=True``) or
    training in the background."""
    if session.running:
        raise RuntimeError("this session is training: stop() it before replaying it")
    if session.epoch and len(session.engine.epoch_ends) != session.epoch:
        raise ValueError(
            "this session's file was written before nbgen recorded epoch ends, so its run cannot be replayed"
        )
    initial: dict[str, Any] = {}
    for record in session.timeline:  # the value before the first change is the starting value
        initial.setdefault(record["name"], record["old"])
    config = {**session.config, **initial}
    model, data = config.pop("model"), config.pop("data")
    replica = type(session)(model, session.dataset if not isinstance(data, str) else data, **config)
    replica.engine.follow(session.timeline, session.engine.epoch_ends)
    if session.step:  # the same steps: epochs end where the original's ended (a stop or a step may cut one)
        replica.train(steps=session.step, block=block)
    else:  # nothing trained: only the changes
        replica.engine.run(0)
    return replica
