"""The simulated LLM judge: a mechanical comparison, then tier-dependent, biased flips.

Rate tests generate (question, reference, candidate) triples whose right verdict is known by
construction, judge them through course.evals.LLMJudge on each tier, and check TPR/TNR and
the documented biases with margins. Run as a script, the file prints the tables in
docs/SIMULATOR.md, including TPR/TNR on the handbook judge-alignment set (--handbook).
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from course.evals import LLMJudge
from course.evals.judge import JUDGE_SYSTEM
from course.evals.stats import judge_alignment
from course.llm import Client
from course.sim import SimRequest, Simulator
from course.sim.skills.judge import compare, sections, strictness, wants_judgement

VAGUE = "The output answers the question well."
STRICT = """The output passes only if it states the reference fact exactly.
Numbers must match exactly, with their unit.
An output that offers a second, different value fails.
An abstention fails when the reference gives an answer.
When the reference says the answer is not stated, the output must abstain.
An answer that cites a wrong passage fails."""
THINGS = ["audit logs", "deleted objects", "session tokens", "build artifacts", "trace samples"]
PEOPLE = ["Grace Mwangi", "Owen Gallagher", "Lucia Fernandez", "Aisha Rahman", "Tomas Berg"]
TEAMS = ["Payments", "Identity", "Storage", "Messaging", "Observability"]
PADDING = [
    "This follows the standard retention policy that applies across the platform.",
    "Teams can check the current setting on the service dashboard at any time.",
    "Changes to this value go through the usual review process and are announced in advance.",
    "If anything looks off, the owning team is happy to help in its channel.",
]


@dataclass(frozen=True)
class Triple:
    question: str
    reference: str
    candidate: str
    good: bool


def triples(n: int, seed: int = 1, verbose: bool = False) -> list[Triple]:
    """Half good, half bad candidates, across value, name and unanswerable questions."""
    rng = random.Random(seed)
    found = []
    for i in range(n):
        kind = rng.choice(["days", "rate", "person", "unanswerable"])
        good = i % 2 == 0
        if kind == "days":
            thing, days, other = (
                rng.choice(THINGS),
                rng.choice([7, 30, 90]),
                rng.choice([14, 60, 180]),
            )
            question, reference = f"How long are {thing} kept (case {i})?", f"{days} days"
            options = (
                [
                    f"{days} days.",
                    f"They are kept for {days} days.",
                    f"I believe it is {days} days.",
                ]
                if good
                else [
                    f"{other} days.",
                    f"{days} days, though some pages say {other} days.",
                    "I don't know.",
                ]
            )
        elif kind == "rate":
            limit = rng.choice([1200, 3000, 10000])
            question, reference = (
                f"What is the request budget of tier T{i}?",
                f"{limit:,} requests per minute",
            )
            options = (
                [f"{limit} requests per minute.", f"The budget is {limit:,} requests per minute."]
                if good
                else [f"{limit // 2:,} requests per minute.", "It is not stated in the handbook."]
            )
        elif kind == "person":
            person, other = rng.sample(PEOPLE, 2)
            team = rng.choice(TEAMS)
            question, reference = f"Who manages the {team} team ({i})?", person
            options = (
                [f"{person} manages it.", f"The manager is {person}."]
                if good
                else [
                    f"{other} manages it.",
                    f"The {team} team.",
                ]
            )
        else:
            question, reference = (
                f"What is the cost center of service {i}?",
                "Not stated in the handbook.",
            )
            options = (
                ["The handbook does not say.", "I don't know; it is not documented."]
                if good
                else [f"CC-{rng.randint(100, 999)}.", "It is billed to the Platform team."]
            )
        candidate = rng.choice(options)
        if verbose:
            candidate = " ".join([candidate, *rng.sample(PADDING, 4)])
        found.append(Triple(question, reference, candidate, good))
    return found


def verdicts(model: str, rubric: str, items: list[Triple]) -> list[bool]:
    judge = LLMJudge(Client("sim", model, traces=False, cache=False), rubric)
    found = []
    for t in items:
        score = judge(t.candidate, t.reference, input=t.question)
        assert score.error is None, score
        found.append(bool(score.passed))
    return found


def rates(model: str, rubric: str, items: list[Triple]) -> tuple[float, float]:
    alignment = judge_alignment(verdicts(model, rubric, items), [t.good for t in items])
    return alignment.tpr, alignment.tnr


# --- step 1: the mechanical comparison --------------------------------------------------------


def truth(candidate: str, reference: str | None, question: str = "q?", context: str = "") -> bool:
    parts = [f"<input>\n{question}\n</input>"]
    if context:
        parts.append(f"<context>\n{context}\n</context>")
    if reference is not None:
        parts.append(f"<reference>\n{reference}\n</reference>")
    parts.append(f"<output>\n{candidate}\n</output>")
    return compare(sections("\n".join(parts))).passed


@pytest.mark.parametrize(
    ("candidate", "reference", "passed"),
    [
        ("1200 requests per minute", "1,200 requests per minute", True),
        ("It is 99.95 percent.", "99.95%", True),
        ("Four hours at most.", "4 hours", True),
        ("90 minutes", "90 days", False),  # same number, wrong unit
        ("The handbook does not say.", "Not stated in the handbook.", True),
        ("30 days.", "Not stated in the handbook.", False),
        ("I don't know.", "30 days", False),
        ("90 days, though some pages say 180 days.", "90 days", False),
        ("Either 8443 or 8080.", "8443", False),
        ("It runs in nw-us-east-1, or possibly nw-us-west-2.", "nw-us-east-1", False),
        ("Blob and Queues.", "Blob, Queues and Functions", False),  # part of a list
        ("Blob, Functions and Queues.", "Blob, Queues and Functions", True),
        ("If I remember the page correctly, it is 90 days.", "90 days", True),
        ("Grace Mwangi, or maybe Owen Gallagher.", "Grace Mwangi", False),
        ("Identity & Access.", "Identity & Access, oncall-identity", False),  # the bridge only
        ("oncall-identity, or maybe oncall-payments.", "oncall-identity", False),
        (
            "Use oncall-identity; the on-call page or the channel explain more.",
            "oncall-identity",
            True,
        ),
        ("Every two weeks.", "Weekly", False),
    ],
)
def test_comparison(candidate: str, reference: str, passed: bool) -> None:
    assert truth(candidate, reference) is passed


def test_citations_are_checked_only_against_passages_the_judge_sees() -> None:
    context = "[doc-1#p1] Keys rotate every 90 days.\n[doc-2#p1] Tokens expire after 1 hour."
    assert truth("90 days [doc-1#p1]", "90 days", context=context)
    assert not truth("90 days [doc-2#p1]", "90 days", context=context)
    assert truth("90 days [doc-7#p3]", "90 days", context=context)  # not shown: unchecked
    assert truth("90 days [doc-2#p1]", "90 days")  # no passages: a blind spot


def test_without_a_reference_only_abstentions_and_self_contradictions_fail() -> None:
    assert truth("180 days.", None)  # wrong, but nothing to compare with
    assert not truth("I don't know.", None)


def test_rubric_criteria_set_strictness() -> None:
    assert strictness(sections(f"<rubric>{VAGUE}</rubric><output>x</output>"), "") == 1.0
    assert strictness(sections(f"<rubric>{STRICT}</rubric><output>x</output>"), "") == 0.4


def test_judging_prompts_are_recognised_and_others_are_not() -> None:
    judge = LLMJudge(None, VAGUE)  # type: ignore[arg-type]
    messages = [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": judge.prompt("90 days", "90 days", input="How long?")},
    ]
    assert wants_judgement(messages)
    assert not wants_judgement([{"role": "user", "content": "Summarise: the grader was late."}])
    assert not wants_judgement(
        [{"role": "user", "content": "Classify. Labels: pass, fail\nText: the build is green"}]
    )
    # Judging words inside the data (a passage) do not make a RAG prompt a judging task.
    rag = (
        "Answer using only the passages. If they do not contain the answer, say so.\n\n"
        "Passages:\n[doc-1#p1] Each risk assessment must pass review; failed grades are "
        "rescored.\n\nQuestion: What happens to failed grades?\nAnswer:"
    )
    assert not wants_judgement([{"role": "user", "content": rag}])


# --- step 2: imperfect agreement ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "tpr_band", "tnr_band"),
    [
        ("sim-small", (0.84, 0.96), (0.72, 0.88)),  # false fail 0.10; false pass 0.5 x 0.4
        ("sim-large", (0.90, 1.00), (0.86, 0.98)),  # false fail 0.05; false pass 0.2 x 0.4
    ],
)
def test_tpr_and_tnr_on_generated_items(model: str, tpr_band: tuple, tnr_band: tuple) -> None:
    tpr, tnr = rates(model, STRICT, triples(600))
    assert tpr_band[0] <= tpr <= tpr_band[1]
    assert tnr_band[0] <= tnr <= tnr_band[1]


@pytest.mark.parametrize("model", ["sim-small", "sim-large"])
def test_a_strict_rubric_lowers_the_false_pass_rate(model: str) -> None:
    items = triples(600)
    _, tnr_vague = rates(model, VAGUE, items)
    _, tnr_strict = rates(model, STRICT, items)
    assert (1 - tnr_vague) - (1 - tnr_strict) >= (0.2 if model == "sim-small" else 0.07)


def test_judges_are_lenient_false_passes_outnumber_false_fails() -> None:
    tpr, tnr = rates("sim-small", VAGUE, triples(600))
    assert (1 - tnr) > 2 * (1 - tpr)


def test_verbose_outputs_pass_more_often() -> None:
    short = triples(600, seed=4)
    long = triples(600, seed=4, verbose=True)
    tpr_short, tnr_short = rates("sim-small", VAGUE, short)
    tpr_long, tnr_long = rates("sim-small", VAGUE, long)
    assert (1 - tnr_long) - (1 - tnr_short) >= 0.2  # false passes: 0.5 -> up to 1.0 (capped)
    assert tpr_long >= tpr_short


def test_a_reference_after_the_output_raises_false_passes() -> None:
    def false_pass_rate(reference_last: bool) -> float:
        sim, passed = Simulator(), 0
        bad = [t for t in triples(1200, seed=6) if not t.good]
        for t in bad:
            out, ref = (
                f"<output>\n{t.candidate}\n</output>",
                f"<reference>\n{t.reference}\n</reference>",
            )
            body = "\n".join(
                [f"<rubric>{VAGUE}</rubric>", f"<input>{t.question}</input>"]
                + ([out, ref] if reference_last else [ref, out])
            )
            messages = [
                {"role": "system", "content": JUDGE_SYSTEM},
                {"role": "user", "content": body},
            ]
            passed += (
                "VERDICT: PASS"
                in sim.complete(SimRequest(model="sim-small", messages=messages)).content
            )
        return passed / len(bad)

    assert false_pass_rate(True) - false_pass_rate(False) >= 0.07  # x1.3 on 0.5


# --- formats -----------------------------------------------------------------------------


def ask(user: str, system: str = "", **kw: object) -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}
    ]
    return Simulator().complete(SimRequest(model="sim-large", messages=messages, **kw)).content


GRADE = "Grade the answer against the reference.\nReference: 90 days\nAnswer: 90 days"


def test_verdict_lines_json_scores_and_bare_words() -> None:
    assert ask(GRADE + "\n\nReply with VERDICT: PASS or VERDICT: FAIL.").startswith("VERDICT: ")
    data = json.loads(ask(GRADE + '\n\nRespond in JSON: {"verdict": "pass|fail", "reason": "..."}'))
    assert data["verdict"] in ("pass", "fail") and data["reason"]
    assert ask(GRADE + "\n\nScore it from 1 to 5.").split("\n")[0] in ("SCORE: 5", "SCORE: 1")
    assert ask(GRADE + "\n\nSay PASS or FAIL.").split(".")[0] in ("PASS", "FAIL")


class Grade(BaseModel):
    passed: bool
    reason: str


def test_a_json_schema_verdict_fills_booleans_and_reasons() -> None:
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "G", "schema": Grade.model_json_schema()},
    }
    grade = Grade.model_validate_json(ask(GRADE, response_format=schema))
    assert grade.reason


# --- the tables in docs/SIMULATOR.md -------------------------------------------------------------


def handbook_rubric() -> str:
    """The labelling rubric of course/data/README_handbook.md, as a notebook would quote it."""
    from course.data.handbook import DATA_DIR

    text = (DATA_DIR.parent / "README_handbook.md").read_text(encoding="utf-8")
    start = text.index("A candidate **passes**")
    return text[start : text.index("| Perturbation", start)].replace("**", "").strip()


def print_tables() -> None:
    items = triples(600)
    for model in ("sim-small", "sim-large"):
        for name, rubric in (("vague", VAGUE), ("strict", STRICT)):
            tpr, tnr = rates(model, rubric, items)
            print(f"generated, {model}, {name} rubric: TPR {tpr:.3f} TNR {tnr:.3f}")


def print_handbook() -> None:
    """TPR/TNR against the human labels of the handbook judge-alignment set."""
    from course.data.handbook import load_judge_set, load_qa

    questions = {q.id: q for q in load_qa()}
    judged = load_judge_set()
    human = [j.human_label == "pass" for j in judged]
    for name, rubric in (("handbook labelling rubric", handbook_rubric()), ("vague", VAGUE)):
        for model in ("sim-small", "sim-large"):
            judge = LLMJudge(Client("sim", model, traces=False, cache=False), rubric)
            said = []
            for j in judged:
                q = questions[j.question_id]
                said.append(bool(judge(j.candidate, q.answer, input=q.question).passed))
            a = judge_alignment(said, human)
            print(f"handbook ({a.n} items), {model}, {name}: TPR {a.tpr:.3f} TNR {a.tnr:.3f}")


# --- explicit criteria by meaning -------------------------------------------------------------
# Rubrics written for these tests, in other words than STRICT: each says what PASS/FAIL mean.
RUBRIC_PARAPHRASES = [
    "Give PASS when the response carries every fact of the expected answer. Give FAIL when a "
    "fact is missing or stated differently.",
    "A reply with a number that does not match the reference number is wrong. Leaving out part "
    "of the reference is also a fail.",
    "Mark it correct only if it agrees with the gold answer on each value and name. Anything "
    "contradicting the gold answer is incorrect.",
    "If the reference has an answer and the output says it does not know, that is a fail. If "
    "the reference says the fact is not documented, only an output that says so passes.",
    "FAIL: the output hedges between two values, one of them not in the reference.\n"
    "PASS: the output states the reference value.",
    "Reject outputs that invent details absent from the reference. Accept outputs that match "
    "the reference's figures and units.",
    "The candidate must contain the same entities as the expected answer; a different person or "
    "team means it fails.",
    "Compare against the reference: same facts means pass, a conflicting or missing fact means "
    "fail.",
    "- Missing a number from the reference: FAIL\n- Different unit or value than the reference: "
    "FAIL\n- Otherwise: PASS",
    "An answer citing a passage that does not back up its claim fails, even if the claim matches "
    "the reference.",
]
RUBRIC_CONTENT_FREE = [
    "Take your time. Never guess. You must focus.",
    "Be strict. Be exact. Never be lenient.",
    "You must judge very carefully and never make mistakes.",
    "Grade it properly, with the rigour of a senior reviewer.",
    "Exactly follow the instructions. Always be precise. Never rush.",
]


def strictness_of(rubric: str) -> float:
    return strictness(sections(f"<rubric>{rubric}</rubric><output>x</output>"), "")


def effect_share(rubric: str) -> float:
    """The rubric's cut of the false-pass factor as a share of the documented rubric's cut."""
    return (1 - strictness_of(rubric)) / (1 - strictness_of(STRICT))


def test_paraphrased_rubrics_keep_most_of_the_documented_effect() -> None:
    shares = sorted(effect_share(r) for r in RUBRIC_PARAPHRASES)
    assert shares[len(shares) // 2] >= 0.7, shares
    assert sum(share > 0 for share in shares) >= 9, shares


def test_content_free_rubrics_get_little_of_the_effect() -> None:
    shares = [effect_share(r) for r in RUBRIC_CONTENT_FREE]
    assert max(shares) <= 0.2, shares
    assert strictness_of(VAGUE) == 1.0


def test_a_paraphrased_rubric_cuts_false_passes_like_the_documented_one() -> None:
    items = triples(600)
    _, tnr_vague = rates("sim-small", VAGUE, items)
    _, tnr_strict = rates("sim-small", STRICT, items)
    median_rubric = sorted(RUBRIC_PARAPHRASES, key=effect_share)[len(RUBRIC_PARAPHRASES) // 2]
    _, tnr_para = rates("sim-small", median_rubric, items)
    _, tnr_free = rates("sim-small", RUBRIC_CONTENT_FREE[0], items)
    documented = tnr_strict - tnr_vague
    assert tnr_para - tnr_vague >= 0.7 * documented, (tnr_vague, tnr_strict, tnr_para)
    assert tnr_free - tnr_vague <= 0.2 * documented + 0.03, (tnr_vague, tnr_free)


def print_criteria_table() -> None:
    """Per tier: false-pass rates with vague, documented, paraphrased, content-free rubrics."""
    items = triples(600)
    shares = sorted(effect_share(r) for r in RUBRIC_PARAPHRASES)
    free = sorted(effect_share(r) for r in RUBRIC_CONTENT_FREE)
    print(
        f"strictness factor share: paraphrases median {shares[len(shares) // 2]:.2f} "
        f"(min {shares[0]:.2f}); content-free max {free[-1]:.2f}"
    )
    for model in ("sim-small", "sim-large"):
        fp = {
            name: 1 - rates(model, r, items)[1]
            for name, r in (("vague", VAGUE), ("strict", STRICT))
        }
        cut = fp["vague"] - fp["strict"]
        para = sorted(
            (fp["vague"] - (1 - rates(model, r, items)[1])) / cut for r in RUBRIC_PARAPHRASES
        )
        cf = sorted(
            (fp["vague"] - (1 - rates(model, r, items)[1])) / cut for r in RUBRIC_CONTENT_FREE
        )
        print(
            f"{model}: false pass vague {fp['vague']:.3f} strict {fp['strict']:.3f}; "
            f"paraphrase median ratio {para[len(para) // 2]:.2f} (min {para[0]:.2f}); "
            f"content-free median {cf[len(cf) // 2]:.2f} max {cf[-1]:.2f}"
        )


if __name__ == "__main__":
    if "--criteria" in sys.argv:
        print_criteria_table()
    elif "--handbook" in sys.argv:
        print_handbook()
    else:
        print_tables()
