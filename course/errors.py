"""Errors a learner can act on: each says what went wrong and exactly what to do about it."""

from __future__ import annotations


class CourseError(Exception):
    """Base class: a message plus a hint that tells the reader how to fix it."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}".strip())


class ConfigurationError(CourseError):
    """Unknown provider or model, missing API key, unreadable models file."""
