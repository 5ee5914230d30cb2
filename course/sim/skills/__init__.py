"""The simulator's skills, and the rule that picks one from what the request contains.

Order matters and is documented: a repair turn ("your reply was invalid, try again") is first
turned back into the task it repairs (redo.py); then tools if any are offered; a judging task
(an output to grade against a rubric or reference); a question over supplied passages; JSON
extraction if JSON is asked for (response_format or the prompt); classification if the prompt
states a label set; a closed-book question (no passages, but marked as a question or framed
as question answering); a summary if the instructions ask for one; else a plain labelled
reply. Prompt injection is not a skill but a behaviour each text skill may show (injection.py).
"""

from __future__ import annotations

import dataclasses

from course.sim.skills.base import Context, Reply
from course.sim.skills.classify import classify
from course.sim.skills.extract import extract, wants_json
from course.sim.skills.grounded import grounded
from course.sim.skills.judge import judge, wants_judgement
from course.sim.skills.passages import qa_task
from course.sim.skills.plain import plain
from course.sim.skills.redo import redo_view
from course.sim.skills.summarise import summarise, wants_summary
from course.sim.skills.tools import tools

__all__ = ["Context", "Reply", "answer"]


def answer(ctx: Context) -> tuple[str, Reply]:
    """(skill name, reply) for the request in `ctx`."""
    redo = redo_view(ctx.request.messages)
    if redo is not None:
        request = dataclasses.replace(ctx.request, messages=redo.messages)
        ctx = dataclasses.replace(ctx, request=request, redo=redo)
    skill, reply = _pick(ctx)
    if redo is not None:
        reply.behaviours.insert(0, "redo")
    return skill, reply


def _pick(ctx: Context) -> tuple[str, Reply]:
    messages = ctx.request.messages
    if ctx.request.tools:
        return "tools", tools(ctx)
    if wants_judgement(messages):
        return "judge", judge(ctx)
    task = qa_task(messages)
    if task is not None and task.passages:
        return "answer", grounded(ctx, task)
    if wants_json(ctx):
        return "extract", extract(ctx)
    reply = classify(ctx)
    if reply is not None:
        return "classify", reply
    if task is not None:
        return "answer", grounded(ctx, task)
    if wants_summary(messages):
        return "summarise", summarise(ctx)
    return "plain", plain(ctx)
