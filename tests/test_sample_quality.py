"""The standard sample-quality metrics against reference computations and hand-made cases, the
shipped feature networks, and evaluate()'s report with real-data floors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import nbgen
from nbgen import sample_quality as sq


def test_fid_matches_a_direct_frechet_distance_with_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    mu_a, mu_b, ca, cb = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(ca @ cb).real
    reference = np.sum((mu_a - mu_b) ** 2) + np.trace(ca + cb - 2 * covmean)
    assert sq.fid(a, b) == pytest.approx(reference, rel=0.01)
    assert sq.fid(a, a) == pytest.approx(0.0, abs=1e-6)


def test_kid_is_the_unbiased_mmd_with_the_cubic_kernel_written_out():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(30, 4)) + 0.3
    d = x.shape[1]

    def k(u, v):
        return (float(u @ v) / d + 1) ** 3

    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    assert sq.kid(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-9)


def test_precision_recall_density_coverage_on_cases_with_known_answers():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(200, 3))
    assert sq.precision_recall(real, real) == (1.0, 1.0)
    density, coverage = sq.density_coverage(real, real)
    assert coverage == 1.0 and density >= 1.0
    far = real + 100.0
    assert sq.precision_recall(real, far) == (0.0, 0.0)
    assert sq.density_coverage(real, far) == (0.0, 0.0)
    # samples on half of the real data: sharp (precision 1) but not diverse (recall about half)
    half = real[real[:, 0] > 0]
    precision, recall = sq.precision_recall(real, half)
    assert precision == 1.0 and 0.3 < recall < 0.7


def test_kl_and_js_on_2d_points():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(5000, 2))
    same = rng.normal(size=(5000, 2))
    kl, js = sq.kl_js_2d(real, same)
    assert 0 <= js < 0.01 and kl < 0.05
    far_kl, far_js = sq.kl_js_2d(real, same + 50.0)
    assert far_js == pytest.approx(np.log(2), rel=0.01) and far_kl > 5
    narrow_kl, narrow_js = sq.kl_js_2d(real, 0.5 * same)  # too narrow: in between
    assert kl < narrow_kl < far_kl and js < narrow_js < far_js


@pytest.mark.parametrize("data", ["digits", "mnist5k"])
def test_the_shipped_feature_networks_classify_the_held_out_split_as_stated(data):
    ds = nbgen.datasets.load(data)
    weights = {k: v for k, v in sq._network(data).items() if k != "accuracy"}
    _, logits = sq.features_and_logits(weights, ds.model_val)
    accuracy = float(np.mean(logits.argmax(1) == ds.y_val))
    assert accuracy == pytest.approx(sq.feature_accuracy(data), abs=1e-4)
    assert accuracy > 0.9
    assert sq.features(ds.model_val[:5], data).shape == (5, 64)
    with pytest.raises(ValueError, match="has no feature network"):
        sq.features(ds.model_val[:5], "moons")


def test_evaluate_reports_the_standard_metrics_with_their_real_data_floors():
    s = nbgen.train("gan", "digits", epochs=2, progress=False)
    e = s.evaluate(n_samples=500)
    for name in ("fid", "kid", "precision", "recall", "density", "coverage"):
        assert np.isfinite(e[name]) and np.isfinite(e[f"{name}_floor"])
    assert e["fid_floor"] < e["fid"]  # two epochs of a GAN are far from the held-out digits
    g = nbgen.train("gan", "ring", epochs=2, progress=False)
    r = g.evaluate(n_samples=500)
    assert {"kl", "js", "kl_floor", "js_floor"} <= set(r) and r["js_floor"] < r["js"]
