"""The support-ticket dataset: reproducible, valid, leak-free, and its gold is what the text says.

The checks here re-derive the labels that can be derived mechanically (PII, field values) with
their own code, independent of the generator's, so a generator bug shows up as a disagreement.
Run with `-s` to see the dataset's numbers, including the keyword-baseline accuracy on dev.
"""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from course.data import generate_tickets as gen
from course.data.tickets import (
    CATEGORIES,
    DATA_FILE,
    SPLITS,
    Ticket,
    check_splits,
    load_tickets,
    tickets_frame,
)
from course.errors import CourseError


@pytest.fixture(scope="module")
def rows() -> list[gen.Row]:
    return gen.generate()


@pytest.fixture(scope="module")
def tickets() -> list[Ticket]:
    return load_tickets()


# ---- reproducible --------------------------------------------------------------------------


def test_committed_file_is_exactly_a_fresh_generation(rows):
    assert DATA_FILE.read_bytes() == gen.render_jsonl(rows).encode("utf-8"), (
        "course/data/tickets.jsonl differs from what the generator writes: "
        "run `python -m course.data.generate_tickets` and commit the result"
    )


def test_readme_statistics_are_generated_from_the_data(rows):
    readme = gen.README_FILE.read_text(encoding="utf-8")
    assert gen.render_readme(rows, readme) == readme, "README statistics are stale: regenerate"


def test_generation_is_deterministic(rows):
    assert gen.render_jsonl(gen.generate()) == gen.render_jsonl(rows)
    assert gen.render_jsonl(gen.generate(seed=1)) != gen.render_jsonl(rows)


def test_check_mode_reports_up_to_date(capsys):
    assert gen.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


# ---- valid and well-formed -----------------------------------------------------------------


def test_at_least_400_rows_all_valid_with_ids_in_order(tickets):
    assert len(tickets) >= 400
    assert [t.id for t in tickets] == [f"T-{i:04d}" for i in range(1, len(tickets) + 1)]
    raw = DATA_FILE.read_text(encoding="utf-8").splitlines()
    assert len(raw) == len(tickets)
    for line in raw:  # every line validates on its own, with no extra keys
        Ticket.model_validate_json(line)


def test_category_skew_is_realistic(tickets):
    counts = Counter(t.category for t in tickets)
    assert set(counts) == set(CATEGORIES)
    assert {c for c, _ in counts.most_common(2)} == {"bug", "billing"}
    assert 0.05 <= counts["other"] / len(tickets) <= 0.12


def test_priority_follows_content_but_not_perfectly(tickets):
    features = [t.priority for t in tickets if t.category == "feature_request"]
    assert features.count("low") / len(features) >= 0.7
    assert set(features) != {"low"}  # some feature requests matter more (a renewal depends on it)
    urgent = [t.category for t in tickets if t.priority == "urgent"]
    assert sum(c in ("bug", "account") for c in urgent) / len(urgent) >= 0.8
    assert len({t.priority for t in tickets if t.category == "bug"}) == 4


# ---- splits --------------------------------------------------------------------------------


def test_splits_are_stratified_by_category(tickets):
    check_splits(tickets)
    for category in CATEGORIES:
        members = [t for t in tickets if t.category == category]
        n = len(members)
        split_counts = Counter(t.split for t in members)
        for split, share in (("train", 0.5), ("dev", 0.25), ("test", 0.25)):
            assert abs(split_counts[split] - n * share) <= 1, (category, split, split_counts)


def test_no_body_appears_in_two_splits(tickets):
    seen: dict[str, str] = {}
    for t in tickets:
        key = re.sub(r"\s+", " ", t.body).strip().lower()
        assert key not in seen, f"{t.id} repeats the body of {seen[key]}"
        seen[key] = t.id


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + 8]) for i in range(len(words) - 7)}


