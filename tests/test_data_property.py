"""Property-based test of the data entry point: nothing a user passes can break a session.

Random shapes, dtypes (object, complex, bool, int8/uint8/int64, float16...), NaN and inf
at random places, labels of random types and lengths, nested tuples, empty arrays, 1-row
and 2-row data. Every input either trains one epoch or raises ValueError/TypeError naming
the parameter, before any training; no other exception, no hang; and a session that
already trained, asked to switch to that data (what the widget's data picker does), keeps
its weights and history.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbgen

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DTYPES = ["bool", "int8", "uint8", "int64", "float16", "float32", "float64", "complex64", "object"]
PARAMETERS = re.compile(r"\b(data|labels|x_train|x_test|y_train|y_test|batch_size)\b")
TRIED = {"inputs": 0, "trained": 0, "refused": 0}


@st.composite
def arrays(draw, rows=None):
    n = draw(st.sampled_from([0, 1, 2, 3, 4, 5, 9, 17, 40, 40])) if rows is None else rows
    ndim = draw(st.sampled_from([0, 1, 2, 2, 2, 3, 3, 4, 5]))
    shape = (
        n,
        *draw(st.lists(st.integers(0, 4) | st.integers(1, 4), min_size=max(ndim - 1, 0), max_size=max(ndim - 1, 0))),
    )[:ndim]
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scale = draw(st.sampled_from([1.0, 255.0, 1e4, 1e30]))
    values = np.array(np.asarray(rng.normal(size=shape)) * scale)
    if dtype == "object":
        arr = values.astype(object)
        if arr.size and draw(st.booleans()):
            arr.flat[0] = "seven"
    elif dtype == "complex64":
        arr = (values + 1j).astype(np.complex64)
    elif dtype == "bool":
        arr = values > 0
    elif dtype in ("int8", "uint8", "int64"):
        info = np.iinfo(dtype)
        arr = np.clip(np.abs(values) if dtype == "uint8" else values, info.min, info.max).astype(dtype)
    else:
        with np.errstate(over="ignore"):
            arr = values.astype(dtype)
        if arr.size and draw(st.integers(0, 3)) == 0:
            where = draw(st.integers(0, arr.size - 1))
            arr.flat[where] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return arr


@st.composite
def labels_for(draw, n):
    length = draw(st.sampled_from([n, n, n, max(n - 1, 0), n + 1, 0]))
    kind = draw(st.sampled_from(["int", "float", "nan", "str", "mixed", "none", "2d", "bool"]))
    base = np.arange(length) % 3
    if kind == "int":
        return base
    if kind == "float":
        return base.astype(float) + draw(st.sampled_from([0.0, 0.5]))
    if kind == "nan":
        return np.where(base == 0, np.nan, base.astype(float))
    if kind == "str":
        return [f"class{i}" for i in base]
    if kind == "mixed":
        return [1, "a", None, 2.5][: max(length, 0)] + [0] * max(length - 4, 0)
    if kind == "none":
        return [None] * length
    if kind == "2d":
        return np.zeros((length, draw(st.integers(1, 3))))
    return base > 0


@st.composite
def user_data(draw):
    x = draw(arrays())
    n = len(x) if np.ndim(x) else 0
    form = draw(st.sampled_from(["array", "list", "xy", "split", "keras", "nested", "one", "three", "frame"]))
    if form == "array":
        return x
    if form == "list":
        return x.tolist()
    if form == "xy":
        return (x, draw(labels_for(n)))
    if form == "split":
        return (x, draw(arrays()))
    if form == "keras":
        test = draw(arrays())
        n_test = len(test) if np.ndim(test) else 0
        return ((x, draw(labels_for(n))), (test, draw(labels_for(n_test))))
    if form == "nested":
        return (((x, x), (x,)), x)
    if form == "one":
        return (x,)
    if form == "three":
        return (x, x, x)
    import pandas as pd

    try:
        return pd.DataFrame(x)
    except Exception:
        return x


@pytest.fixture(scope="module")
def trained():
    s = nbgen.train("ae", "moons", hidden=(8,), epochs=1)
    return s, {k: list(v) for k, v in s.history.items()}, s.encode(s.dataset.x_val[:4])


def _run_with_timeout(fn, seconds=60.0):
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # reported to the test thread below
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"the data entry point hung for more than {seconds} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=user_data())
def test_any_input_trains_one_epoch_or_is_refused_by_name(trained, data):
    session, history, z = trained
    TRIED["inputs"] += 1

    try:
        s = _run_with_timeout(lambda: nbgen.Session("ae", data, hidden=(8,), epochs=1))
    except (ValueError, TypeError) as exc:
        TRIED["refused"] += 1
        assert not isinstance(exc, nbgen.TrainingDiverged), f"diverged instead of refusing: {exc}"
        assert PARAMETERS.search(str(exc)), f"the message names no parameter: {exc!r}"
        # the widget's path: a trained session asked to switch to this data is untouched
        with pytest.raises((ValueError, TypeError)):
            session.rebind("ae", data, hidden=(8,))
        assert session.history == history and session.kind == "autoencoder"
        np.testing.assert_array_equal(session.encode(session.dataset.x_val[:4]), z)
    else:  # accepted: then it trains (any error now would be an error after validation)
        _run_with_timeout(s.train)
        TRIED["trained"] += 1
        assert s.epoch == 1 and len(s.history["loss"]) == 1
        assert np.all(np.isfinite(s.history["loss"]))


def test_report_inputs_tried():
    """Prints how many inputs the property test tried (run with -s to see it)."""
    if TRIED["inputs"]:
        print(f"\ndata entry point: {TRIED['inputs']} inputs, {TRIED['trained']} trained, {TRIED['refused']} refused")
        assert TRIED["trained"] > 0 and TRIED["refused"] > 0
