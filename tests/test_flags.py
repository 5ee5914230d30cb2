"""course.flags: prompt registry, sticky bucketing, rollout, rollback and history."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from course.errors import CourseError
from course.flags import FeatureFlag, PromptRegistry, Rollout, bucket, in_rollout

IDS = [f"T-{i:05d}" for i in range(20_000)]


# --------------------------------------------------------------------------------------------
# Prompt registry
# --------------------------------------------------------------------------------------------


def test_registry_keeps_versions_immutable():
    registry = PromptRegistry()
    v1 = registry.register("v1", system="Extract fields.", user="<ticket>{ticket}</ticket>")
    assert registry.register("v1", system="Extract fields.", user="<ticket>{ticket}</ticket>") is v1
    with pytest.raises(CourseError, match="already registered"):
        registry.register("v1", system="Extract fields!", user="<ticket>{ticket}</ticket>")
    registry.register("v2", system="Extract.", user="{ticket}")
    assert list(registry) == ["v1", "v2"] and len(registry) == 2 and "v2" in registry
    with pytest.raises(KeyError, match="v1, v2"):
        registry["v3"]


def test_fingerprint_follows_the_text_and_render_fills_only_the_template():
    registry = PromptRegistry()
    v1 = registry.register("v1", system="S", user="<ticket>{ticket}</ticket>")
    v2 = registry.register("v2", system="S", user="{ticket}")
    assert v1.fingerprint != v2.fingerprint and len(v1.fingerprint) == 12
    messages = v1.render(ticket='Price {amount} and {"json": 1}')
    assert messages == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": '<ticket>Price {amount} and {"json": 1}</ticket>'},
    ]


# --------------------------------------------------------------------------------------------
# Bucketing
# --------------------------------------------------------------------------------------------


def test_buckets_are_deterministic_and_in_range():
    values = [bucket(unit, "flag") for unit in IDS[:2000]]
    assert all(0 <= v < 100 for v in values)
    assert values == [bucket(unit, "flag") for unit in IDS[:2000]]


@pytest.mark.parametrize("percent", [1, 5, 20, 50, 90])
def test_percentages_hold_over_many_ids(percent):
    share = sum(in_rollout(unit, percent, "flag") for unit in IDS) / len(IDS) * 100
    assert abs(share - percent) < 1.0, share


def test_edges_and_monotone_growth():
    assert not any(in_rollout(unit, 0, "flag") for unit in IDS[:2000])
    assert all(in_rollout(unit, 100, "flag") for unit in IDS[:2000])
    at_10 = {u for u in IDS if in_rollout(u, 10, "flag")}
    at_30 = {u for u in IDS if in_rollout(u, 30, "flag")}
    assert at_10 <= at_30  # raising the percentage only adds units


def test_salts_bucket_independently():
    a = {u for u in IDS if in_rollout(u, 50, "flag-a")}
    b = {u for u in IDS if in_rollout(u, 50, "flag-b")}
    overlap = len(a & b) / len(IDS)
    assert 0.23 < overlap < 0.27  # independent halves overlap on about a quarter


def test_buckets_do_not_depend_on_the_process_hash_seed():
    code = "from course.flags import bucket; print(repr(bucket('T-0042', 'flag')))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {repr(bucket("T-0042", "flag")) + "\n"}


# --------------------------------------------------------------------------------------------
# The flag
# --------------------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = datetime(2024, 9, 2, 9, 0, tzinfo=UTC)

    def __call__(self):
        self.now += timedelta(minutes=15)
        return self.now


@pytest.fixture
def flag(tmp_path):
    flag = FeatureFlag(
        "extract", tmp_path / "flags.sqlite", versions={"v1", "v2", "v3"}, clock=Clock()
    )
    yield flag
    flag.close()


def test_a_new_flag_must_start_with_a_stable_version(flag):
    with pytest.raises(CourseError, match="no version yet"):
        flag.variant("T-0001")
    with pytest.raises(CourseError, match="no stable version"):
        flag.set_rollout("v2", 20)
    assert flag.set_rollout("v1", 100) == Rollout(stable="v1")
    assert flag.variant("T-0001") == "v1"


def test_canary_is_sticky_and_gets_its_share(flag):
    flag.set_rollout("v1", 100)
    flag.set_rollout("v2", 20)
    first = {unit: flag.variant(unit) for unit in IDS[:5000]}
    assert first == {unit: flag.variant(unit) for unit in IDS[:5000]}
    share = sum(v == "v2" for v in first.values()) / len(first)
    assert 0.18 < share < 0.22
    flag.set_rollout("v2", 50)
    assert all(flag.variant(u) == "v2" for u, v in first.items() if v == "v2")


def test_rollback_ends_the_canary_then_undoes_a_promotion(flag):
    flag.set_rollout("v1", 100)
    flag.set_rollout("v2", 20)
    assert flag.rollback("v2 fails validation") == Rollout(stable="v1")
    assert {flag.variant(u) for u in IDS[:500]} == {"v1"}
    flag.set_rollout("v2", 100)
    flag.set_rollout("v3", 100)
    assert flag.rollback() == Rollout(stable="v2")
    assert flag.rollback() == Rollout(stable="v1")
    with pytest.raises(CourseError, match="nothing to roll back"):
        flag.rollback()


def test_history_records_every_change_with_time_and_reason(flag):
    flag.set_rollout("v1", 100, "launch")
    flag.set_rollout("v2", 20, "canary")
    flag.rollback("validation failures")
    history = flag.history()
    assert [(c.action, c.stable, c.canary, c.percent, c.reason) for c in history] == [
        ("set_rollout", "v1", None, 0.0, "launch"),
        ("set_rollout", "v1", "v2", 20.0, "canary"),
        ("rollback", "v1", None, 0.0, "validation failures"),
    ]
    times = [c.at for c in history]
    assert times == sorted(times) and times[0] == datetime(2024, 9, 2, 9, 15, tzinfo=UTC)


def test_state_survives_a_new_process_and_flags_share_a_file(tmp_path):
    path = tmp_path / "flags.sqlite"
    first = FeatureFlag("extract", path)
    first.set_rollout("v1", 100)
    first.set_rollout("v2", 10)
    other = FeatureFlag("triage", path)
    other.set_rollout("t1", 100)
    again = FeatureFlag("extract", path)
    assert again.state() == Rollout("v1", "v2", 10.0)
    assert len(again.history()) == 2 and len(other.history()) == 1
    for flag in (first, other, again):
        flag.close()


@pytest.mark.parametrize("percent", [-1, 100.5, float("nan")])
def test_bad_percentages_are_refused(flag, percent):
    flag.set_rollout("v1", 100)
    with pytest.raises(ValueError, match="between 0 and 100"):
        flag.set_rollout("v2", percent)


def test_unknown_versions_and_a_canary_of_the_stable_version_are_refused(flag):
    flag.set_rollout("v1", 100)
    with pytest.raises(ValueError, match="Unknown version 'v9'"):
        flag.set_rollout("v9", 10)
    with pytest.raises(ValueError, match="already the stable"):
        flag.set_rollout("v1", 10)
