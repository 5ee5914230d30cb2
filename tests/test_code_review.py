"""The code-review lesson's parts: course.review (diffs, linter, scores, the LLM reviewer) and the
simulator's review skill, tried on diffs written here by hand rather than by the generator.

The hand-written diffs use shapes the generator never makes (aiohttp, itertools.count, os.popen,
a private key, a retry counted in a while condition, hunks that start mid-function) and clean
code that looks suspicious, so the skill is shown to read code, not the generator's templates.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from course.errors import CourseError
from course.llm import Client, ServerError
from course.review import (
    KINDS,
    SEMANTIC_KINDS,
    default_prompt,
    generate_diffs,
    lint_diffs,
    lint_review,
    make_diff,
    parse_diff,
    parse_findings,
    review_diff,
    review_diffs,
    score,
    union,
    wilson,
)
from course.sim import Simulator
from course.sim.engine import SimRequest
from course.sim.reading.code import code_under_review
from course.sim.skills.review import candidates

RULES = {
    "S113": "no_timeout", "S608": "sql_formatting", "E722": "bare_except",
    "BLE001": "bare_except", "B006": "mutable_default", "S105": "hardcoded_secret",
    "S106": "hardcoded_secret", "S107": "hardcoded_secret", "S501": "tls_unverified",
    "S323": "tls_unverified", "S602": "shell_injection", "S605": "shell_injection",
}  # fmt: skip


def client(model: str = "sim-small") -> Client:
    return Client("sim", model, cache=False, traces=False, seed=0)


def snippet_diff(code: str, path: str = "svc/new.py") -> str:
    """A diff that adds `code` as a new file (every line added)."""
    lines = textwrap.dedent(code).strip("\n").splitlines()
    body = "\n".join("+" + line for line in lines)
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}\n"


def noticed(diff_text: str) -> dict[str, str]:
    """concept -> strongest strength the simulator's reader notices in a diff."""
    code = code_under_review(f"```diff\n{diff_text}```")
    assert code is not None, "the diff was not recognised as code"
    found: dict[str, str] = {}
    for candidate in candidates(code):
        found.setdefault(candidate.concept, candidate.strength)
    return found


def defects(diff_text: str) -> set[str]:
    return {c for c, s in noticed(diff_text).items() if s in ("clear", "subtle")}


# --- the dataset ------------------------------------------------------------------------------


def test_generated_diffs_are_seeded_labelled_valid_python_and_varied():
    one, again, other = generate_diffs(3, 90), generate_diffs(3, 90), generate_diffs(4, 90)
    assert [d.text for d in one] == [d.text for d in again]
    assert [d.text for d in one] != [d.text for d in other]
    assert all(d.labels <= set(KINDS) for d in one)
    counts = {k: sum(k in d.labels for d in one) for k in KINDS}
    assert min(counts.values()) >= 6, counts  # every kind, about equally often
    assert 0.15 <= sum(d.clean for d in one) / len(one) <= 0.45
    for d in one:
        ast.parse(d.new_code)  # the linter and the reviewers get real Python
        assert d.added and d.text.startswith("--- a/")
    # the same kind is written many ways: distinct added code for most diffs of a kind
    for kind in KINDS:
        texts = {d.added_code() for d in one if d.labels == {kind}}
        assert len(texts) >= min(4, len([d for d in one if d.labels == {kind}])), kind


def test_the_same_seed_gives_the_same_diffs_in_another_process():
    """Python's string hashing differs per process; nothing drawn may depend on set order."""
    script = (
        "import hashlib; from course.review import generate_diffs; "
        "print(hashlib.sha256(''.join(d.text for d in generate_diffs(9, 40)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
        ).stdout
        for hash_seed in (1, 2, 3)
    }  # fmt: skip
    assert len(digests) == 1, digests


def test_generate_diffs_refuses_bad_arguments_with_a_hint():
    with pytest.raises(CourseError, match="n >= 1"):
        generate_diffs(0, 0)
    with pytest.raises(CourseError, match="clean_share"):
        generate_diffs(0, 5, clean_share=1.5)


def test_parse_diff_reads_back_what_make_diff_wrote():
    for diff in generate_diffs(11, 20):
        read = parse_diff(diff.text)
        assert read.added == diff.added and read.path == diff.path
        lines, new = read.new_code.splitlines(), diff.new_code.splitlines()
        assert all(lines[i - 1] == new[i - 1] for i in diff.added)


