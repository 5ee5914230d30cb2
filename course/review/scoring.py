"""Precision and recall of a reviewer against the labels, per kind and overall.

A review is a set of kinds per diff. Per kind: a true positive is a diff labelled with the kind
that the reviewer flags with it, a false positive a diff it flags but that does not carry it, a
false negative a labelled diff it does not flag. Micro averages pool the counts of all kinds
(frequent kinds weigh more); macro averages the per-kind figures (every kind weighs the same).
Intervals are Wilson score intervals (scipy), which stay sensible at 0 of 3 or 5 of 5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from course.errors import CourseError
from course.review.kinds import KINDS


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for successes / trials; (nan, nan) with no trials."""
    if trials == 0:
        return float("nan"), float("nan")
    interval = binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def score(
    labels: Sequence[Iterable[str]],
    predictions: Sequence[Iterable[str]],
    kinds: Iterable[str] = KINDS,
) -> pd.DataFrame:
    """One row per kind, plus "micro" and "macro": tp, fp, fn, precision, recall, f1 and the
    Wilson 95% intervals of precision and recall. Kinds predicted but unknown are ignored."""
    if len(labels) != len(predictions):
        raise CourseError(
            f"{len(labels)} label sets but {len(predictions)} predictions",
            hint="pass one prediction set per diff, in the same order",
        )
    kinds = list(kinds)
    truth = [set(t) for t in labels]
    guess = [set(p) for p in predictions]
    rows = {}
    for kind in kinds:
        tp = sum(kind in t and kind in g for t, g in zip(truth, guess, strict=True))
        fp = sum(kind not in t and kind in g for t, g in zip(truth, guess, strict=True))
        fn = sum(kind in t and kind not in g for t, g in zip(truth, guess, strict=True))
        rows[kind] = _row(tp, fp, fn)
    table = pd.DataFrame.from_dict(rows, orient="index")
    total = table[["tp", "fp", "fn"]].sum()
    rows["micro"] = _row(int(total["tp"]), int(total["fp"]), int(total["fn"]))
    macro = {
        key: float(np.nanmean(table[key])) if table[key].notna().any() else float("nan")
        for key in ("precision", "recall", "f1")
    }
    rows["macro"] = {**dict.fromkeys(rows["micro"], float("nan")), **macro}
    return pd.DataFrame.from_dict(rows, orient="index")


def _row(tp: int, fp: int, fn: int) -> dict:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    p_low, p_high = wilson(tp, tp + fp)
    r_low, r_high = wilson(tp, tp + fn)
    return {
        "tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1,
        "precision_low": p_low, "precision_high": p_high,
        "recall_low": r_low, "recall_high": r_high,
    }  # fmt: skip


def union(*reviews: Sequence[Iterable[str]]) -> list[frozenset[str]]:
    """Per diff, every kind any of the reviewers flagged (a linter and a model, combined)."""
    if len({len(r) for r in reviews}) > 1:
        raise CourseError("reviews of different lengths", hint="one set per diff in each review")
    return [frozenset().union(*sets) for sets in zip(*reviews, strict=True)]