def test_no_near_duplicate_bodies(tickets):
    sets = [_shingles(t.body) for t in tickets]
    owners: dict[tuple[str, ...], list[int]] = {}
    for i, grams in enumerate(sets):
        for g in grams:
            owners.setdefault(g, []).append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for ids in owners.values():
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                shared[ids[a], ids[b]] += 1
    worst = max(
        (k / (len(sets[a]) + len(sets[b]) - k), tickets[a].id, tickets[b].id)
        for (a, b), k in shared.items()
    )
    common = sum(1 for grams in sets for g in grams if len(owners[g]) > 1)
    share = common / sum(len(grams) for grams in sets)
    print(
        f"\nworst 8-gram Jaccard {worst[0]:.2f} ({worst[1]}/{worst[2]}); "
        f"share of 8-grams found in more than one ticket {share:.2f}"
    )
    assert worst[0] < 0.5, worst
    assert share < 0.45


# ---- gold labels agree with the text --------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_NOT_PHONES = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"  # ISO dates and timestamps
    r"|\b\d{1,2}[./]\d{1,2}[./](?:19|20)\d{2}\b(?![./]\d)"  # 04.03.2024, 03/04/2024
    r"|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![.\d])"  # IPv4
    r"|\b\d{1,2}:\d{2}\b"  # times
)
_DIGIT_RUN = re.compile(r"(?<![\w*-])\+?[\d(*X][\d ()./*X-]*[\d*X](?![\w*])")


def independent_pii(text: str) -> list[str]:
    found = _EMAIL.findall(text)
    for run in _DIGIT_RUN.findall(_NOT_PHONES.sub(" ", text)):
        digits = sum(ch.isdigit() for ch in run)
        masked = sum(ch in "*X" for ch in run)
        if masked and digits >= 4 and 13 <= digits + masked <= 19:
            found.append(run)  # a partly masked card number
        elif not masked and 9 <= digits <= 19 and "  " not in run:
            found.append(run)  # a phone (9-15 digits) or a card number (13-19)
    return found


PHONE_COUNTRIES = sorted({country for options in gen.COUNTRIES.values() for country, *_ in options})


@pytest.mark.parametrize("country", PHONE_COUNTRIES)
def test_the_independent_scan_finds_every_phone_format(country):
    rng = random.Random(country)
    for _ in range(20):
        phone = gen._phone(rng, country)
        assert independent_pii(f"call me on {phone} please"), phone


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1111",
        "5105105105105100",
        "**** **** **** 4242",
        "XXXX-XXXX-XXXX-1881",
        "4532 01** **** 7781",
        "3782 822463 10005",
        "jo.doe+x@mail.example",
    ],
)
def test_the_independent_scan_finds_cards_and_emails(text):
    assert independent_pii(f"card: {text}.")


@pytest.mark.parametrize(
    "text",
    [
        "ORD-48213",
        "INV-2024-01234",
        "192.168.1.1",
        "2024-03-12 10:31:07 ERROR",
        "04.03.2024",
        "1Z8F4564W1172851",
        "card ending in 4242",
        "1.299,00 €",
        "VAT DE123456789",
        "[Case #60862817]",
        "firmware 3.2.1 on v5.15.0",
        "NIMBUSLABS*CLOUD 9.99",
    ],
)
def test_the_independent_scan_ignores_ids_dates_and_amounts(text):
    assert not independent_pii(f"see {text} here")


def test_contains_pii_matches_an_independent_regex_scan(tickets):
    wrong = [
        (t.id, t.contains_pii, independent_pii(f"{t.subject}\n{t.body}"))
        for t in tickets
        if t.contains_pii != bool(independent_pii(f"{t.subject}\n{t.body}"))
    ]
    assert not wrong, wrong[:5]
    share = sum(t.contains_pii for t in tickets) / len(tickets)
    assert 0.2 <= share <= 0.6


