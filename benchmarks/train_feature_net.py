"""Train the small feature networks that nbgen's FID, KID, precision/recall and density/coverage
read images with, and write them into the package (nbgen/features/<data>.npz).

Run:  python benchmarks/train_feature_net.py [--data digits mnist5k] [--epochs 60]

Each is an MLP classifier of the data's 10 digits, trained on the training split only (nbgen's
80/20 split, seed 0) with Keras: rows in [0, 1] -> Dense(hidden, relu) -> Dense(64, relu) ->
Dense(10). Its 64 penultimate activations are the features (as Inception's 2048 pool features
are for FID on ImageNet-like images; with a network of our own, the figures compare runs of
nbgen and other models measured with these files, not published FIDs). The weights are stored
as float16 (a few hundred KB) and evaluated with NumPy (nbgen.sample_quality). Prints each
network's accuracy on the held-out split, which the module's docstring states.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

HIDDEN = {"digits": 128, "mnist5k": 128}


def train(data: str, epochs: int, seed: int = 0) -> tuple[dict[str, np.ndarray], float]:
    import keras

    import nbgen
    from nbgen.sample_quality import features_and_logits

    keras.utils.set_random_seed(seed)
    ds = nbgen.datasets.load(data)
    x_tr, x_va = ds.model_train, ds.model_val  # [0, 1] pixels, flat
    model = keras.Sequential(
        [
            keras.Input((x_tr.shape[1],)),
            keras.layers.Dense(HIDDEN[data], activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_tr, ds.y_train, epochs=epochs, batch_size=64, verbose=0)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    weights = {}
    for i, layer in enumerate(dense):
        w, b = layer.get_weights()
        weights[f"w{i}"], weights[f"b{i}"] = w.astype(np.float16), b.astype(np.float16)
    _, logits = features_and_logits(weights, x_va)  # the float16 network, as shipped
    accuracy = float(np.mean(logits.argmax(1) == ds.y_val))
    return weights, accuracy


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["digits", "mnist5k"])
    p.add_argument("--epochs", type=int, default=60)
    args = p.parse_args(argv)
    folder = os.path.join(ROOT, "nbgen", "features")
    os.makedirs(folder, exist_ok=True)
    for data in args.data:
        weights, accuracy = train(data, args.epochs)
        path = os.path.join(folder, f"{data}.npz")
        np.savez_compressed(path, accuracy=np.float32(accuracy), **weights)
        print(f"{data}: held-out accuracy {accuracy:.4f}; {os.path.getsize(path) / 1024:.0f} KB -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
