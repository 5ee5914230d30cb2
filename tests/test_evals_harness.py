"""run_eval and EvalHistory: order under concurrency, error policies, stdout-only progress,
LLM responses (cost, cache), the summary, saving, and the history database."""

from __future__ import annotations

import math
import random
import threading
import time

import pytest
from fakes import ScriptedProvider, reply
from matplotlib.figure import Figure
from pydantic import BaseModel

from course.errors import CourseError
from course.evals import (
    EvalHistory,
    EvalItem,
    Score,
    exact,
    load_results,
    normalised,
    run_eval,
)
from course.llm import Client, ResponseCache


def numbered(n):
    return [EvalItem(id=f"q{i}", input=str(i), expected=str(i * 2)) for i in range(n)]


def double(item):
    return str(int(item.input) * 2)


def test_results_keep_item_order_whatever_order_calls_finish_in():
    rng = random.Random(0)
    delays = {f"q{i}": rng.uniform(0, 0.02) for i in range(24)}

    def slow_double(item):
        time.sleep(delays[item.id])
        return double(item)

    run = run_eval(numbered(24), slow_double, [exact], concurrency=8, progress=False)
    assert run.results["id"].tolist() == [f"q{i}" for i in range(24)]
    assert run.results["output"].tolist() == [str(i * 2) for i in range(24)]
    assert run.results["exact_passed"].all()


def test_items_really_run_concurrently():
    barrier = threading.Barrier(4, timeout=5)  # breaks unless four calls are in flight at once

    def waits_for_company(item):
        barrier.wait()
        return double(item)

    run = run_eval(
        numbered(8), waits_for_company, [exact], concurrency=4, error_policy="fail", progress=False
    )
    assert run.results["exact_passed"].all()


def flaky_on_odd_items(item):
    if int(item.input) % 2:
        raise TimeoutError(f"no answer for {item.id}")
    return double(item)


def test_score_as_wrong_records_the_error_and_costs_the_metric():
    run = run_eval(numbered(6), flaky_on_odd_items, [exact, normalised], progress=False)
    failed = run.results[run.results["error"].notna()]
    assert failed["id"].tolist() == ["q1", "q3", "q5"]
    assert failed["error"].iloc[0] == "TimeoutError: no answer for q1"
    assert (failed["exact"] == 0.0).all() and not failed["normalised_passed"].any()
    assert run.summary().loc["exact", "mean"] == pytest.approx(0.5)  # not 1.0 over 3 items
    assert run.failures("exact")["id"].tolist() == ["q1", "q3", "q5"]


def test_fail_policy_stops_the_run_and_names_the_item():
    seen = []

    def record_and_fail(item):
        seen.append(item.id)
        time.sleep(0.01)
        return flaky_on_odd_items(item)

    with pytest.raises(TimeoutError, match="no answer for q1") as caught:
        run_eval(
            numbered(20), record_and_fail, [exact], concurrency=1, error_policy="fail",
            progress=False,
        )  # fmt: skip
    assert "While solving item 'q1'" in caught.value.__notes__[0]
    assert len(seen) < 5  # the queued items were cancelled, not run


def test_retry_policy_retries_then_scores_as_wrong():
    calls: dict[str, int] = {}
    lock = threading.Lock()

    def fails_first_time(item):
        with lock:
            calls[item.id] = calls.get(item.id, 0) + 1
            first = calls[item.id] == 1
        if first or item.id == "q3":
            raise ConnectionError("reset")
        return double(item)

    run = run_eval(
        numbered(4), fails_first_time, [exact], error_policy="retry", retries=2, progress=False
    )
    assert run.results["attempts"].tolist() == [2, 2, 2, 3]
    assert run.results["exact_passed"].tolist() == [True, True, True, False]
    assert run.results["error"].iloc[3] == "ConnectionError: reset"


