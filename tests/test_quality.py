"""Quality targets at a reduced budget (the full ones: benchmarks/quality.py)."""

from __future__ import annotations

import pytest

import nbgen

pytestmark = pytest.mark.slow


def test_autoencoder_beats_pca_by_a_wide_margin():
    s = nbgen.train("autoencoder", "digits", latent_dim=8, epochs=30)
    m = s.evaluate()
    assert m["pca_mse"] == pytest.approx(0.0247, abs=5e-4)
    assert m["mse"] <= 0.6 * m["pca_mse"], m


def test_vae_bound_and_class_coverage():
    s = nbgen.train("vae", "digits", latent_dim=8, epochs=100)
    m = s.evaluate(k=100)
    assert m["iw_bound"] <= m["neg_elbo"], m
    assert m["classes"] == 10, m
