"""Shared pytest fixtures. Keep this file small and generic; put specific helpers in tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def course_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private COURSE_HOME (traces, cache, runs, feedback) for every test: the suite never
    touches a learner's ~/.course, and no test sees another's cache."""
    home = tmp_path / "course_home"
    home.mkdir()
    monkeypatch.setenv("COURSE_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def fresh_breakers() -> None:
    """Every test starts with closed circuit breakers: one test's dead endpoint must not make
    another's calls fail fast."""
    from course.llm.breaker import reset_breakers

    reset_breakers()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow tests first, the rest in their usual order after them.

    Under pytest-xdist (`--dist loadfile`) each worker takes the next file in this order when
    it is free, so the quick files fill the gaps at the end instead of one worker finishing a
    long file alone while the other core idles.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
