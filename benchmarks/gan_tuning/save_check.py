"""Save/load round trip of a GAN built with data_stats (standardise / unstandardise layers)."""

import os
import tempfile

import numpy as np

import nbgen
from nbgen.models import gan as gan_mod

xt = nbgen.data.load("grid").x_train
gan_mod.GAN.data_stats = (xt.mean(0).tolist(), xt.var(0).tolist())
s = nbgen.Session("gan", "grid", seed=0, epochs=1)
s.train(1)
a = s.sample(8, seed=0)
with tempfile.TemporaryDirectory() as d:
    p = s.save(os.path.join(d, "g"))
    gan_mod.GAN.data_stats = None  # the saved model must carry its own statistics
    s2 = nbgen.load(p)
    b = s2.sample(8, seed=0)
print(
    "max |a-b|",
    float(np.abs(a - b).max()),
    "generator layers:",
    [layer.name for layer in s2.model.generator.layers][-2:],
)