def test_parse_diff_takes_a_pasted_snippet_as_all_new_and_refuses_nothing():
    read = parse_diff("x = 1\ny = [x]\n")
    assert read.added == {1, 2} and read.labels == frozenset()
    with pytest.raises(CourseError):
        parse_diff("   ")


# --- the linter -------------------------------------------------------------------------------


def test_ruff_reports_findings_on_added_lines_only():
    before = "import requests\n\n\ndef old(url):\n    return requests.get(url)\n"
    after = before + "\n\ndef new(url, tags=[]):\n    return requests.post(url)\n"
    diff = make_diff("svc/api.py", before, after, id="hand")
    found = lint_diffs([diff], ["S113", "B006"])[0]
    assert {(f.code, f.line) for f in found} == {("B006", 8), ("S113", 9)}, found
    assert lint_review([diff], {"S113": "no_timeout"}) == [frozenset({"no_timeout"})]
    assert lint_review([diff], {}) == [frozenset()]


def test_ruff_selection_must_be_rule_codes():
    diff = make_diff("a.py", "", "x = 1\n")
    with pytest.raises(CourseError, match="rule codes"):
        lint_diffs([diff], ["S113; rm -rf /"])
    with pytest.raises(CourseError):
        lint_diffs([diff], [])


def test_an_unknown_rule_code_is_a_clear_error_naming_it():
    with pytest.raises(CourseError, match="S999"):
        lint_review(generate_diffs(0, 2), {"S999": "no_timeout"})


def test_the_linter_is_blind_to_the_semantic_kinds_and_strong_on_the_others():
    diffs = generate_diffs(21, 150)
    table = score([d.labels for d in diffs], lint_review(diffs, RULES))
    assert all(table.loc[k, "tp"] == 0 for k in SEMANTIC_KINDS), table
    assert table.loc["micro", "precision"] >= 0.8
    assert (
        table.loc["bare_except", "recall"] >= 0.9 and table.loc["mutable_default", "recall"] >= 0.9
    )


# --- scores -----------------------------------------------------------------------------------


def test_score_counts_per_kind_and_pools_micro_and_macro():
    labels = [{"no_timeout"}, {"no_timeout", "bare_except"}, set(), {"bare_except"}]
    found = [{"no_timeout"}, {"no_timeout"}, {"bare_except"}, set()]
    table = score(labels, found, kinds=["no_timeout", "bare_except"])
    assert table.loc["no_timeout", ["tp", "fp", "fn"]].tolist() == [2, 0, 0]
    assert table.loc["bare_except", ["tp", "fp", "fn"]].tolist() == [0, 1, 2]
    assert table.loc["micro", "precision"] == pytest.approx(2 / 3)
    assert table.loc["micro", "recall"] == pytest.approx(2 / 4)
    assert table.loc["macro", "recall"] == pytest.approx((1.0 + 0.0) / 2)
    assert np.isnan(score([set()], [set()], kinds=["no_timeout"]).loc["no_timeout", "precision"])
    with pytest.raises(CourseError, match="one prediction set per diff"):
        score([set()], [])


def test_wilson_matches_the_textbook_values_and_union_joins_reviews():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert np.isnan(wilson(0, 0)[0])
    assert union([{"a"}, set()], [{"b"}, {"c"}]) == [{"a", "b"}, {"c"}]


# --- reading a model's review -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kinds", "parsed"),
    [
        ('{"findings": [{"kind": "no_timeout", "line": 3}]}', {"no_timeout"}, True),
        ('```json\n[{"type": "Bare-Except"}]\n```', {"bare_except"}, True),
        (
            'Sure! {"issues": [{"category": "SQL formatting"}]} hope it helps',
            {"sql_formatting"},
            True,
        ),
        (
            '["mutable_default", "hardcoded_secret", "typo"]',
            {"mutable_default", "hardcoded_secret"},
            True,
        ),
        ('{"findings": []}', set(), True),
        ("{'findings': [{'kind': 'no_timeout'}]}", set(), False),  # not JSON
        ('{"verdict": "looks fine"}', set(), False),  # no list of findings
        ("Line 4: the request has no timeout.", set(), False),
        (None, set(), False),
    ],
)
def test_parse_findings_is_strict_about_json_and_lenient_about_spelling(reply, kinds, parsed):
    found, _, _, ok = parse_findings(reply)
    assert (set(found), ok) == (kinds, parsed)


def test_unknown_kind_names_are_kept_aside():
    _, _, unknown, ok = parse_findings('[{"kind": "race-condition"}, {"kind": "no_timeout"}]')
    assert ok and unknown == ("race-condition",)


