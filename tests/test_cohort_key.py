"""The cohort's regrade key covers everything that decides a score, not only the tests."""

from __future__ import annotations

from autograder import grading_seed
from autograder.cohort import worker


def _tree(root, sim_text: str) -> None:
    files = {
        "course/sim/engine.py": sim_text,
        "autograder/grading.py": "x = 1\n",
        "autograder/source/m/a.ipynb": "{}",
        "course/__pycache__/a.pyc": "junk",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def digest_of(root, monkeypatch) -> str:
    monkeypatch.setattr(worker, "REPO_ROOT", root)
    worker.code_digest.cache_clear()
    try:
        return worker.code_digest()
    finally:
        worker.code_digest.cache_clear()


def test_a_simulator_change_or_another_grading_key_changes_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv(grading_seed.KEY_ENV, "a" * 40)
    _tree(tmp_path, "NOISE = 0.1\n")
    first = digest_of(tmp_path, monkeypatch)
    (tmp_path / "course/__pycache__/a.pyc").write_text("other junk")
    (tmp_path / "autograder/source/m/a.ipynb").write_text('{"cells": []}')
    assert digest_of(tmp_path, monkeypatch) == first, "caches and sources (hashed apart) count not"
    (tmp_path / "course/sim/engine.py").write_text("NOISE = 0.2\n")
    changed = digest_of(tmp_path, monkeypatch)
    assert changed != first
    monkeypatch.setenv(grading_seed.KEY_ENV, "b" * 40)
    assert digest_of(tmp_path, monkeypatch) != changed
