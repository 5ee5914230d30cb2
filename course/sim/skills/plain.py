"""The fallback: an honest reply that says what answered and echoes the question.

When no skill applies, the simulator does not pretend to be a model. A learner who sees this
reply knows the prompt did not ask for anything the simulator can do (see docs/SIMULATOR.md).
"""

from __future__ import annotations

from course.sim.behaviours import injection
from course.sim.reading.prompt import last_user_text
from course.sim.reading.text import first_words
from course.sim.skills.base import Context, Reply


def plain(ctx: Context) -> Reply:
    """A deterministic labelled reply: "[sim-small] I am the course simulator. You asked: ...".

    Unless the user's text plants an order the simulator obeys: then it says what was ordered.
    """
    planted = injection.obeyed(ctx)
    if planted is not None:
        text = injection.demanded_text(planted, ctx.request.messages)
        return Reply(content=text, behaviours=["injected"])
    question = first_words(last_user_text(ctx.request.messages), 12) or "(nothing)"
    return Reply(content=f"[{ctx.request.model}] I am the course simulator. You asked: {question}")


def respond(ctx: Context) -> Reply | None:
    """The skill's entry (base.Skill): every request, so it ends the dispatch table."""
    return plain(ctx)
