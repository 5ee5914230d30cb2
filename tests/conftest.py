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