def money_values(text: str) -> set[float]:
    """Every way a number in `text` can be read as money: 1,299.00 and 1.299,00 both -> 1299."""
    values = set()
    for token in re.findall(r"\d[\d.,]*", text):
        token = token.rstrip(".,")
        values.add(float(re.sub(r"[.,]", "", token)))
        decimal = re.fullmatch(r"(.+)[.,](\d{1,2})", token)
        if decimal:
            values.add(float(re.sub(r"[.,]", "", decimal.group(1)) + "." + decimal.group(2)))
    return values


CURRENCY_MARKS = {"USD": ("$", "USD"), "EUR": ("€", "EUR", "EURO"), "GBP": ("£", "GBP")}


def test_every_gold_field_value_appears_in_the_text(tickets):
    for t in tickets:
        text, f = f"{t.subject}\n{t.body}", t.fields
        if f.order_id is not None:
            assert re.fullmatch(r"ORD-\d{5}", f.order_id) and f.order_id in text, t.id
        if f.product is not None:
            assert f.product in gen.PRODUCT_BY_NAME, t.id
            assert f.product.lower() in text.lower(), t.id
        assert (f.amount is None) == (f.currency is None), t.id
        if f.amount is not None:
            assert any(abs(v - f.amount) < 0.005 for v in money_values(text)), (t.id, f.amount)
            assert any(mark in text.upper() for mark in CURRENCY_MARKS[f.currency]), t.id


def test_fields_are_present_often_enough_to_learn_from(tickets):
    fields = [t.fields for t in tickets]
    assert sum(f.order_id is not None for f in fields) >= 60
    assert sum(f.amount is not None for f in fields) >= 60
    assert sum(f.refund_requested for f in fields) >= 40
    assert len({f.currency for f in fields if f.currency}) == 3


_INSTRUCTION = re.compile(
    r"ignor|disregard|forget everything|olvida|vergiss|oublie|esquece|instruction|instrucci"
    r"|instruç|anweisung|system|assistant|assistente|developer mode|\bbot\b",
    re.IGNORECASE,
)
_IGNORE_INSTRUCTIONS = re.compile(
    r"(ignor\w*|disregard|forget|olvida|vergiss|oublie|esquece)\W+(?:\w+\W+){0,4}?"
    r"(instructions?|instrucciones|anweisungen|instruções|rules?|everything)",
    re.IGNORECASE,
)


def test_injection_rows_hold_an_instruction_and_others_do_not(tickets):
    injected = [t for t in tickets if t.is_injection]
    assert 0.03 <= len(injected) / len(tickets) <= 0.06
    for t in injected:
        assert _INSTRUCTION.search(t.body), t.id
    clean = [t for t in tickets if not t.is_injection]
    assert not [t.id for t in clean if _IGNORE_INSTRUCTIONS.search(t.body)]
    # The gold follows the real content: injections ask for "urgent"/"other", gold rarely is.
    assert Counter(t.category for t in injected)["other"] < len(injected) / 2


# ---- language and length -------------------------------------------------------------------


def test_language_mix_and_length_distribution(tickets):
    langs = Counter(t.language for t in tickets)
    non_english = 1 - langs["en"] / len(tickets)
    assert non_english >= 0.10
    assert {"es", "de", "fr", "pt"} <= set(langs)
    lengths = [len(t.body) for t in tickets]
    median = statistics.median(lengths)
    assert 200 <= median <= 900
    assert sum(n < 100 for n in lengths) >= 0.03 * len(lengths)  # one-liners
    assert sum(n > 600 for n in lengths) >= 0.03 * len(lengths)  # several paragraphs
    assert max(lengths) > 700
    print(f"\nlanguages {dict(langs)}; non-English {non_english:.1%}; median body {median} chars")


# ---- the loader ----------------------------------------------------------------------------


def test_load_by_split_partitions_the_file(tickets):
    parts = [load_tickets(split) for split in SPLITS]
    assert sum(len(p) for p in parts) == len(tickets)
    for split, part in zip(SPLITS, parts, strict=True):
        assert part and {t.split for t in part} == {split}