def test_a_failed_call_is_a_parse_failure_not_a_crash():
    class Down:
        def complete(self, *args, **kwargs):
            raise ServerError("provider down", status=503)

    review = review_diff(Down(), generate_diffs(0, 1)[0], default_prompt())
    assert not review.parsed and review.kinds == frozenset()
    assert "ServerError" in review.error


# --- the simulator's reader, on hand-written code ----------------------------------------------

HAND_DEFECTS = [
    (
        """
        async def fetch_avatar(session, user_id):
            async with session.get(f"https://cdn.example.org/u/{user_id}") as reply:
                return await reply.read()
        """,
        "timeout",
    ),
    (
        """
        import itertools

        def every_invoice(api):
            out = []
            for page in itertools.count(1):
                chunk = api.invoices(page=page)
                if not chunk:
                    return out
                out.extend(chunk)
        """,
        "paging",
    ),
    (
        """
        def sync_all(client):
            token = None
            while True:
                reply = client.fetch(after=token)
                handle(reply["events"])
                token = reply["continuation"]
                if token is None:
                    break
        """,
        "paging",
    ),
    (
        """
        import collections

        def group(rows, into=collections.defaultdict(list)):
            for row in rows:
                into[row[0]].append(row)
            return into
        """,
        "default",
    ),
    (
        """
        import os

        def tail(path):
            return os.popen("tail -n 50 " + path).read()
        """,
        "shell",
    ),
    (
        """
        def harden(ctx):
            ctx.check_hostname = False
            return ctx
        """,
        "tls",
    ),
    (
        """
        def add_user(db, name):
            db.execute("INSERT INTO users (name) VALUES ('" + name + "')")
        """,
        "sql",
    ),
    (
        """
        SIGNING_MATERIAL = "-----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA"
        """,
        "secret",
    ),
    (
        """
        def push(queue, event, attempt=0):
            while attempt < 5:
                try:
                    queue.put(event)
                    break
                except OSError:
                    attempt += 1
        """,
        "retry",
    ),
    (
        """
        def safe(job):
            try:
                job()
            except BaseException as problem:
                print(problem)
        """,
        "except",
    ),
]


@pytest.mark.parametrize(("code", "concept"), HAND_DEFECTS, ids=[c for _, c in HAND_DEFECTS])
def test_the_reader_notices_defects_the_generator_never_writes(code, concept):
    assert concept in defects(snippet_diff(code)), noticed(snippet_diff(code))


HAND_CLEAN = [
    """
    def by_owner(cur, owner):
        cur.execute("SELECT id FROM boxes WHERE owner = %s", (owner,))
        return cur.fetchall()
    """,
    """
    import backoff, requests

    @backoff.on_exception(backoff.expo, requests.RequestException, max_tries=5)
    def ping(url):
        return requests.get(url, timeout=3)
    """,
    """
    def drain(queue):
        while True:
            item = queue.get()
            if item is None:
                break
            process(item)
    """,
    """
    PASSWORD_MIN_LENGTH = 12
    TOKEN_HEADER = "x-auth-token"
    api_key = os.environ["API_KEY"]
    """,
    """
    import subprocess

    def version():
        return subprocess.run(["git", "describe", "--tags"], capture_output=True, check=True)
    """,
    """
    def pages(api, limit=20):
        cursor, seen = None, 0
        while True:
            batch = api.list(cursor=cursor)
            cursor = batch.get("next")
            seen += 1
            if not cursor or seen >= limit:
                return
    """,
    """
    def retry(call, tries=4):
        for attempt in range(tries):
            try:
                return call()
            except ConnectionError:
                time.sleep(0.2 * 2**attempt)
        raise RuntimeError("gave up")
    """,
]


@pytest.mark.parametrize("code", HAND_CLEAN, ids=range(len(HAND_CLEAN)))
def test_clean_code_that_looks_suspicious_is_no_defect_to_the_reader(code):
    assert defects(snippet_diff(code)) == set(), noticed(snippet_diff(code))


def test_on_generated_diffs_the_reader_sees_every_planted_defect_and_no_clean_twin():
    concept_of = {
        "timeout": "no_timeout", "sql": "sql_formatting", "except": "bare_except",
        "default": "mutable_default", "secret": "hardcoded_secret", "tls": "tls_unverified",
        "shell": "shell_injection", "retry": "retry_no_backoff", "paging": "unbounded_pagination",
    }  # fmt: skip
    for diff in generate_diffs(5, 200):
        seen = {concept_of[c] for c in defects(diff.text)}
        assert seen == diff.labels, (diff.id, diff.labels, noticed(diff.text), diff.text)


