"""Datasets: strict loading with clear errors, stable ids and splits, duplicates and leakage."""

from __future__ import annotations

import json
import random
from collections import Counter
from itertools import combinations
from typing import Literal

import pytest

from course.errors import CourseError
from course.evals import (
    EvalItem,
    assert_no_leakage,
    assign_splits,
    check_duplicates,
    check_leakage,
    content_id,
    load_jsonl,
)
from course.evals.text import shingles


def write_jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


# -- loading --------------------------------------------------------------------------------


def test_load_jsonl_reads_items_and_fills_missing_ids_from_the_input(tmp_path):
    path = write_jsonl(
        tmp_path / "qa.jsonl",
        [
            {"id": "q1", "input": "Capital of France?", "expected": "Paris", "split": "test"},
            "",
            {"input": {"question": "2+2?", "context": "math"}, "expected": 4},
            {"id": 7, "input": "Numeric ids become strings", "metadata": {"source": "x"}},
        ],
    )
    items = load_jsonl(path)
    assert [item.id for item in items] == ["q1", content_id(items[1].input), "7"]
    assert items[0].split == "test" and items[1].expected == 4
    assert items[2].metadata == {"source": "x"}
    assert load_jsonl(path) == items  # the same ids on every load


def test_content_id_depends_on_the_input_only_not_key_order():
    assert content_id({"a": 1, "b": [1, 2]}) == content_id({"b": [1, 2], "a": 1})
    assert content_id("x") != content_id("x ")
    assert EvalItem(input="x", expected=1).id == EvalItem(input="x", expected=2).id
    assert content_id("x").startswith("h-") and len(content_id("x")) == 18


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "q2", "expected": "Paris"}', "line 2 (id 'q2'): input: Field required"),
        ('{"id": "q2", "input": "x", "expcted": "y"}', "expcted: Extra inputs are not permitted"),
        ('{"id": "q2", "input": ["not", "text"]}', "line 2 (id 'q2'): input"),
        ('{"id": "q2", "input": "x"', "line 2: not valid JSON"),
        ('["a", "list"]', "line 2: (row): Input should be a valid dictionary"),
    ],
)
def test_a_bad_row_names_file_line_id_and_field(tmp_path, line, message):
    path = write_jsonl(tmp_path / "bad.jsonl", ['{"id": "q1", "input": "ok"}', line])
    with pytest.raises(CourseError, match=r"bad\.jsonl") as caught:
        load_jsonl(path)
    assert message in str(caught.value)
    assert caught.value.hint  # every error says how to fix it


def test_duplicate_ids_are_an_error_naming_both_lines(tmp_path):
    path = write_jsonl(
        tmp_path / "dup.jsonl", [{"input": "same"}, {"input": "x"}, {"input": "same"}]
    )
    with pytest.raises(CourseError, match=r"line 3: id 'h-[0-9a-f]+' already used on line 1"):
        load_jsonl(path)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(CourseError, match="No dataset file"):
        load_jsonl(tmp_path / "absent.jsonl")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"input": "café"}\n'.encode("latin-1"))
    with pytest.raises(CourseError, match="line 1: not UTF-8"):
        load_jsonl(path)


def test_load_jsonl_validates_against_any_model(tmp_path):
    class Labelled(EvalItem):
        expected: Literal["spam", "ham"]

    path = write_jsonl(tmp_path / "t.jsonl", [{"id": "t1", "input": "x", "expected": "eggs"}])
    with pytest.raises(CourseError, match="line 1 \\(id 't1'\\): expected: Input should be 'spam'"):
        load_jsonl(path, model=Labelled)


# -- splits ---------------------------------------------------------------------------------

FRACTIONS = {"train": 0.6, "dev": 0.2, "test": 0.2}


def items(n, start=0):
    return [EvalItem(id=f"item-{i}", input=f"question {i}") for i in range(start, start + n)]


def test_assign_splits_is_deterministic_and_close_to_the_fractions():
    first = assign_splits(items(3000), FRACTIONS, seed=1)
    assert [i.split for i in first] == [i.split for i in assign_splits(items(3000), FRACTIONS, 1)]
    counts = Counter(item.split for item in first)
    for name, fraction in FRACTIONS.items():
        sd = (3000 * fraction * (1 - fraction)) ** 0.5
        assert abs(counts[name] - 3000 * fraction) < 4 * sd


