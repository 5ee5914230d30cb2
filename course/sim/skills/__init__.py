"""The simulator's skills, and the rule that picks one from what the request contains.

Order matters and is documented: tools if any are offered; else extraction if JSON is asked for
(response_format or the prompt); else classification if the prompt states a label set; else a
summary if the instructions ask for one; else a plain labelled reply. Prompt injection is not a
skill but a behaviour each text skill may show (injection.py).
"""

from __future__ import annotations

from course.sim.skills.base import Context, Reply
from course.sim.skills.classify import classify
from course.sim.skills.extract import extract, wants_json
from course.sim.skills.plain import plain
from course.sim.skills.summarise import summarise, wants_summary
from course.sim.skills.tools import tools

__all__ = ["Context", "Reply", "answer"]


def answer(ctx: Context) -> tuple[str, Reply]:
    """(skill name, reply) for the request in `ctx`."""
    if ctx.request.tools:
        return "tools", tools(ctx)
    if wants_json(ctx):
        return "extract", extract(ctx)
    reply = classify(ctx)
    if reply is not None:
        return "classify", reply
    if wants_summary(ctx.request.messages):
        return "summarise", summarise(ctx)
    return "plain", plain(ctx)
