"""The simulator's skills, and the ordered table that picks one from what the request contains.

Each skill is a module here with `respond(ctx) -> Reply | None` (base.Skill): its reply, or
None when the request is not its job. `answer` walks SKILLS in order and the first reply wins.
Parsing the prompt lives in course/sim/reading/, writing JSON in course/sim/writing.py, and
behaviours a text skill may show besides its task (obeying an injection) in course/sim/behaviours/.

Order matters and is documented (docs/SIMULATOR.md, "Skills"); SKILLS is that list:
0. a repair turn ("your reply was invalid, try again") is first turned back into the task it
   repairs (reading/redo.py), so the table runs on that task and the reply is tagged "redo";
1. agent, if tools are offered and they form a workflow (one tool's required identifier comes
   from another tool) or the system prompt states rules about them: multi-step tool use that
   reads the whole conversation (skills/agent.py); before `tools`, which reads only the last
   user message and would otherwise take every such request;
1b. tools, if any are offered: a request with tools is an agent step, and the tools skill
   itself falls back to a text answer when no tool fits;
2. judge, a judging task (an output to grade against a rubric or reference): such a prompt
   also holds a question, passages or a JSON format, which must not send it to QA or extract;
2b. review, code (a diff or a fenced snippet) with instructions asking for a review: before
   extract and classify, because a review prompt asks for JSON and lists the defect kinds;
   after judge, so grading a review (an output section and judging words) stays a judgement;
3. answer, a question over supplied passages: before extract, because grounded answering
   writes the JSON itself when JSON is asked for;
4. extract, if JSON is asked for (response_format, the prompt, or the correction): before
   classify, because a stated label set becomes an enum field of the JSON;
5. classify, if the prompt states a label set;
6. answer, closed-book: a question without passages, marked as one or framed as QA;
7. summarise, if the instructions ask for a summary;
8. plain, a labelled reply: it answers every request, so it comes last.
The QA task is parsed once for both answer entries (Context.memo).
"""

from __future__ import annotations

import dataclasses

from course.sim.reading.redo import redo_view
from course.sim.skills import (
    agent,
    classify,
    extract,
    grounded,
    judge,
    plain,
    review,
    summarise,
    tools,
)
from course.sim.skills.base import Context, Reply, Skill

__all__ = ["SKILLS", "Context", "Reply", "Skill", "answer"]

SKILLS: tuple[tuple[str, Skill], ...] = (
    ("agent", agent.respond),
    ("tools", tools.respond),
    ("judge", judge.respond),
    ("review", review.respond),
    ("answer", grounded.respond_from_passages),
    ("extract", extract.respond),
    ("classify", classify.respond),
    ("answer", grounded.respond_closed_book),
    ("summarise", summarise.respond),
    ("plain", plain.respond),
)


def answer(ctx: Context) -> tuple[str, Reply]:
    """(skill name, reply) for the request in `ctx`: the first entry of SKILLS that replies."""
    redo = redo_view(ctx.request.messages)
    if redo is not None:
        request = dataclasses.replace(ctx.request, messages=redo.messages)
        ctx = dataclasses.replace(ctx, request=request, redo=redo)
    for name, respond in SKILLS:
        reply = respond(ctx)
        if reply is not None:
            if redo is not None:
                reply.behaviours.insert(0, "redo")
            return name, reply
    raise AssertionError("plain replies to every request")  # pragma: no cover