def test_unknown_split_is_a_value_error_listing_valid_splits():
    with pytest.raises(ValueError, match="train, dev, test"):
        load_tickets("validation")


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_malformed_line_names_file_line_ticket_and_field(tmp_path, tickets):
    good = tickets[0].model_dump(mode="json")
    bad = tickets[1].model_dump(mode="json")
    bad["fields"]["amount"] = "ten euros"
    bad["priority"] = "asap"
    path = _write(tmp_path / "broken.jsonl", [good, bad])
    with pytest.raises(CourseError) as info:
        load_tickets(path=path)
    message = str(info.value)
    assert str(path) in message and "line 2" in message and tickets[1].id in message
    assert "fields.amount" in message and "priority" in message
    assert "'ten euros'" in message
    assert info.value.hint  # says how to fix it


def test_invalid_json_and_missing_field_and_missing_file(tmp_path, tickets):
    path = tmp_path / "t.jsonl"
    path.write_text(tickets[0].model_dump_json() + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CourseError, match=r"line 2: not valid JSON"):
        load_tickets(path=path)
    row = tickets[0].model_dump(mode="json")
    del row["category"]
    with pytest.raises(CourseError, match=r"line 1 \(ticket T-0001\).*category: Field required"):
        load_tickets(path=_write(path, [row]))
    with pytest.raises(CourseError, match="does not exist"):
        load_tickets(path=tmp_path / "nope.jsonl")


def test_tickets_frame_flattens_fields(tickets):
    frame = tickets_frame("dev")
    dev = [t for t in tickets if t.split == "dev"]
    assert len(frame) == len(dev)
    assert {
        "text",
        "field_order_id",
        "field_product",
        "field_amount",
        "field_currency",
        "field_refund_requested",
    } <= set(frame.columns)
    assert "fields" not in frame.columns
    first = frame.iloc[0]
    assert first["id"] == dev[0].id and first["text"] == dev[0].text
    assert frame["field_amount"].dtype == "float64"
    assert frame["field_amount"].notna().sum() == sum(t.fields.amount is not None for t in dev)


def test_check_splits_reports_duplicates_leakage_and_gaps(tickets):
    dev = [t for t in tickets if t.split == "dev"]
    with pytest.raises(CourseError, match="duplicate ids: T-"):
        check_splits([*dev, dev[0].model_copy(update={"body": "something else"})])
    other_split = "dev" if tickets[0].split != "dev" else "test"
    leaked = tickets[0].model_copy(update={"id": "T-9999", "split": other_split})
    with pytest.raises(CourseError, match="leaks across splits"):
        check_splits([*tickets, leaked])
    with pytest.raises(CourseError, match="split 'dev' has no other ticket"):
        check_splits([t for t in dev if t.category != "other"])


# ---- headroom: how far a trivial keyword baseline gets --------------------------------------

KEYWORDS = {
    "billing": ["charge", "refund", "invoice", "payment", "bill", "price", "vat", "receipt"],
    "bug": ["error", "crash", "bug", "broken", "not working", "fails", "slow", "down"],
    "account": ["login", "log in", "password", "account", "2fa", "locked", "sign in"],
    "shipping": ["delivery", "delivered", "shipping", "package", "tracking", "courier", "arrived"],
    "feature_request": ["feature", "would be great", "please add", "suggestion", "roadmap"],
}


def keyword_baseline(text: str) -> str:
    """Count keyword hits per category; most hits wins, ties go to the first listed; else other."""
    lowered = text.lower()
    scores = {c: sum(kw in lowered for kw in kws) for c, kws in KEYWORDS.items()}
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] else "other"


def test_keyword_baseline_leaves_headroom(tickets):
    dev = [t for t in tickets if t.split == "dev"]
    accuracy = sum(keyword_baseline(t.text) == t.category for t in dev) / len(dev)
    print(f"\nkeyword baseline, dev category accuracy: {accuracy:.1%} on {len(dev)} tickets")
    # Not a target, a sanity band: trivially easy or hopeless data would both be a bug.
    assert 0.40 <= accuracy <= 0.85