def test_assign_splits_is_stable_when_items_are_added_or_reordered():
    before = {i.id: i.split for i in assign_splits(items(500), FRACTIONS, seed=3)}
    grown = items(500) + items(200, start=500)
    random.Random(0).shuffle(grown)
    after = {i.id: i.split for i in assign_splits(grown, FRACTIONS, seed=3)}
    assert all(after[item_id] == split for item_id, split in before.items())
    reseeded = {i.id: i.split for i in assign_splits(items(500), FRACTIONS, seed=4)}
    assert reseeded != before


def test_assign_splits_leaves_the_input_alone():
    original = items(3)
    assign_splits(original, FRACTIONS)
    assert all(item.split is None for item in original)


@pytest.mark.parametrize("fractions", [{}, {"train": 0.7, "test": 0.2}, {"a": 1.2, "b": -0.2}])
def test_assign_splits_rejects_bad_fractions(fractions):
    with pytest.raises(CourseError, match="sum to 1"):
        assign_splits(items(3), fractions)


# -- duplicates and leakage -----------------------------------------------------------------


def test_check_duplicates_finds_exact_and_near_duplicates():
    data = [
        EvalItem(id="a", input="How do I reset my password?"),
        EvalItem(id="b", input="how do i RESET my password"),  # same after normalising
        EvalItem(id="c", input="How do I reset my password please?"),  # one word added
        EvalItem(id="d", input="Where is my parcel?"),
        EvalItem(id="e", input={"question": "Where is my parcel"}),  # dict inputs by value
    ]
    report = check_duplicates(data)
    assert list(report.columns) == ["id_a", "id_b", "kind", "similarity"]
    found = {(r.id_a, r.id_b): (r.kind, round(r.similarity, 3)) for r in report.itertuples()}
    assert found == {
        ("a", "b"): ("exact", 1.0),
        ("d", "e"): ("exact", 1.0),
        ("a", "c"): ("near", round(5 / 6, 3)),  # 5 shared word pairs of 6
        ("b", "c"): ("near", round(5 / 6, 3)),
    }


def test_check_duplicates_agrees_with_brute_force_over_all_pairs():
    rng = random.Random(5)
    vocabulary = ["refund", "order", "late", "broken", "card", "the", "my", "is", "where", "how"]
    data = [
        EvalItem(id=f"i{n}", input=" ".join(rng.choices(vocabulary, k=rng.randint(1, 6))))
        for n in range(120)
    ]
    expected = set()
    for x, y in combinations(data, 2):
        a, b = shingles(x.input, 2), shingles(y.input, 2)
        similarity = len(a & b) / len(a | b) if a | b else 1.0
        if similarity >= 0.5:
            expected.add((x.id, y.id, round(similarity, 9)))
    report = check_duplicates(data, threshold=0.5)
    assert {(r.id_a, r.id_b, round(r.similarity, 9)) for r in report.itertuples()} == expected
    assert len(expected) > 20  # the comparison is not vacuous


def test_check_leakage_reports_only_test_items_found_in_train():
    train = [EvalItem(id="t1", input="Cancel my order 123"), EvalItem(id="t2", input="Hi")]
    test = [
        EvalItem(id="x1", input="cancel my order 123!"),
        EvalItem(id="x2", input="Cancel my order 123 now"),  # J = 3/4
        EvalItem(id="x3", input="Where is my refund?"),
    ]
    report = check_leakage(train, test)
    assert list(report.columns) == ["test_id", "train_id", "kind", "similarity"]
    assert [(r.test_id, r.train_id, r.kind) for r in report.itertuples()] == [
        ("x1", "t1", "exact"),
        ("x2", "t1", "near"),
    ]
    assert check_leakage(train, test, threshold=0.9)["test_id"].tolist() == ["x1"]


def test_assert_no_leakage_raises_for_ci_and_passes_on_clean_data():
    train = [EvalItem(id="t1", input="Cancel my order 123")]
    assert_no_leakage(train, [EvalItem(id="x", input="Where is my refund?")])
    with pytest.raises(CourseError, match=r"1 test item\(s\) leak from train: x ~ t1 \(exact"):
        assert_no_leakage(train, [EvalItem(id="x", input="CANCEL my order 123.")])
