"""One test call before a notebook starts, and the offline simulator if that call fails."""

from __future__ import annotations

from course.config import Settings, resolve
from course.errors import CourseError
from course.llm.client import Client

FALLBACK_PROVIDER = "sim"


def provider_or_sim(
    provider: str | None, model: str | None, *, seed: int | None, feature: str
) -> tuple[str | None, str | None, Settings]:
    """(provider, model, settings) to run with: the ones asked for if a first call works.

    Why: a wrong key or a dead server would otherwise fail every cell of a notebook, one
    traceback at a time. One uncached call ("Say OK.", 5 tokens, traced under ``feature``)
    finds out first; if it raises, the reason is printed and the run continues on the offline
    simulator with its default model, so every cell still finishes. The simulator itself is
    never tested (it cannot fail that way). Pass the returned provider and model on to every
    Client the notebook builds.
    """
    settings = resolve(provider, model)
    if settings.provider == FALLBACK_PROVIDER:
        return provider, model, settings
    try:
        Client(provider, model, seed=seed, feature=feature, cache=False).complete(
            "Say OK.", max_tokens=5
        )
    except CourseError as error:
        print(
            f"{settings.provider} failed a first test call: {error}\nThis run continues on the "
            "offline simulator so that every cell finishes; fix the problem above and run again "
            "to use your provider."
        )
        return FALLBACK_PROVIDER, None, resolve(FALLBACK_PROVIDER, None)
    return provider, model, settings