def test_progress_goes_to_stdout_never_stderr(capfd):
    run_eval(numbered(5), double, [exact], name="progress-check", progress=True)
    out, err = capfd.readouterr()
    assert err == ""
    assert "progress-check" in out and "5/5" in out
    run_eval(numbered(5), double, [exact], progress=False)
    assert capfd.readouterr() == ("", "")


class Answer(BaseModel):
    value: str


def test_llm_responses_give_cost_latency_and_a_free_cached_rerun(tmp_path):
    provider = ScriptedProvider([reply("4", input_tokens=1000, output_tokens=100)])
    client = Client(
        "sim",
        "sim-small",
        provider_impl=provider,
        traces=False,
        cache=ResponseCache(tmp_path / "cache.sqlite"),
    )
    items = [EvalItem(id="q2", input="2+2?", expected="4")]
    first = run_eval(items, lambda item: client.complete(item.input), [exact], progress=False)
    row = first.results.iloc[0]
    assert row["output"] == "4" and row["exact_passed"]
    assert row["cost_usd"] > 0 and row["latency_s"] == pytest.approx(0.25)
    second = run_eval(items, lambda item: client.complete(item.input), [exact], progress=False)
    assert second.results["cost_usd"].iloc[0] == 0.0  # served by the cache: the script is empty
    assert len(provider.requests) == 1
    assert first.cost_usd == pytest.approx(row["cost_usd"])


def test_structured_responses_are_scored_as_dicts():
    provider = ScriptedProvider([reply('{"value": "4"}')])
    client = Client("sim", "sim-small", provider_impl=provider, traces=False, cache=False)
    items = [EvalItem(id="q", input="2+2?", expected={"value": "4"})]

    def solve(item):
        return client.complete(item.input, response_model=Answer)

    run = run_eval(items, solve, [exact], progress=False)
    assert run.results["output"].iloc[0] == {"value": "4"}
    assert run.results["exact_passed"].iloc[0]


def test_plain_outputs_have_wall_clock_latency_and_no_cost():
    run = run_eval(numbered(2), double, [exact], progress=False)
    assert (run.results["latency_s"] >= 0).all()
    assert run.results["cost_usd"].isna().all()


def test_summary_skips_unscored_values_and_counts_them():
    def sometimes_unsure(output, expected):
        if output == "2":
            return Score.unscored("could not decide")
        return Score.verdict(output == expected)

    run = run_eval(numbered(4), double, {"unsure": sometimes_unsure}, progress=False)
    summary = run.summary().loc["unsure"]
    assert (summary["n"], summary["unscored"], summary["mean"]) == (3, 1, 1.0)
    assert run.results["unsure_error"].tolist()[1] == "could not decide"


def test_summary_has_a_bootstrap_ci_around_the_mean():
    run = run_eval(numbered(40), flaky_on_odd_items, [exact], progress=False)
    row = run.summary().loc["exact"]
    assert row["ci_low"] < row["mean"] == 0.5 < row["ci_high"]
    assert row["ci_high"] - row["ci_low"] == pytest.approx(0.3, abs=0.05)  # ~ 2 x 1.96 x 0.079


def test_scorer_mistakes_are_loud():
    with pytest.raises(CourseError, match="Cannot name scorer '<lambda>'"):
        run_eval(numbered(2), double, [lambda output, expected: Score.verdict(True)])
    with pytest.raises(CourseError, match="returned bool, not a Score"):
        run_eval(numbered(2), double, {"bad": lambda output, expected: True}, progress=False)

    def broken(output, expected):
        raise KeyError("bug")

    with pytest.raises(KeyError) as caught:
        run_eval(numbered(2), double, {"broken": broken}, progress=False)
    assert "In scorer 'broken' on item 'q0'" in caught.value.__notes__[0]


