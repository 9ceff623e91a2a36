"""Ctrl-C in a blocking ``Session.train()``, simulated: the ``n``-th call raises
KeyboardInterrupt (what the kernel's interrupt raises there); the others train."""

from __future__ import annotations

import nbgen


def interrupt_train_call(monkeypatch, n: int) -> None:
    calls = {"n": 0}
    original = nbgen.Session.train

    def train(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(nbgen.Session, "train", train)
