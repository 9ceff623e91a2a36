"""A run in MLflow's local file store, read back with MLflow's own client: every step's losses,
the epoch metrics at their steps, the settings at the start, the changes, the picture; live
while training too (skipped when MLflow is not installed: pip install "nbgen[mlflow]")."""

from __future__ import annotations

import json
import os
import time

import pytest

import nbgen

pytest.importorskip("mlflow")

from nbgen.export_mlflow import client  # noqa: E402


def _history(c, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in sorted(c.get_metric_history(run_id, key), key=lambda m: m.step)]


def test_a_finished_run_reads_back_as_it_was(tmp_path):
    s = nbgen.Session("vae", "digits", epochs=3, hidden=(16,))
    s.train(2)
    s.set(learning_rate=5e-4)
    s.train(1)
    run_id = nbgen.to_mlflow(s, tmp_path / "mlruns", run_name="beta test")
    c = client(tmp_path / "mlruns")
    run = c.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "beta test"
    assert c.get_experiment(run.info.experiment_id).name == "nbgen"
    assert _history(c, run_id, "step/loss") == list(zip(s.steps["step"], s.steps["loss"]))
    assert _history(c, run_id, "epoch/val_loss") == list(zip(s.engine.epoch_ends, s.history["val_loss"]))
    assert _history(c, run_id, "hparams/learning_rate") == [(0, 1e-3), (22, 5e-4)]
    params = run.data.params  # the settings when the run started, before set()
    assert params["model"] == "vae" and params["data"] == "digits"
    assert json.loads(params["learning_rate"]) == 1e-3 and json.loads(params["hidden"]) == [16]
    assert run.data.tags["nbgen.model"] == "vae" and run.data.tags["nbgen.version"] == nbgen.__version__
    folder = c.download_artifacts(run_id, "", str(tmp_path / "artifacts"))
    with open(os.path.join(folder, "timeline.json")) as f:
        assert [(ch["step"], ch["name"], ch["new"]) for ch in json.load(f)] == [(22, "learning_rate", 5e-4)]
    with open(os.path.join(folder, "snapshot.png"), "rb") as f:
        assert f.read(4) == b"\x89PNG"


def test_live_export_follows_the_training_and_a_second_call_goes_on(tmp_path):
    s = nbgen.Session("gan", "ring", epochs=2)
    run_id = nbgen.to_mlflow(s, tmp_path / "m", live=True, picture=False)
    c = client(tmp_path / "m")
    assert c.get_run(run_id).info.status == "RUNNING"
    s.train()
    deadline = time.monotonic() + 10  # the run's end reaches listeners just after train() returns
    while c.get_run(run_id).info.status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert c.get_run(run_id).info.status == "FINISHED"
    assert len(_history(c, run_id, "step/d_loss")) == s.step and len(_history(c, run_id, "epoch/d_loss")) == 2
    assert "snapshot.png" not in [a.path for a in c.list_artifacts(run_id)]
    s.close()
    s.train(1)  # trained on after the live export stopped: a second call adds only what is new, and the picture
    assert nbgen.to_mlflow(s, tmp_path / "m", run_id=run_id) == run_id
    assert [st for st, _ in _history(c, run_id, "step/d_loss")] == s.steps["step"]  # each step once
    assert "snapshot.png" in [a.path for a in c.list_artifacts(run_id)]


def test_a_checkpointed_run_is_tagged_with_its_id_in_nbgen_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(nbgen.config, "_runs_dir", str(tmp_path / "runs"))
    s = nbgen.train("ae", "moons", epochs=1, checkpoint=True, progress=False)
    run_id = nbgen.to_mlflow(s, tmp_path / "m", picture=False)
    (row,) = nbgen.runs().to_dict("records")
    assert client(tmp_path / "m").get_run(run_id).data.tags["nbgen.run"] == row["run"]


def test_bad_input_is_named(tmp_path):
    s = nbgen.Session("vae", "moons", epochs=1)
    (tmp_path / "a file").write_text("not a folder")  # a folder cannot be made inside it
    with pytest.raises(OSError, match="tracking_uri .* cannot be made"):
        nbgen.to_mlflow(s, tmp_path / "a file" / "mlruns")
    other = client(tmp_path / "m")
    rid = other.create_run(other.create_experiment("other")).info.run_id  # not one of nbgen's
    with pytest.raises(ValueError, match=f"run_id '{rid}' is not a run that nbgen.to_mlflow wrote"):
        nbgen.to_mlflow(s, tmp_path / "m", run_id=rid)


def test_a_tracking_uri_goes_to_mlflow_as_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a database store's artifacts go to ./mlruns, MLflow's default
    pytest.importorskip("sqlalchemy")  # MLflow's database store needs SQLAlchemy and Alembic (nbgen[optuna] has them)
    pytest.importorskip("alembic")
    s = nbgen.train("ae", "moons", epochs=1, hidden=(16,), progress=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = nbgen.to_mlflow(s, uri, picture=False)
    assert _history(client(uri), run_id, "epoch/loss") == list(zip(s.engine.epoch_ends, s.history["loss"]))
    assert (tmp_path / "mlflow.db").stat().st_size > 0
    assert [a.path for a in client(uri).list_artifacts(run_id)] == ["timeline.json"]
