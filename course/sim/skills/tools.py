"""Plan a tool call from the tool schemas, or answer from a tool's result.

The tool is chosen by word overlap between the user's request and each tool's name,
description and parameter names and descriptions, so a vague or missing description really
does make the simulator pick the wrong tool. Its error model:
- wrong tool: with p = base_error_rate x (0.5 if every tool has a description)
  x (1 + 0.5 x temperature) it calls the runner-up instead, but only when the runner-up also
  overlaps the request (a plausible confusion, not a random one);
- wrong argument: each argument is wrong with field_miss_rate x (1 + 0.5 x temperature).
No overlap with any tool at all means no call: a plain text reply.
"""

from __future__ import annotations

import json

from course.sim.skills.base import Context, Reply
from course.sim.skills.extract import Filler, garble
from course.sim.skills.plain import plain
from course.sim.skills.prompt import last_user_text, payload, text_of
from course.sim.skills.text import first_words, identifier_words, weighted_scores, words


def _functions(ctx: Context) -> list[dict]:
    offered = ctx.request.tools or []
    return [t.get("function", t) for t in offered if t.get("type", "function") == "function"]


def _profile(function: dict) -> list[str]:
    parameters = function.get("parameters") or {}
    parts = [identifier_words(function.get("name", "")), function.get("description", "")]
    for name, schema in (parameters.get("properties") or {}).items():
        parts += [identifier_words(name), str(schema.get("description", ""))]
    return words(" ".join(parts))


def _summary(content: str) -> str:
    """A one-line digest of a tool result: key: value pairs for JSON, else its first words."""
    try:
        data = json.loads(content)
    except ValueError:
        return first_words(content, 40)
    if isinstance(data, dict):
        return "; ".join(f"{k}: {v}" for k, v in list(data.items())[:6])
    if isinstance(data, list):
        return first_words(", ".join(map(str, data[:6])), 40)
    return str(data)


def answer_from_result(ctx: Context) -> Reply:
    """After a tool ran: say what it returned, naming the tool the result belongs to."""
    result = ctx.request.messages[-1]
    name = "the tool"
    for message in ctx.request.messages:
        for call in message.get("tool_calls") or []:
            if call.get("id") == result.get("tool_call_id"):
                name = call.get("function", {}).get("name", name)
    return Reply(content=f"According to {name}: {_summary(text_of(result))}")


def tools(ctx: Context) -> Reply:
    """Call the best-matching tool with arguments filled from the request, or answer in text."""
    if ctx.request.messages and ctx.request.messages[-1].get("role") == "tool":
        return answer_from_result(ctx)
    functions = _functions(ctx)
    text = payload(last_user_text(ctx.request.messages), few_shot=False)
    profiles = [_profile(f) for f in functions]
    scores = weighted_scores(words(text), profiles)
    if not functions or max(scores) <= 0:
        return plain(ctx)
    top = max(scores)
    best = ctx.rng.choice([i for i, s in enumerate(scores) if abs(s - top) < 1e-9])
    rivals = [i for i, s in enumerate(scores) if i != best and s > 0]
    heat = 1 + 0.5 * max(0.0, ctx.request.temperature)
    described = all(f.get("description") for f in functions)
    p_wrong = ctx.knob("base_error_rate") * (0.5 if described else 1.0) * heat
    if ctx.rng.random() < p_wrong and rivals:
        second = max(scores[i] for i in rivals)
        best = ctx.rng.choice([i for i in rivals if abs(scores[i] - second) < 1e-9])
    function = functions[best]
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    filler = Filler(
        text=text,
        root=parameters,
        rng=ctx.rng,
        base_error_rate=ctx.knob("base_error_rate"),
        temperature=ctx.request.temperature,
        style="argument",
        avoid=frozenset(profiles[best]),
    )
    properties = parameters.get("properties") or {}
    required = parameters.get("required", list(properties))
    arguments = {key: filler.value(key, properties[key]) for key in required if key in properties}
    miss = ctx.knob("field_miss_rate") * heat
    for key in list(arguments):
        enum = filler.resolve(properties[key])[0].get("enum")  # enums err by the classifier
        if ctx.rng.random() < miss and not enum:
            arguments[key] = garble(arguments[key], properties[key], filler)
    call = {
        "id": f"call_{ctx.rng.getrandbits(96):024x}",
        "type": "function",
        "function": {"name": function.get("name", ""), "arguments": json.dumps(arguments)},
    }
    return Reply(content=None, tool_calls=[call])
