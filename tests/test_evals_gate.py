"""regression_gate and `python -m course.evals gate`: pass on equal runs, fail on a clearly
worse run, report missing items, and exit 0 / 1 / 2 for CI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from course.errors import CourseError
from course.evals import EvalHistory, EvalItem, exact, regression_gate, run_eval
from course.evals.cli import main


def results(passed, metric="exact_passed", ids=None):
    ids = ids or [f"q{i}" for i in range(len(passed))]
    return pd.DataFrame({"id": ids, metric: passed})


def test_equal_runs_pass():
    same = results([True] * 70 + [False] * 30)
    decision = regression_gate(same, same, "exact_passed")
    assert decision.passed
    assert decision.evidence["test"] == "mcnemar_exact"
    assert decision.evidence["p_value"] == 1.0 and decision.evidence["difference"] == 0.0


def test_a_clearly_worse_run_fails():
    baseline = results([True] * 80 + [False] * 20)
    candidate = results([True] * 55 + [False] * 45)  # 25 items newly failing
    decision = regression_gate(baseline, candidate, "exact_passed")
    assert not decision.passed
    evidence = decision.evidence
    assert evidence["baseline_only_pass"] == 25 and evidence["candidate_only_pass"] == 0
    assert evidence["difference"] == pytest.approx(-0.25)
    assert evidence["p_value"] < 1e-6 and evidence["ci_high"] < 0
    assert decision.reason.startswith("Regression: exact_passed 0.800 -> 0.550")


def test_a_small_drop_within_noise_passes():
    baseline = results([True] * 80 + [False] * 20)
    candidate = results([True] * 78 + [False] * 22)  # 2 discordant items: p = 0.5
    decision = regression_gate(baseline, candidate, "exact_passed")
    assert decision.passed and decision.evidence["p_value"] == pytest.approx(0.5)
    assert "no significant drop" in decision.reason


def test_an_improvement_passes():
    decision = regression_gate(
        results([False] * 50 + [True] * 50), results([True] * 100), "exact_passed"
    )
    assert decision.passed and decision.evidence["difference"] == pytest.approx(0.5)


def test_min_effect_tolerates_a_significant_but_small_drop():
    baseline = results([True] * 400)
    candidate = results([True] * 380 + [False] * 20)  # -0.05, p ~ 2e-6
    assert not regression_gate(baseline, candidate, "exact_passed").passed
    lenient = regression_gate(baseline, candidate, "exact_passed", min_effect=0.1)
    assert lenient.passed and "does not lie wholly below -0.1" in lenient.reason


def test_continuous_metrics_use_the_paired_bootstrap():
    rng = np.random.default_rng(0)
    base_f1 = rng.uniform(0.3, 1.0, size=60)
    same = regression_gate(results(base_f1, "f1"), results(base_f1, "f1"), "f1")
    assert same.passed and same.evidence["test"] == "paired_bootstrap"
    worse = regression_gate(results(base_f1, "f1"), results(base_f1 - 0.1, "f1"), "f1")
    assert not worse.passed
    assert worse.evidence["difference"] == pytest.approx(-0.1)


def test_pairing_by_id_reports_missing_items_and_unscored_pairs():
    baseline = results([True, True, False, True, True], ids=["a", "b", "c", "d", "e"])
    candidate = pd.DataFrame(
        {"id": ["e", "d", "b", "z"], "exact_passed": [True, True, np.nan, False]}
    )
    decision = regression_gate(baseline, candidate, "exact_passed")
    evidence = decision.evidence
    assert evidence["missing_in_candidate"] == ["a", "c"]
    assert evidence["missing_in_baseline"] == ["z"]
    assert evidence["unscored_pairs"] == 1 and evidence["n_compared"] == 2
    assert "2 baseline item(s) are missing from the candidate" in decision.reason
    assert "missing_in_candidate  a, c" in decision.table()


def test_unpaired_mode_uses_every_scored_item():
    baseline = results([True] * 40 + [False] * 10)
    candidate = results([True] * 20 + [False] * 30, ids=[f"other{i}" for i in range(50)])
    decision = regression_gate(baseline, candidate, "exact_passed", paired=False)
    assert decision.evidence["test"] == "unpaired_bootstrap"
    assert (decision.evidence["n_baseline"], decision.evidence["n_candidate"]) == (50, 50)
    assert not decision.passed


def test_metric_names_resolve_by_suffix_when_unambiguous():
    run = run_eval(
        [EvalItem(id=f"q{i}", input="x", expected="x") for i in range(5)],
        lambda item: "x",
        [exact],
        progress=False,
    )
    assert regression_gate(run, run, "passed").evidence["metric"] == "exact_passed"
    two = pd.DataFrame({"id": ["a"], "exact_passed": [True], "f1_passed": [True]})
    with pytest.raises(CourseError, match="ambiguous"):
        regression_gate(two, two, "passed")
    with pytest.raises(CourseError, match="not a results column"):
        regression_gate(run, run, "accuracy")


def test_bad_inputs_are_clear_errors():
    with pytest.raises(CourseError, match="share no scored items"):
        regression_gate(results([True], ids=["a"]), results([True], ids=["b"]), "exact_passed")
    with pytest.raises(CourseError, match="repeat item ids"):
        regression_gate(results([True, False], ids=["a", "a"]), results([True]), "exact_passed")


# -- the command line -----------------------------------------------------------------------


def run_files(tmp_path):
    items = [EvalItem(id=f"q{i}", input=str(i), expected="ok") for i in range(60)]
    good = run_eval(items, lambda item: "ok", [exact], progress=False)
    bad = run_eval(
        items, lambda item: "ok" if int(item.input) < 30 else "no", [exact], progress=False
    )
    return good.save(tmp_path / "good.jsonl"), bad.save(tmp_path / "bad.jsonl")


def test_cli_exit_codes_for_files(tmp_path, capsys):
    good, bad = run_files(tmp_path)
    assert main(["gate", str(good), str(good), "--metric", "exact_passed"]) == 0
    assert "regression gate: PASS" in capsys.readouterr().out
    assert main(["gate", str(good), str(bad), "--metric", "passed"]) == 1
    out = capsys.readouterr().out
    assert "regression gate: FAIL" in out and "baseline_only_pass    30" in out
    assert main(["gate", str(bad), str(good), "--metric", "passed", "--alpha", "0.01"]) == 0


def test_cli_bad_input_exits_2_with_the_reason_on_stderr(tmp_path, capsys):
    good, _ = run_files(tmp_path)
    assert main(["gate", str(good), str(tmp_path / "missing.jsonl"), "--metric", "passed"]) == 2
    assert "No results file" in capsys.readouterr().err
    assert main(["gate", str(good), str(good), "--metric", "accuracy"]) == 2
    assert "not a results column" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["gate", str(good)])  # argparse: missing arguments
    assert caught.value.code == 2


def test_cli_compares_run_ids_from_the_history(tmp_path, capsys):
    history_path = tmp_path / "evals.sqlite"
    history = EvalHistory(history_path)
    items = [EvalItem(id=f"q{i}", input=str(i), expected="ok") for i in range(40)]
    good = run_eval(items, lambda item: "ok", [exact], history=history, progress=False)
    bad = run_eval(items, lambda item: "no", [exact], history=history, progress=False)
    arguments = ["--metric", "exact_passed", "--history", str(history_path)]
    assert main(["gate", good.run_id, good.run_id, *arguments]) == 0
    assert main(["gate", good.run_id, bad.run_id, *arguments]) == 1
    assert main(["gate", good.run_id, "no-such-run", *arguments]) == 2
    assert "No run 'no-such-run'" in capsys.readouterr().err


def test_python_dash_m_entry_point(tmp_path):
    good, bad = run_files(tmp_path)
    command = [
        sys.executable,
        "-m",
        "course.evals",
        "gate",
        str(good),
        str(bad),
        "--metric",
        "passed",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert "regression gate: FAIL" in done.stdout and done.stderr == ""