def test_a_client_with_a_timeout_excuses_its_own_calls_only():
    code = """
    def both(session, base):
        with httpx.Client(base_url=base, timeout=5) as client:
            first = client.get("/a")
        return first, session.get(base + "/b")
    """
    found = {(c.concept, c.line, c.strength) for c in candidates(
        code_under_review(f"```diff\n{snippet_diff(code)}```"))}  # fmt: skip
    assert ("timeout", 3, "hunch") in found and ("timeout", 4, "subtle") in found, found


def test_a_hunk_that_starts_mid_function_is_still_read():
    diff = textwrap.dedent("""\
        --- a/jobs/export.py
        +++ b/jobs/export.py
        @@ -40,6 +40,8 @@ def export(rows, target):
             for row in rows:
                 if row.skip:
                     continue
        +        reply = requests.post(target, json=row.as_dict())
        +        reply.raise_for_status()
             return len(rows)
         def later(x):
        """)
    code = code_under_review(diff)
    assert code is not None and code.added == {43, 44}
    assert {(c.concept, c.line) for c in candidates(code)} >= {("timeout", 43)}


# --- the simulator's review skill: the prompt, the tier, determinism ----------------------------


def ask(system: str, diff_text: str, model: str = "sim-small", **extra):
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": f"```diff\n{diff_text}```"}]  # fmt: skip
    return Simulator().complete(SimRequest(model=model, messages=messages, **extra))


def test_the_skill_answers_only_a_review_request_with_code():
    diff = snippet_diff("def f(x=[]):\n    return x\n")
    assert ask("What's wrong with this change? Answer in JSON.", diff).skill == "review"
    assert ask("Audit the patch for problems.", diff).skill == "review"
    assert ask("Summarise this change in one sentence.", diff).skill != "review"
    json_example = 'Review the ticket. Reply like ```json\n{"a": 1}\n```'
    result = Simulator().complete(SimRequest(model="sim-small", messages=[
        {"role": "user", "content": json_example}]))  # fmt: skip
    assert result.skill != "review"


@pytest.mark.parametrize(
    ("system", "skill"),
    [
        (
            "Look for:\n* missing_timeout: requests that may hang\n* sqli: SQL glued from input\n"
            "Answer in JSON.",
            "review",
        ),
        (
            "Which language is this snippet? Options:\n- python_code: Python source\n"
            "- shell_script: a Bash script\n- sql_query: an SQL statement",
            "classify",
        ),
        (
            "Label the snippet's topic:\n- network_calls: talks to HTTP services\n"
            "- database_access: queries a database\n- file_handling: reads files",
            "classify",
        ),
    ],
)
def test_listed_defect_kinds_make_a_review_but_a_label_set_alone_does_not(system, skill):
    code = "```python\nimport os\nhere = os.getcwd()\n```"
    messages = [{"role": "system", "content": system}, {"role": "user", "content": code}]
    assert Simulator().complete(SimRequest(model="sim-small", messages=messages)).skill == skill


def test_the_skill_is_deterministic_and_names_kinds_the_prompt_lists():
    diff = snippet_diff("def f(x=[]):\n    return x\n")
    prompt = (
        "Review the change. Kinds, with what they mean:\n"
        "- shared_default_arg: a parameter default that is a list or dict, shared by calls\n"
        "- leaked_credential: a password or key typed into the source\n"
        'Return JSON: {"problems": [{"type": "<kind>", "line": 1}]}'
    )
    first, second = ask(prompt, diff), ask(prompt, diff)
    assert first.content == second.content
    reply = json.loads(first.content)
    assert [p["type"] for p in reply["problems"]] == ["shared_default_arg"], reply


def recall_and_precision(model, prompt, diffs, **options):
    found = review_diffs(client(model), diffs, prompt, **options)
    table = score([d.labels for d in diffs], [r.kinds for r in found])
    return table, sum(not r.parsed for r in found)


@pytest.fixture(scope="module")
def diffs():
    return generate_diffs(77, 120)


def test_listing_kinds_and_asking_for_json_beats_review_this(diffs):
    listed, _ = recall_and_precision("sim-small", default_prompt(), diffs)
    _, bare_failures = recall_and_precision("sim-small", "Review this diff.", diffs)
    own_words, _ = recall_and_precision("sim-small", "Review this diff. Reply in JSON.", diffs)
    assert bare_failures == len(diffs)  # prose review comments: nothing a program can read
    assert listed.loc["micro", "recall"] >= 0.6
    assert own_words.loc["micro", "recall"] <= 0.25  # its own names, not yours
    names_only, _ = recall_and_precision("sim-small", default_prompt(list(KINDS)), diffs)
    assert names_only.loc["micro", "recall"] < listed.loc["micro", "recall"] + 0.05


