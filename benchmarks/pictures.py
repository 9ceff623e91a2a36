"""The README's sample pictures: samples of nbgen's defaults on real 28x28 digits (mnist5k).

    .venv/bin/python benchmarks/pictures.py          # writes docs/mnist5k_{vae,gan,diffusion}.png
    .venv/bin/python benchmarks/pictures.py --only diffusion

Each picture is 8 x 8 samples (seed 0) of a model trained with its defaults
(``nbgen.train(model, "mnist5k")``); the script prints the quality metrics of the same
sessions (benchmarks/quality.py has the full protocol). The GAN also gets
docs/mnist5k_gan_codes.png: one row of 8 samples per value of its InfoGAN code.
"""

from __future__ import annotations

import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np

import nbgen
from nbgen.ui.arrays import tile
from nbgen.ui.png import png_data_uri

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs")


def main() -> None:
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    for model, hp in (("vae", {"latent_dim": 16}), ("gan", {}), ("diffusion", {})):
        if only and model != only:
            continue
        t = time.perf_counter()
        s = nbgen.train(model, "mnist5k", progress=False, **hp)
        wall = time.perf_counter() - t
        m = s.evaluate(k=20)
        images = s.sample(64, seed=0)
        uri = png_data_uri(tile(images, 8), 0, 255)
        path = os.path.join(DOCS, f"mnist5k_{model}.png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(uri.split(",", 1)[1]))
        if "code" in s.generative_model.sample_keywords:
            codes = [s.sample(8, seed=0, code=c) for c in range(s.hyperparameters["code_classes"])]
            uri = png_data_uri(tile(np.concatenate(codes), 8), 0, 255)
            with open(os.path.join(DOCS, f"mnist5k_{model}_codes.png"), "wb") as f:
                f.write(base64.b64decode(uri.split(",", 1)[1]))
        shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in m.items() if k != "k"}
        print(f"{model} {hp or 'defaults'}: {wall:.0f} s, {shown} -> {os.path.relpath(path)}", flush=True)


if __name__ == "__main__":
    main()
