"""Eval datasets: typed items, strict loading, stable ids and splits, duplicate and leakage checks.

An eval number lies when its data does: a malformed row skipped in silence, splits that
reshuffle when one item is added, or a test item that is also a few-shot example. Each of
those is made loud here.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from course.errors import CourseError
from course.evals.text import flatten_text, normalise, shingles

M = TypeVar("M", bound=BaseModel)

DUPLICATE_COLUMNS = ["id_a", "id_b", "kind", "similarity"]
LEAKAGE_COLUMNS = ["test_id", "train_id", "kind", "similarity"]


def content_id(input: str | dict[str, Any]) -> str:
    """A stable id made from the input alone: "h-" + the first 16 hex digits of the SHA-256
    of its canonical JSON (sorted keys, no spaces, UTF-8).

    Canonical JSON so {"a": 1, "b": 2} and {"b": 2, "a": 1} share an id; 64 bits make a
    collision negligible (probability about n²/2⁶⁵: 3e-8 for a million items).
    """
    canonical = json.dumps(input, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "h-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


class EvalItem(BaseModel):
    """One eval case: what the solver is given (`input`) and what a right answer is (`expected`).

    `id` may be left out of the file: it then defaults to `content_id(input)`, so the same
    item gets the same id on every load and machine, and results can be paired across runs.
    Unknown fields are an error, so a typo such as "expcted" cannot silently drop the answer.
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    input: str | dict[str, Any]
    expected: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    split: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("id") is None and "input" in data:
            return {**data, "id": content_id(data["input"])}
        return data


def load_jsonl(path: str | Path, model: type[M] = EvalItem) -> list[M]:
    """Every line of a JSONL file validated as `model`; blank lines are skipped.

    A bad line raises CourseError naming the file, the line, the row's id when it has one,
    and each field error. Nothing is skipped in silence: a dataset that quietly loses rows
    reports a better number than the one it should. Duplicate ids are an error too, because
    runs are compared item by item.
    """
    path = Path(path)
    if not path.is_file():
        raise CourseError(
            f"No dataset file at {path}.",
            hint="Check the path; a relative path starts from the notebook's own folder.",
        )
    items: list[M] = []
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        if not raw.strip():
            continue
        item = _parse_line(path, number, raw, model)
        item_id = getattr(item, "id", None)
        if item_id in first_seen:
            raise CourseError(
                f"{path}, line {number}: id {item_id!r} already used on line "
                f"{first_seen[item_id]}.",
                hint="Give each item its own id. Rows without an id get a hash of their input, "
                "so two rows with the same input and no id collide: remove the duplicate.",
            )
        if item_id is not None:
            first_seen[item_id] = number
        items.append(item)
    return items


def _parse_line(path: Path, number: int, raw: bytes, model: type[M]) -> M:
    where = f"{path}, line {number}"
    try:
        row = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CourseError(f"{where}: not UTF-8 text.", hint="Re-save the file as UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise CourseError(
            f"{where}: not valid JSON ({exc.msg}, column {exc.colno}).",
            hint="Each line must hold one complete JSON object; a pretty-printed object "
            "spread over several lines is not JSONL.",
        ) from None
    try:
        return model.model_validate(row)
    except ValidationError as exc:
        if isinstance(row, dict) and row.get("id") is not None:
            where += f" (id {row['id']!r})"
        raise CourseError(
            f"{where}: {field_errors(exc)}",
            hint=f"Each row must match {model.__name__}, whose fields are: "
            f"{', '.join(model.model_fields)}.",
        ) from None


def field_errors(error: ValidationError) -> str:
    """pydantic's errors as one line: "field.sub: message; other: message"."""
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or '(row)'}: {err['msg']}"
        for err in error.errors()
    )


def assign_splits(items: Sequence[M], fractions: Mapping[str, float], seed: int = 0) -> list[M]:
    """Copies of `items` with `split` set from a hash of (seed, id), never from list position.

    u = int(first 16 hex digits of sha256(f"{seed}:{id}"), 16) / 16¹⁶ is uniform on [0, 1);
    the item goes to the first split whose cumulative fraction exceeds u. u depends on the id
    alone, so adding or removing items never moves the others (reshuffling a list would move
    old test items into train). Changing `fractions` or `seed` does move them. The realised
    sizes are close to, not exactly, the targets: a split of fraction f among n items has
    n·f items give or take sqrt(n·f·(1-f)).
    """
    names = list(fractions)
    weights = [float(fractions[name]) for name in names]
    if not names or min(weights) < 0 or abs(sum(weights) - 1.0) > 1e-9:
        raise CourseError(
            f"Split fractions must be non-negative and sum to 1, got {dict(fractions)}.",
            hint='For example {"train": 0.6, "dev": 0.2, "test": 0.2}.',
        )
    bounds = [sum(weights[: i + 1]) for i in range(len(names))]
    bounds[-1] = 1.0  # guard against float round-off leaving u above the last bound
    assigned = []
    for item in items:
        digest = hashlib.sha256(f"{seed}:{item.id}".encode()).hexdigest()
        u = int(digest[:16], 16) / 16**16
        split = next(name for name, bound in zip(names, bounds, strict=True) if u < bound)
        assigned.append(item.model_copy(update={"split": split}))
    return assigned


