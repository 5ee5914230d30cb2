"""LLMJudge through a real Client with a scripted provider: every verdict format, and every
way a judge can fail without crashing the run."""

from __future__ import annotations

import math

import pytest
from fakes import ScriptedProvider, reply

from course.evals import EvalItem, LLMJudge, parse_verdict, run_eval
from course.llm import NO_RETRY, BadRequest, Client, RateLimited, ServerError
from course.llm.providers.base import ProviderReply

RUBRIC = "The answer names the capital city of the country asked about."


def judge_with(script, **options):
    provider = ScriptedProvider(script)
    client = Client(
        "sim", "sim-small", provider_impl=provider, traces=False, cache=False, retry=NO_RETRY
    )
    return LLMJudge(client, RUBRIC, **options), provider


@pytest.mark.parametrize(
    "text, passed, reason",
    [
        ('{"verdict": "pass", "reason": "Names Paris."}', True, "Names Paris."),
        ('{"Verdict": "FAIL", "reason": "Names Lyon."}', False, "Names Lyon."),
        ('Here you go:\n```json\n{"verdict": "Pass", "reason": "ok"}\n```', True, "ok"),
        ("VERDICT: PASS\nREASON: Paris is correct.", True, "Paris is correct."),
        ("Thinking it over...\n**Verdict:** fail\n**Reason:** wrong city", False, "wrong city"),
        ("verdict - Pass", True, "verdict - Pass"),
        ("PASS - the answer is Paris", True, "PASS - the answer is Paris"),
        ("fail.", False, "fail."),
        ("**FAIL** because it names Lyon", False, "**FAIL** because it names Lyon"),
    ],
)
def test_parse_verdict_formats(text, passed, reason):
    assert parse_verdict(text) == (passed, reason)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   \n",
        "I think the answer is probably fine.",
        "Passing this one would be generous.",  # "Passing" is not the word PASS
        "VERDICT: PASS or VERDICT: FAIL",  # an echoed template, not a decision
        '{"verdict": "maybe", "reason": "unsure"}',
        "The output is a PASS.",  # a verdict word mid-sentence is not a verdict
    ],
)
def test_parse_verdict_refuses_unclear_replies(text):
    assert parse_verdict(text) is None


@pytest.mark.parametrize(
    "text, passed",
    [
        ('{"verdict": "pass", "reason": "Paris"}', True),
        ("VERDICT: FAIL\nREASON: Lyon is not the capital.", False),
        ("PASS", True),
    ],
)
def test_judge_scores_each_verdict_format(text, passed):
    judge, provider = judge_with([reply(text)])
    score = judge("Paris", "Paris", input="What is the capital of France?")
    assert (score.value, score.passed, score.error) == (float(passed), passed, None)
    request = provider.requests[0]
    assert request.temperature == 0.0
    assert request.messages[0].role == "system" and "VERDICT: PASS" in request.messages[0].content
    prompt = request.messages[1].content
    for part in (f"<rubric>\n{RUBRIC}", "<input>\nWhat is the capital", "<reference>\nParis"):
        assert part in prompt
    assert prompt.rstrip().endswith("<output>\nParis\n</output>")


def test_malformed_judge_reply_is_unscored_not_a_crash():
    judge, _ = judge_with([reply("Hmm, hard to say. It mentions a city.")])
    score = judge("Paris", "Paris")
    assert math.isnan(score.value) and not score.passed
    assert score.error == "no verdict in the judge's reply"
    assert "hard to say" in score.detail


def test_refusal_is_unscored():
    refusal = ProviderReply(
        text=None,
        input_tokens=50,
        output_tokens=5,
        finish_reason="content_filter",
        request_id="r",
        latency_s=0.1,
        refusal="I can't help with that.",
    )
    judge, _ = judge_with([refusal])
    score = judge("Paris", "Paris")
    assert math.isnan(score.value) and not score.passed
    assert score.error == "judge refused: I can't help with that."


@pytest.mark.parametrize(
    "error",
    [RateLimited("429", retry_after_s=1.0), ServerError("503", status=503), BadRequest("400")],
)
def test_client_errors_are_recorded_in_the_score(error):
    judge, _ = judge_with([error])
    score = judge("Paris", "Paris")
    assert math.isnan(score.value) and not score.passed
    assert score.error.startswith(f"judge call failed: {type(error).__name__}")


def test_judge_does_not_call_the_model_for_a_missing_output():
    judge, provider = judge_with([])
    score = judge(None, "Paris")
    assert (score.value, score.passed) == (0.0, False)
    assert provider.requests == []


def test_the_harness_gives_the_judge_the_item_input():
    judge, provider = judge_with([reply("VERDICT: PASS"), reply("not sure")])
    items = [
        EvalItem(id="fr", input="Capital of France?", expected="Paris"),
        EvalItem(id="de", input="Capital of Germany?", expected="Berlin"),
    ]
    run = run_eval(items, lambda item: item.expected, [judge], concurrency=1, progress=False)
    assert list(run.results["judge_passed"]) == [True, False]
    assert run.results["judge_error"].iloc[1] == "no verdict in the judge's reply"
    assert "<input>\nCapital of France?" in provider.requests[0].messages[1].content
    summary = run.summary().loc["judge"]
    assert (summary["n"], summary["unscored"], summary["mean"]) == (1, 1, 1.0)
