"""The live views' numpy work runs on one BLAS thread (nbgen._blas: OpenBLAS's threads spun
against XLA's while training), and the user's own BLAS setting is back when they are done."""

from __future__ import annotations

import threading

import numpy as np  # noqa: F401 - loads numpy's BLAS, which the tests read
from threadpoolctl import threadpool_info, threadpool_limits

import nbgen
from nbgen._blas import one_blas_thread


def blas_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_one_thread_inside_and_the_users_setting_back_after_overlapping_holders():
    with threadpool_limits(limits=2, user_api="blas"):  # the user's setting
        assert blas_threads() == {2}
        inside, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
        seen = {}

        def b() -> None:
            with one_blas_thread():
                b_in.set()
                a_out.wait(10)
                seen["b after a left"] = blas_threads()

        with one_blas_thread():
            seen["a"] = blas_threads()
            thread = threading.Thread(target=b)
            thread.start()
            b_in.wait(10)
            inside.set()
        a_out.set()  # a left first: b still holds the limit
        thread.join(10)
        assert seen == {"a": {1}, "b after a left": {1}}
        assert blas_threads() == {2}  # the last holder left: restored
        with threadpool_limits(limits=1, user_api="blas"):  # and the user's own limits still work
            assert blas_threads() == {1}
        assert blas_threads() == {2}


def test_a_shown_sessions_draws_and_live_fid_leave_the_blas_setting_as_it_was():
    with threadpool_limits(limits=2, user_api="blas"):
        s = nbgen.show("vae", "digits", display=False, epochs=2)
        try:
            seen = []
            draw = s.widget.figure._loss.update  # called inside a draw: the limit holds there

            def spy(*a, **k):
                seen.append(blas_threads())
                return draw(*a, **k)

            s.widget.figure._loss.update = spy
            s.train()
            s.widget.flush()
            assert s.frames.fid  # the live FID was measured (under the limit too)
            assert seen and all(t == {1} for t in seen)
            assert blas_threads() == {2}
        finally:
            s.close()
