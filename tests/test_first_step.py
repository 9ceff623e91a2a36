"""A fast first step: the persistent compilation cache and compiled steps shared in a process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import nbgen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_sessions_of_one_architecture_share_their_compiled_step_and_keep_their_seeds():
    a = nbgen.train("ae", "moons", hidden=(24,), epochs=2, seed=0, progress=False)
    b = nbgen.train("ae", "moons", hidden=(24,), epochs=2, seed=1, progress=False)
    c = nbgen.train("ae", "moons", hidden=(24,), epochs=2, seed=0, progress=False)
    other = nbgen.Session("ae", "moons", hidden=(32,))
    assert a.engine._chunk_fn is b.engine._chunk_fn is c.engine._chunk_fn  # one compiled step
    assert other.engine._chunk_fn is not a.engine._chunk_fn  # another architecture, another step
    assert c.history == a.history  # the seed is an argument, not baked into the shared step
    assert b.history != a.history
    a.reset()
    assert a.engine._chunk_fn is b.engine._chunk_fn  # Reset reuses it too


def test_a_changed_model_setting_gets_its_own_compiled_step():
    # a step traces class settings (weight_decay, r1_gamma...) in as constants: a study that
    # changes one between runs must train with the new value, not the first run's step
    a = nbgen.train("ae", "moons", hidden=(24,), epochs=2, seed=0, progress=False)
    old = nbgen.Autoencoder.weight_decay
    try:
        nbgen.Autoencoder.weight_decay = 50.0
        b = nbgen.train("ae", "moons", hidden=(24,), epochs=2, seed=0, progress=False)
    finally:
        nbgen.Autoencoder.weight_decay = old
    c = nbgen.train("ae", "moons", hidden=(24,), epochs=2, seed=0, progress=False)
    assert b.engine._chunk_fn is not a.engine._chunk_fn and b.history != a.history
    assert c.engine._chunk_fn is a.engine._chunk_fn and c.history == a.history


def test_a_changed_generator_activation_gets_its_own_compiled_step():
    # a text setting (the GAN's generator_activation) changes the networks: no reused step either
    a = nbgen.train("gan", "moons", hidden=(16,), epochs=1, seed=0, progress=False)
    old = nbgen.GAN.generator_activation
    try:
        nbgen.GAN.generator_activation = "tanh"
        b = nbgen.train("gan", "moons", hidden=(16,), epochs=1, seed=0, progress=False)
        assert b.generative_model.networks["generator"].layers[1].activation.__name__ == "tanh"
    finally:
        nbgen.GAN.generator_activation = old
    assert b.engine._chunk_fn is not a.engine._chunk_fn and b.history != a.history


def _run(code: str, **env: str) -> str:
    full = {**os.environ, "PYTHONPATH": ROOT, **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


CHECK = (
    "import nbgen, nbgen.engine, jax\n"
    "print(nbgen.config.compile_cache, jax.config.jax_enable_compilation_cache, "
    "jax.config.jax_compilation_cache_dir)\n"
)


def test_compile_cache_is_on_by_default_and_can_be_moved_or_turned_off(tmp_path):
    home = tmp_path / "home"
    expected = str(home / ".cache" / "nbgen" / "jax")
    default = _run(CHECK, HOME=str(home), XDG_CACHE_HOME="", NBGEN_COMPILE_CACHE="")
    assert default == f"{expected} True {expected}"  # on, in the per-user cache folder
    assert (home / ".cache" / "nbgen" / "jax").is_dir()
    on = _run(CHECK, HOME=str(home), XDG_CACHE_HOME="", NBGEN_COMPILE_CACHE="1")
    assert on == f"{expected} True {expected}"
    xdg = _run(CHECK, XDG_CACHE_HOME=str(tmp_path / "xdg"), NBGEN_COMPILE_CACHE="")
    assert xdg.startswith(f"{tmp_path / 'xdg' / 'nbgen' / 'jax'} True")
    moved = _run(CHECK, NBGEN_COMPILE_CACHE=str(tmp_path / "cc"))
    assert moved.startswith(f"{tmp_path / 'cc'} True")
    off = _run(CHECK, NBGEN_COMPILE_CACHE="0")
    assert off == "None True None"  # off: JAX is left as it is (no folder)
    user_own = _run("import jax\njax.config.update('jax_compilation_cache_dir', " + repr(str(tmp_path / "mine")) + ")\n" + CHECK)
    assert user_own.startswith(f"{tmp_path / 'mine'} True {tmp_path / 'mine'}")  # the user's own JAX cache stands
    # a cache folder that cannot be made (here: under a file) means no cache, and training works
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    train = "import nbgen\nnbgen.train('ae', 'moons', hidden=(8,), epochs=1, progress=False)\n"
    unusable = _run(train + CHECK, XDG_CACHE_HOME=str(blocker), NBGEN_COMPILE_CACHE="")
    assert unusable.endswith(" None"), unusable  # JAX was given no cache folder
    at_runtime = _run(CHECK.replace("print(", "nbgen.config.compile_cache = None\nprint("), NBGEN_COMPILE_CACHE="1")
    assert at_runtime.startswith("None False")  # turned off again after nbgen turned it on


def test_a_fresh_process_reuses_what_an_earlier_one_compiled(tmp_path):
    code = "import nbgen\nnbgen.train('ae', 'moons', hidden=(8,), epochs=1, progress=False)\nprint('ok')"
    _run(code, NBGEN_COMPILE_CACHE=str(tmp_path / "cc"))
    entries = os.listdir(tmp_path / "cc")
    assert any("run_chunk" in e for e in entries), entries  # the training step is on disk
    with pytest.raises(TypeError, match="compile_cache must be a folder path or None"):
        nbgen.config.compile_cache = 3
