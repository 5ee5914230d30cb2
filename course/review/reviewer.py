"""The model as a reviewer: send a diff with your review instructions, read back defect kinds.

A review is only useful to a program if it can be parsed, so the reply is read strictly: JSON
(a bare list, or an object holding a list of findings; a code fence around it is fine), each
finding a kind name or an object with a `kind` (or `type`, `category`, `defect`) field. Kind
names are compared after folding case, spaces and hyphens ("No-Timeout" is `no_timeout`).
A reply that is not such JSON is a **parse failure**: no findings, counted, never a crash; so
is a call that fails (the provider is down, the budget is spent).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from course.llm.errors import LLMError
from course.review.diffs import Diff
from course.review.kinds import KINDS

if TYPE_CHECKING:
    from course.llm import Client

_FENCE = re.compile(r"```[\w-]*\n(.*?)```", re.S)
_LIST_KEYS = ("findings", "issues", "defects", "problems", "comments", "results", "kinds")
_KIND_KEYS = ("kind", "type", "category", "defect", "label", "rule", "issue")


@dataclass(frozen=True)
class Review:
    """One diff's review: the kinds found, the raw findings, and what the call cost.

    `parsed` is False when the reply was not readable JSON (or the call failed: `error` says
    why); `unknown` lists kind names the reply used that are not in the kind list."""

    diff_id: str
    kinds: frozenset[str]
    findings: list[Any] = field(default_factory=list)
    parsed: bool = True
    unknown: tuple[str, ...] = ()
    error: str | None = None
    text: str = ""
    cost_usd: float = 0.0
    latency_s: float = 0.0


def default_prompt(kinds: dict[str, str] | Iterable[str] = KINDS) -> str:
    """A review prompt that lists the kinds (with definitions, if given) and asks for JSON."""
    if isinstance(kinds, dict):
        listed = "\n".join(f"- {name}: {meaning}" for name, meaning in kinds.items())
    else:
        listed = "\n".join(f"- {name}" for name in kinds)
    return (
        "You review Python code changes for a backend team. Report only defects of these "
        f"kinds, in the added lines:\n{listed}\n"
        'Reply with JSON only: {"findings": [{"kind": "<kind>", "line": <line>, '
        '"why": "<one sentence>"}]}. Use an empty list when the change has none of them.'
    )


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _first_json(text: str) -> Any:
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    if not starts:
        raise ValueError("no JSON in the reply")
    value, _ = json.JSONDecoder().raw_decode(body[min(starts) :])
    return value


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if any(key in value for key in _KIND_KEYS):
            return [value]
        for key in _LIST_KEYS:
            if isinstance(value.get(key), list):
                return value[key]
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    raise ValueError("the JSON holds no list of findings")


def _kind_of(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in _KIND_KEYS:
            if isinstance(item.get(key), str):
                return item[key]
    return None


def parse_findings(
    text: str | None, kinds: Iterable[str] = KINDS
) -> tuple[frozenset[str], list[Any], tuple[str, ...], bool]:
    """(kinds found, findings, unknown kind names, parsed) from a reviewer's reply."""
    known = {_norm(k): k for k in kinds}
    try:
        items = _items(_first_json(text or ""))
    except (ValueError, TypeError):
        return frozenset(), [], (), False
    found, unknown = set(), []
    for item in items:
        name = _kind_of(item)
        if name is None:
            continue
        if _norm(name) in known:
            found.add(known[_norm(name)])
        else:
            unknown.append(name)
    return frozenset(found), items, tuple(unknown), True


def review_diff(
    client: Client,
    diff: Diff,
    prompt: str,
    *,
    kinds: Iterable[str] = KINDS,
    json_mode: bool = False,
    feature: str | None = None,
    **complete: Any,
) -> Review:
    """Ask the model to review `diff`: `prompt` is the system message, the diff the user's (in a
    ```diff fence). A failed call or an unreadable reply gives a Review with parsed=False."""
    user = f"```diff\n{diff.text}```"
    try:
        reply = client.complete(
            user, system=prompt, json_mode=json_mode, feature=feature, **complete
        )
    except LLMError as error:
        return Review(diff.id, frozenset(), parsed=False, error=f"{type(error).__name__}: {error}")
    found, items, unknown, parsed = parse_findings(reply.text, kinds)
    return Review(
        diff.id, found, items, parsed, unknown, None if parsed else "unreadable reply",
        reply.text or "", reply.cost_usd, reply.latency_s,
    )  # fmt: skip


def review_diffs(
    client: Client, diffs: Sequence[Diff], prompt: str, **options: Any
) -> list[Review]:
    """review_diff for each diff, in order (options as for review_diff)."""
    return [review_diff(client, diff, prompt, **options) for diff in diffs]
