"""A training process killed with SIGKILL at random moments (some during a checkpoint write) and
resumed each time ends with the run that was never killed, exactly; no checkpoint is ever
unreadable. Scaled down (5 kills); benchmarks/checkpoint_faults.py runs 20."""

from __future__ import annotations

import _faults
import pytest

pytestmark = pytest.mark.slow


def test_a_run_killed_five_times_resumes_to_the_uninterrupted_run(tmp_path):
    reference = _faults.reference_run(tmp_path / "reference")
    counts = _faults.fault_run(tmp_path / "killed", kills=5, seed=1)
    assert counts["kills"] == 5, counts
    assert counts["unreadable"] == 0 and counts["lost"] == 0, counts
    assert counts["listed"] == 1 and counts["missing"] == 0, counts  # nbgen.runs(): one run, as of its end
    assert counts["leftover_temporaries"] == 0, counts  # what a killed write left is removed on resume
    assert _faults.compare(reference, counts["final"]) == []
