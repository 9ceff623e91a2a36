"""The command line and the backend selection, each in a fresh Python process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, env=None, **kw):
    full_env = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    full_env.pop("KERAS_BACKEND", None) if env is None or "KERAS_BACKEND" not in env else None
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=full_env, timeout=300, **kw)


def test_cli_trains_prints_a_table_and_metrics_and_saves(tmp_path):
    out = run(
        ["-m", "nbgen", "train", "--model", "vae", "--data", "digits", "--epochs", "4", "--save", str(tmp_path / "v")]
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["epoch", "step"])
    assert lines[header].split() == [
        "epoch",
        "step",
        "loss",
        "reconstruction",
        "kl",
        "val_loss",
        "val_reconstruction",
        "val_kl",
        "seconds",
    ]
    assert [line.split()[0] for line in lines[header + 1 : header + 5]] == ["1", "2", "3", "4"]
    final = lines[lines.index("final metrics (validation split):") + 1 :]
    labels = [line.split("  ")[1] if line.startswith("  ") else line.split(":")[0] for line in final]
    assert labels == [
        "reconstruction MSE",
        "PCA's MSE (2 components)",
        "negative ELBO",
        "importance-sampled bound",
        "sample classes",
        "classifier confidence",
        "FID / KID",
        "precision / recall",
        "verdict",
        "saved to " + str(tmp_path / "v.nbgen"),
    ]
    assert "per value, in the data's units ([0, 1])" in final[0]
    assert final[2].endswith("nats per row (lower is better)") and "nats per row on -log p(x), k=100" in final[3]
    assert "/10 digits with >= 5% of the samples" in final[4]
    # one line on how the run compares with its references: PCA, and every digit drawn
    assert re.fullmatch(
        r"verdict: reconstructs (better|no better) than PCA at the same latent size \(MSE \d\.\d\dx PCA's\); "
        r"samples cover \d+/10 digit classes \(>= 5% each; 10/10 is the aim\)",
        final[8],
    ), final[8]
    assert re.search(r"\(real data: \d\.\d+ / -?\d\.\d+\)$", final[6]), final[6]  # FID / KID with their floors
    assert (tmp_path / "v.nbgen").exists()


def test_cli_help_documents_every_option():
    out = run(["-m", "nbgen", "train", "--help"])
    assert out.returncode == 0
    for option in [
        "--model",
        "--data",
        "--epochs",
        "--latent-dim",
        "--hidden",
        "--learning-rate",
        "--batch-size",
        "--beta",
        "--noise-dim",
        "--d-steps",
        "--seed",
        "--save",
    ]:
        assert option in out.stdout


def test_cli_bad_input_is_a_clear_error_not_a_traceback():
    out = run(["-m", "nbgen", "train", "--model", "vae", "--learning-rate", "-1"])
    assert out.returncode == 2
    assert "error: learning_rate must be > 0, got -1.0" in out.stderr
    assert "Traceback" not in out.stderr


def test_import_works_when_keras_json_names_tensorflow(tmp_path):
    """A fresh machine: ~/.keras/keras.json says tensorflow, TensorFlow is absent."""
    (tmp_path / ".keras").mkdir()
    (tmp_path / ".keras" / "keras.json").write_text(
        json.dumps(
            {"backend": "tensorflow", "floatx": "float32", "epsilon": 1e-07, "image_data_format": "channels_last"}
        )
    )
    env = {"HOME": str(tmp_path), "KERAS_HOME": str(tmp_path / ".keras")}
    code = "import nbgen, keras; print(keras.backend.backend())"
    out = run(["-c", code], env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "jax"


@pytest.mark.parametrize("keras_json", [None, "tensorflow"])
def test_after_nbgen_ran_once_a_kernel_that_imports_keras_first_works(tmp_path, keras_json):
    """A fresh machine, without and with the keras.json that Keras's first import writes
    (naming TensorFlow, which is not installed): once nbgen has been imported, a later
    process (the next kernel) may import keras before nbgen."""
    env = {"HOME": str(tmp_path)}
    if keras_json:
        (tmp_path / ".keras").mkdir()
        (tmp_path / ".keras" / "keras.json").write_text(json.dumps({"backend": keras_json, "floatx": "float32"}))
    first = run(["-c", "import nbgen, keras; print(keras.backend.backend())"], env=env)
    assert first.returncode == 0, first.stderr
    settings = json.loads((tmp_path / ".keras" / "keras.json").read_text())
    assert settings["backend"] == "jax" and settings["floatx"] == "float32"
    later = run(["-c", "import keras\nimport nbgen\nprint(keras.backend.backend())"], env=env)
    assert later.returncode == 0, later.stderr
    assert later.stdout.strip() == "jax"


def test_a_keras_json_naming_an_installed_backend_is_left_alone(tmp_path):
    (tmp_path / ".keras").mkdir()
    (tmp_path / ".keras" / "keras.json").write_text(json.dumps({"backend": "numpy"}))
    out = run(["-c", "import nbgen, keras; print(keras.backend.backend())"], env={"HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "jax"  # this process: nbgen's choice
    assert json.loads((tmp_path / ".keras" / "keras.json").read_text())["backend"] == "numpy"  # the user's stands


def test_keras_imported_with_another_backend_is_a_clear_error():
    code = "import keras\ntry:\n    import nbgen\nexcept Exception as e:\n    print(type(e).__name__, e)"
    out = run(["-c", code], env={"KERAS_BACKEND": "numpy"})
    assert "BackendError keras was already imported with the 'numpy' backend" in out.stdout, out.stderr
    assert "import nbgen before keras" in out.stdout


@pytest.mark.parametrize("argv", [["--model", "pixelcnn"], ["--data", "cifar"]])
def test_cli_unknown_names_list_the_valid_ones(argv):
    out = run(["-m", "nbgen", "train", *argv])
    assert out.returncode == 2
    assert "choose one of" in out.stderr


def test_cli_refuses_bad_arguments_before_importing_jax(tmp_path):
    # a typo is answered at once: no JAX or Keras import (seconds) before the message
    code = (
        "import sys, nbgen.cli\n"
        "bad = [['--model', 'vea'], ['--data', 'digts'], ['--data', 'nothere.npz'], ['--learning-rate', '-1'],\n"
        "       ['--epochs', '0'], ['--hidden', '0'], ['--save', 'no/such/folder/run']]\n"
        "print([nbgen.cli.main(['train', *argv]) for argv in bad])\n"
        "print('loaded:', 'jax' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = run(["-c", code], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[2, 2, 2, 2, 2, 2, 2]", "loaded: False False"]
    errors = out.stderr.splitlines()
    assert errors[0] == (
        "error: --model 'vea' is not a known model (did you mean 'vae'?); choose one of autoencoder, vae, gan, "
        "diffusion (or the aliases 'ae', 'flow')"
    )
    assert errors[1].startswith(
        "error: --data 'digts' is not a known data set (did you mean 'digits'?); choose one of digits,"
    )
    assert errors[2] == "error: --data 'nothere.npz': no such file (a data set name or a .npy or .npz file)"
    assert errors[3] == "error: learning_rate must be > 0, got -1.0"
    assert errors[4].startswith("error: epochs must be") and "got 0" in errors[4]
    assert errors[5].startswith("error: hidden") and "0" in errors[5]
    assert (
        errors[6]
        == f"error: --save 'no/such/folder/run': the folder {str(tmp_path / 'no/such/folder')!r} does not exist"
    )


def test_cli_model_names_are_the_registrys():
    from nbgen import cli, models

    assert cli.MODEL_NAMES == {key: cls.name for key, cls in models.REGISTRY.items()}


def test_cli_help_answers_without_importing_jax():
    code = (
        "import sys\n"
        "sys.argv = ['nbgen', '--help']\n"
        "import nbgen.cli\n"
        "try:\n    nbgen.cli.main()\nexcept SystemExit:\n    pass\n"
        "print('loaded:', 'jax' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = run(["-c", code])
    assert out.returncode == 0, out.stderr
    assert "usage: python -m nbgen" in out.stdout and "loaded: False False" in out.stdout


def test_cli_header_names_data_settings_and_columns(tmp_path):
    np = pytest.importorskip("numpy")
    x = np.random.default_rng(0).integers(0, 256, (80, 6, 6), dtype=np.uint8)
    np.save(tmp_path / "px.npy", x)
    out = run(
        [
            "-m",
            "nbgen",
            "train",
            "--model",
            "gan",
            "--data",
            str(tmp_path / "px.npy"),
            "--epochs",
            "3",
            "--anneal",
            "0.34",
        ]
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].endswith(f"training gan on {tmp_path / 'px.npy'} for 3 epochs")
    assert lines[1].startswith(
        "data: 64 training and 16 validation rows of shape (6, 6); integer values 0-255 divided by 255"
    )
    assert lines[2].startswith("settings: ") and "anneal=0.34" in lines[2] and "{" not in lines[2]
    assert "code_classes=10" in lines[2]  # images: the InfoGAN code, whose loss is a column
    assert "'seconds' counts wall time" in lines[3]
    assert lines[4].split() == ["epoch", "step", "d_loss", "g_loss", "code_loss", "learning_rate", "seconds"]


def test_cli_trains_a_conditional_diffusion_model_with_a_switch():
    out = run(["-m", "nbgen", "train", "--model", "diffusion", "--data", "ring", "--epochs", "2", "--conditional",
               "--guidance", "3", "--sample-steps", "10"])  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "conditional" in out.stdout and "high-quality samples" in out.stdout
    assert re.search(r"verdict: samples cover \d/8 modes evenly, \d+% of them on a mode", out.stdout), out.stdout
    bad = run(["-m", "nbgen", "train", "--model", "autoencoder", "--data", "digits", "--conditional"])
    assert bad.returncode == 2 and "'conditional' is not a hyperparameter of the autoencoder model" in bad.stderr
