"""Where do the non-HQ samples lie? Distance-to-nearest-mode histogram (in mode std)."""

import json
import sys

import numpy as np

import nbgen
from nbgen.models import gan as gan_mod

for k, v in json.loads(sys.argv[2]).items():
    setattr(gan_mod.GAN, k, v)
s = nbgen.Session("gan", sys.argv[1], seed=0)
s.train(40)
s.set(learning_rate=5e-5)
s.train(20)
x = s.sample(2500, seed=0).reshape(2500, -1)
ds = s.dataset
d = np.linalg.norm(x[:, None] - ds.modes[None], axis=-1).min(1) / ds.mode_std
print(s.evaluate(), "quantiles (std):", np.round(np.quantile(d, [0.25, 0.5, 0.75, 0.9, 0.95]), 2))
print(
    "fraction <3, 3-6, 6-20, >20 std:",
    [round(float(np.mean((d >= a) & (d < b))), 3) for a, b in [(0, 3), (3, 6), (6, 20), (20, 1e9)]],
)