def test_run_arguments_are_checked():
    with pytest.raises(CourseError, match="repeated: \\['q0'\\]"):
        run_eval(numbered(2) + numbered(1), double, [exact], progress=False)
    with pytest.raises(CourseError, match="Unknown error_policy"):
        run_eval(numbered(2), double, [exact], error_policy="ignore", progress=False)
    with pytest.raises(CourseError, match="clash"):
        run_eval(numbered(2), double, {"error": exact}, progress=False)


def test_save_and_load_results_round_trip(tmp_path):
    run = run_eval(numbered(3), flaky_on_odd_items, [exact], progress=False)
    loaded = load_results(run.save(tmp_path / "runs" / "r.jsonl"))
    assert loaded["id"].tolist() == ["q0", "q1", "q2"]
    assert loaded["exact_passed"].tolist() == [True, False, True]
    assert loaded["error"].isna().tolist() == [True, False, True]
    assert loaded["error"].iloc[1] == "TimeoutError: no answer for q1"


# -- history --------------------------------------------------------------------------------


def test_history_records_runs_with_metrics_config_and_item_scores(tmp_path):
    history = EvalHistory(tmp_path / "evals.sqlite")
    first = run_eval(
        numbered(10), flaky_on_odd_items, [exact], name="m", config={"prompt": "v1"},
        history=history, progress=False,
    )  # fmt: skip
    second = run_eval(numbered(10), double, [exact], name="m", history=history, progress=False)
    run_eval(numbered(3), double, [exact], name="other", history=history, progress=False)

    runs = history.runs("m")
    assert runs["run_id"].tolist() == [first.run_id, second.run_id]
    assert runs["exact"].tolist() == [0.5, 1.0]
    summary = first.summary().loc["exact"]
    assert runs["exact_ci_low"].iloc[0] == pytest.approx(summary["ci_low"])
    assert runs["exact_ci_high"].iloc[0] == pytest.approx(summary["ci_high"])
    assert runs["config"].iloc[0] == {"prompt": "v1"}
    assert runs["n_items"].tolist() == [10, 10]
    assert len(history.runs()) == 3

    items = history.results(first.run_id)
    assert items["id"].tolist() == first.results["id"].tolist()
    assert items["exact_passed"].tolist() == first.results["exact_passed"].tolist()
    assert items["error"].iloc[1] == "TimeoutError: no answer for q1"


def test_history_defaults_to_the_course_home(course_home):
    run_eval(numbered(2), double, [exact], history=EvalHistory(), progress=False)
    assert (course_home / "evals.sqlite").is_file()
    assert len(EvalHistory().runs()) == 1


def test_history_plot_and_its_errors(tmp_path):
    history = EvalHistory(tmp_path / "evals.sqlite")
    for solver in (flaky_on_odd_items, double):
        run_eval(numbered(8), solver, [exact], name="m", history=history, progress=False)
    figure = history.plot("exact")
    assert isinstance(figure, Figure)
    line = figure.axes[0].lines[0]
    assert list(line.get_ydata()) == [0.5, 1.0]
    with pytest.raises(CourseError, match="No metric 'f1'"):
        history.plot("f1")
    with pytest.raises(CourseError, match="No run 'nope'"):
        history.results("nope")


def test_a_run_is_recorded_once(tmp_path):
    history = EvalHistory(tmp_path / "evals.sqlite")
    run = run_eval(numbered(2), double, [exact], history=history, progress=False)
    with pytest.raises(Exception, match="UNIQUE"):
        history.append(run)
    assert len(history.runs()) == 1 and len(history.results(run.run_id)) == 2


def test_nan_scores_survive_the_history(tmp_path):
    history = EvalHistory(tmp_path / "evals.sqlite")

    def never_sure(output, expected):
        return Score.unscored("no idea")

    run = run_eval(numbered(2), double, {"judge": never_sure}, history=history, progress=False)
    runs = history.runs()
    assert math.isnan(runs["judge"].iloc[0]) and runs["judge_pass_rate"].isna().all()
    assert history.results(run.run_id)["judge"].isna().all()
