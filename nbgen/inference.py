"""Using a trained model: ``encode``, ``decode``, ``reconstruct``, ``sample``, ``trajectory``,
``discriminate``, ``classify``, the latent explorer's ``traverse``, ``interpolate`` and
``neighbours``, and ``evaluate``, the methods of :class:`nbgen.Session` that read the model without training it.

They are a mixin (as Keras's ``Model`` takes its training methods from ``Trainer``): the
session's job is the run (its thread, live changes, resets); this one is the model's
inference. A method checks that the model can do what is asked (``capabilities``), takes rows
in the data's shape and units, calls the model's jitted method on the current weights (one jit
cache, the model's own: ``GenerativeModel.jitted``) and gives rows back in the data's shape
and units. The class using it provides ``kind``, ``generative_model``, ``dataset`` and
``engine`` (whose ``state`` holds the weights and ``hp`` the hyperparameters).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from . import _config
from . import models as _models


def _needs(capability: str) -> str:
    """The built-in models that can do ``capability``, for error messages."""
    names = [c.name for c in dict.fromkeys(_models.REGISTRY.values()) if capability in c.capabilities]
    return " or ".join(repr(n) for n in names)


class Inference:
    """The inference methods of :class:`nbgen.Session` (see the module's docstring)."""

    _sample_calls = 0  # draws made without a seed: each gets the next seed (reset with the model)

    def _require(self, method: str, what: str) -> None:
        """A TypeError unless the model can do ``method``: what it needs, and which models can."""
        if not self.generative_model.can(method):
            raise TypeError(
                f"{method}() is not available for the {self.kind} model: it needs {what} (use {_needs(method)})"
            )

    def _params(self):
        return self.engine.state["params"]

    def encode(self, x: Any, label: Any = None) -> np.ndarray:
        """Latent means of rows ``x``, shape ``(n, latent_dim)`` (AE, VAE; a conditional VAE
        also needs each row's ``label``)."""
        self._require("encode", "an encoder")
        xf = self.dataset.flatten(x)
        kw = self.generative_model.labels_given(len(xf), label, "encode")
        return np.asarray(self.generative_model.jitted("encode")(self._params(), xf, **kw))

    def decode(self, z: Any, label: Any = None) -> np.ndarray:
        """Decode latent vectors ``(n, latent_dim)`` to rows shaped like the data (AE, VAE; a
        conditional VAE also needs the ``label`` of each row to make)."""
        self._require("decode", "a decoder of latent vectors")
        d = self.engine.hp["latent_dim"]
        z = np.asarray(z, dtype=np.float32)
        if z.ndim == 1 and z.shape[0] == d:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != d or not np.all(np.isfinite(z)):
            raise ValueError(f"z must be a finite array shaped (n, {d}) (latent_dim={d}), got shape {z.shape}")
        kw = self.generative_model.labels_given(len(z), label, "decode")
        out = self.generative_model.jitted("decode")(self._params(), z, **kw)
        return self.dataset.to_rows(np.asarray(out))

    def reconstruct(self, x: Any, label: Any = None) -> np.ndarray:
        """Encode and decode rows ``x``; returns arrays shaped like ``x``'s rows (AE, VAE; a
        conditional VAE also needs each row's ``label``)."""
        self._require("reconstruct", "an encoder")
        xf = self.dataset.flatten(x)
        kw = self.generative_model.labels_given(len(xf), label, "reconstruct")
        out = self.generative_model.jitted("reconstruct")(self._params(), xf, **kw)
        return self.dataset.to_rows(np.asarray(out))

    def sample(self, n: int = 16, seed: int | None = None, **options: Any) -> np.ndarray:
        """Draw ``n`` new rows from the model (VAE, GAN, diffusion), shaped like the data's rows.

        ``seed`` fixes the draw (default: a new one each call). The diffusion model also
        takes ``steps`` (default: the ``sample_steps`` hyperparameter). A conditional model
        (``conditional=True``) takes ``label`` (an int, or ``n`` ints; default: drawn in the
        training data's class proportions) and, for diffusion, ``guidance``. A GAN with a
        categorical code (``code_classes > 0``, the default for images) takes ``code`` (an int,
        or ``n`` ints; default: drawn uniformly): on digits each value tends to one digit.
        """
        self._require("sample", "a generative prior")
        n = _config.check_int("n", n, 1, 10_000_000)
        seed = self._seed(seed)
        kwargs = self.generative_model.sample_arguments(self.engine.hp, n, seed, **options)
        return self.dataset.to_rows(self._sample(seed, n, kwargs))

    def _seed(self, seed: int | None) -> int:
        if seed is None:
            self._sample_calls += 1
            return 1_000_003 * (self.engine.hp["seed"] + 1) + self._sample_calls
        return _config.check_int("seed", seed, 0, 2**31 - 1)

    def _sample(self, seed: int, n: int, kwargs: dict[str, Any] | None = None) -> np.ndarray:
        return np.asarray(self._sample_on_device(seed, n, kwargs))

    def _sample_on_device(self, seed: int, n: int, kwargs: dict[str, Any] | None = None) -> Any:
        fn = self.generative_model.jitted("sample", static_argnums=2)
        return fn(self._params(), jax.random.key(seed), n, **(kwargs or {}))

    def _sample_draws(self, n: int, seeds: list[int]) -> np.ndarray:
        """``sample(n, seed=s)`` for each of ``seeds``, concatenated: the draws are dispatched
        together and copied back once (a live FID: 10.0 ms with its 32 draws of 16 one by one,
        6.7 ms so; benchmarks/view_overheads.py)."""
        hp, model = self.engine.hp, self.generative_model
        draws = [self._sample_on_device(s, n, model.sample_arguments(hp, n, s)) for s in seeds]
        return self.dataset.to_rows(np.concatenate(jax.device_get(draws)))

    def trajectory(self, n: int = 16, seed: int | None = None, steps: int | None = None, **options: Any) -> np.ndarray:
        """The path of ``n`` samples from noise to data (diffusion): an array
        ``(steps + 1, n, *row_shape)``, noise first, the samples last (``steps`` defaults to
        the ``sample_steps`` hyperparameter); ``trajectory(n, seed=s)[-1]`` equals
        ``sample(n, seed=s)``."""
        self._require("trajectory", "a sampling path")
        n = _config.check_int("n", n, 1, 100_000)
        seed = self._seed(seed)
        kwargs = self.generative_model.sample_arguments(self.engine.hp, n, seed, steps=steps, **options)
        steps = int(kwargs.pop("steps"))
        fn = self.generative_model.jitted("trajectory", static_argnums=(2, 3))
        path = np.asarray(fn(self._params(), jax.random.key(seed), n, steps, **kwargs))
        return self.dataset.to_rows(path.reshape(-1, path.shape[-1])).reshape(steps + 1, n, *self.dataset.row_shape)

    def discriminate(self, x: Any, label: Any = None) -> np.ndarray:
        """The discriminator's probability that each row of ``x`` is real, shape ``(n,)`` (GAN;
        a conditional GAN judges each row as of class ``label``: an int or one int per row)."""
        self._require("discriminate", "a discriminator")
        xf = self.dataset.flatten(x)
        m = self.generative_model
        if m.conditional and label is None:
            raise ValueError("label= is needed: a conditional GAN's discriminator judges a row as of a class")
        kwargs = m.sample_arguments(self.engine.hp, len(xf), 0, label=label) if label is not None else {}
        logits = m.jitted("logits")(self._params(), xf, **kwargs)
        return np.asarray(jax.nn.sigmoid(logits))

    def classify(self, x: Any) -> np.ndarray:
        """The class a classifier gives each row of ``x`` (your Keras classifier: the argmax of its
        output), int class ids ``(n,)``."""
        self._require("classify", "a classifier of the data's labels")
        xf = self.dataset.flatten(x)
        return np.asarray(self.generative_model.jitted("classify")(self._params(), xf))

    # -- exploring the latent space (AE, VAE, a Keras model with an encoder and a decoder) -----
    def _codes(self, label: Any = None) -> np.ndarray:
        """The latent codes of the validation rows (up to 2,000)."""
        x = self.dataset.x_val[:2000]
        kw = {} if label is None else {"label": label if np.ndim(label) == 0 else np.asarray(label)[: len(x)]}
        return self.encode(x, **kw)

    def traverse(self, dim: int | str = 0, n: int = 9, span: float = 2.5, at: Any = None, label: Any = None) -> np.ndarray:
        """Rows decoded along one direction of the latent space: ``n`` codes from ``at`` minus
        ``span`` standard deviations to plus ``span`` (the spread of the validation rows' codes
        along it), all else held at ``at`` (default: the codes' mean).

        ``dim`` is a latent axis (an int) or ``"pc0"``, ``"pc1"``...: the principal directions
        of the codes (for ``latent_dim > 2``, the ones that matter). Returns ``(n, *row_shape)``."""
        self._require("decode", "an encoder and a decoder")
        self._require("encode", "an encoder and a decoder")
        n = _config.check_int("n", n, 2, 1000)
        codes = self._codes(label)
        d = codes.shape[1]
        centre = codes.mean(0) if at is None else np.asarray(at, np.float32).reshape(-1)
        if centre.shape != (d,):
            raise ValueError(f"at must be a latent vector of {d} values (latent_dim={d}), got shape {centre.shape}")
        if isinstance(dim, str) and dim.startswith("pc") and dim[2:].isdigit() and int(dim[2:]) < d:
            _, _, vt = np.linalg.svd(codes - codes.mean(0), full_matrices=False)
            direction = vt[int(dim[2:])]
        elif isinstance(dim, (int, np.integer)) and not isinstance(dim, bool) and 0 <= dim < d:
            direction = np.eye(d, dtype=np.float32)[int(dim)]
        else:
            raise ValueError(f"dim must be a latent axis 0..{d - 1} or 'pc0'..'pc{d - 1}' (latent_dim={d}), got {dim!r}")
        spread = float(np.std((codes - codes.mean(0)) @ direction)) or 1.0
        steps = np.linspace(-span, span, n, dtype=np.float32) * spread
        z = centre[None] + steps[:, None] * direction[None]
        return self.decode(z.astype(np.float32), **({} if label is None else {"label": label}))

    def interpolate(self, a: Any, b: Any, n: int = 8, label: Any = None) -> np.ndarray:
        """Rows decoded along the straight line between the codes of rows ``a`` and ``b`` (both
        ends included): ``(n, *row_shape)``; the first and last are ``a``'s and ``b``'s
        reconstructions."""
        self._require("decode", "an encoder and a decoder")
        n = _config.check_int("n", n, 2, 1000)
        kw = {} if label is None else {"label": label}
        za, zb = self.encode(a, **kw), self.encode(b, **kw)
        if len(za) != 1 or len(zb) != 1:
            raise ValueError(f"a and b must be one row each, got {len(za)} and {len(zb)} rows")
        t = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
        return self.decode((1 - t) * za + t * zb, **kw)

    def neighbours(self, x: Any, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` training rows whose codes lie nearest to the code of row ``x``: their indices
        in ``dataset.x_train`` and the rows themselves ``(k, *row_shape)``, nearest first."""
        self._require("encode", "an encoder")
        k = _config.check_int("k", k, 1, 1000)
        z = self.encode(x)
        if len(z) != 1:
            raise ValueError(f"x must be one row, got {len(z)} rows")
        train = self.dataset.x_train
        rows = np.asarray(train[np.arange(len(train))]) if self.dataset.streaming else train
        codes = np.concatenate([self.encode(rows[i : i + 4096]) for i in range(0, len(rows), 4096)])
        order = np.argsort(np.linalg.norm(codes - z, axis=1), kind="stable")[:k]
        return order, self.dataset.to_rows(self.dataset.scaling.to_model(rows[order]))

    def evaluate(self, x: Any = None, **options: Any) -> dict[str, Any]:
        """Quality metrics on held-out rows (default: the validation split). See nbgen.metrics."""
        from . import metrics

        return metrics.evaluate(self, x, **options)