def check_duplicates(
    items: Sequence[EvalItem], *, threshold: float = 0.7, shingle_size: int = 2
) -> pd.DataFrame:
    """Pairs of items whose inputs are duplicates: a report to read, not an exception.

    kind "exact": equal after `normalise` (case, punctuation, articles, whitespace ignored).
    kind "near":  word-shingle Jaccard J(A, B) = |A ∩ B| / |A ∪ B| >= threshold, where A and B
                  are the sets of `shingle_size`-word windows of the normalised inputs.
    Word pairs (the default) keep some word order; 0.7 catches a one-word edit in a
    15-word input (J = 12/16 = 0.75). Dict inputs are compared by their values.
    """
    texts = [flatten_text(item.input) for item in items]
    rows = [
        (items[i].id, items[j].id, kind, similarity)
        for i, j, kind, similarity in _matches(texts, None, threshold, shingle_size)
    ]
    return _report(rows, DUPLICATE_COLUMNS)


def check_leakage(
    train: Sequence[EvalItem],
    test: Sequence[EvalItem],
    *,
    threshold: float = 0.7,
    shingle_size: int = 2,
) -> pd.DataFrame:
    """Test items whose input also appears, exactly or nearly, among the train items.

    Same definitions as `check_duplicates`. "Train" means anything the system sees while
    being built: few-shot examples, a fine-tuning set, the prompts you iterated on. A leaked
    test item measures memory, not skill.
    """
    test_texts = [flatten_text(item.input) for item in test]
    train_texts = [flatten_text(item.input) for item in train]
    rows = [
        (test[i].id, train[j].id, kind, similarity)
        for i, j, kind, similarity in _matches(test_texts, train_texts, threshold, shingle_size)
    ]
    return _report(rows, LEAKAGE_COLUMNS)


def assert_no_leakage(train: Sequence[EvalItem], test: Sequence[EvalItem], **options: Any) -> None:
    """For CI: raise CourseError listing the leaked pairs, if any (options as check_leakage)."""
    report = check_leakage(train, test, **options)
    if report.empty:
        return
    shown = "; ".join(
        f"{row.test_id} ~ {row.train_id} ({row.kind}, {row.similarity:.2f})"
        for row in report.head(5).itertuples()
    )
    raise CourseError(
        f"{len(report)} test item(s) leak from train: {shown}.",
        hint="Remove or rewrite those test items (or the train ones); check_leakage() "
        "gives the full report.",
    )


def _matches(
    left: list[str], right: list[str] | None, threshold: float, size: int
) -> list[tuple[int, int, str, float]]:
    """(i, j, kind, similarity) for similar pairs: i < j within `left` when `right` is None,
    else i in `left` and j in `right`.

    Candidate pairs come from an inverted index (shingle -> items containing it), so only
    pairs sharing at least one shingle are compared; the intersection size is counted
    directly and J = |A ∩ B| / (|A| + |B| - |A ∩ B|).
    """
    within = right is None
    other = left if right is None else right
    left_norm, other_norm = [normalise(t) for t in left], [normalise(t) for t in other]
    left_sets, other_sets = [shingles(t, size) for t in left], [shingles(t, size) for t in other]
    containing: dict[tuple[str, ...], list[int]] = defaultdict(list)
    same_text: dict[str, list[int]] = defaultdict(list)
    for j, (text, shingle_set) in enumerate(zip(other_norm, other_sets, strict=True)):
        same_text[text].append(j)
        for shingle in shingle_set:
            containing[shingle].append(j)

    found = []
    for i, (text, shingle_set) in enumerate(zip(left_norm, left_sets, strict=True)):
        exact = set(same_text.get(text, ()))
        shared = Counter(j for s in shingle_set for j in containing.get(s, ()))
        for j in sorted(exact | shared.keys()):
            if within and j <= i:
                continue  # each pair once, and never an item with itself
            if j in exact:
                found.append((i, j, "exact", 1.0))
                continue
            common = shared[j]
            similarity = common / (len(shingle_set) + len(other_sets[j]) - common)
            if similarity >= threshold:
                found.append((i, j, "near", similarity))
    return found


def _report(rows: list[tuple[str, str, str, float]], columns: list[str]) -> pd.DataFrame:
    report = pd.DataFrame(rows, columns=columns)
    return report.sort_values(
        ["similarity", columns[0], columns[1]], ascending=[False, True, True], ignore_index=True
    )