def test_the_larger_tier_misses_less_and_alarms_less(diffs):
    small, _ = recall_and_precision("sim-small", default_prompt(), diffs, json_mode=True)
    large, _ = recall_and_precision("sim-large", default_prompt(), diffs, json_mode=True)
    assert large.loc["micro", "recall"] > small.loc["micro", "recall"] + 0.08
    assert large.loc["micro", "fp"] <= small.loc["micro", "fp"]
    by_small = review_diffs(client("sim-small"), diffs, default_prompt(), json_mode=True)
    by_large = review_diffs(client("sim-large"), diffs, default_prompt(), json_mode=True)
    true_small = [r.kinds & d.labels for r, d in zip(by_small, diffs, strict=True)]
    true_large = [r.kinds & d.labels for r, d in zip(by_large, diffs, strict=True)]
    assert all(s <= g for s, g in zip(true_small, true_large, strict=True))  # shared draws


def test_the_model_covers_what_the_linter_cannot_and_the_linter_wins_on_its_own_kinds(diffs):
    model, _ = recall_and_precision("sim-small", default_prompt(), diffs)
    linter = score([d.labels for d in diffs], lint_review(diffs, RULES))
    for kind in SEMANTIC_KINDS:
        assert model.loc[kind, "recall"] >= 0.5 > linter.loc[kind, "recall"], kind
    syntactic = [k for k in KINDS if k not in SEMANTIC_KINDS]
    assert linter.loc[syntactic, "tp"].sum() > model.loc[syntactic, "tp"].sum()


def test_temperature_raises_the_error_rates(diffs):
    cold, _ = recall_and_precision("sim-small", default_prompt(), diffs, json_mode=True)
    hot, _ = recall_and_precision(
        "sim-small", default_prompt(), diffs, json_mode=True, temperature=1.0
    )
    assert hot.loc["micro", "recall"] < cold.loc["micro", "recall"]


def test_kinds_named_and_defined_in_other_words_are_matched_by_meaning(diffs):
    mine = {  # my names -> (the course's kind, my definition)
        "missing_timeout": ("no_timeout", "outbound web requests that could wait forever"),
        "sqli": ("sql_formatting", "queries assembled by pasting user values into the SQL text"),
        "catch_all": ("bare_except", "exception handlers that catch absolutely everything"),
        "shared_default": ("mutable_default", "parameters defaulting to a list or dict object"),
        "secret_in_code": ("hardcoded_secret", "credentials or API keys written in the file"),
        "insecure_tls": ("tls_unverified", "HTTPS connections that skip certificate checks"),
        "command_injection": ("shell_injection", "commands built from input, run by a shell"),
        "hammering_retry": ("retry_no_backoff", "retrying at once, never waiting longer"),
        "endless_paging": ("unbounded_pagination", "following next-page links with no limit"),
    }
    listed = "\n".join(f"* {name} — {meaning}" for name, (_, meaning) in mine.items())
    prompt = f'Look for:\n{listed}\nOutput JSON: {{"issues": [{{"type": "...", "line": 0}}]}}'
    found = review_diffs(client(), diffs, prompt, kinds=list(mine))
    as_course = [frozenset(mine[k][0] for k in r.kinds) for r in found]
    table = score([d.labels for d in diffs], as_course)
    assert table.loc["micro", "recall"] >= 0.6 and table.loc["micro", "precision"] >= 0.8, table
    assert all(table.loc[k, "tp"] > 0 for k in KINDS), table["tp"]


@pytest.mark.parametrize(
    "body",
    [
        "+def broken(:\n+    return ]\n",  # not Python at all
        "+" + "(" * 300 + "\n",  # deeper than the parser allows
        "+const x = await fetch(url);\n+if (x) { while (true) { page++; } }\n",  # JavaScript
        "+\n+\n",  # nothing added but blank lines
    ],
)
def test_unparsable_or_foreign_code_gets_a_review_not_a_crash(body):
    diff = f"--- a/x.py\n+++ b/x.py\n@@ -1,0 +1,{body.count(chr(10))} @@\n{body}"
    result = ask(default_prompt(), diff, response_format={"type": "json_object"})
    assert result.skill == "review"
    assert isinstance(json.loads(result.content)["findings"], list)
