"""Tools from plain typed Python functions.

The function's signature is the contract: pydantic builds the JSON schema the model sees and
validates the arguments the model sends. Whatever goes wrong inside a tool call (an unknown
tool, a missing or invented argument, a wrong type, the tool raising) comes back as a
``ToolResult`` with an error message for the model to read, never as an exception in the loop:
a real agent must recover from its own mistakes.

A tool with side effects (a refund, an address change) is marked ``side_effect=True``; the
``ToolBox`` then keys each call by its trajectory, name and arguments and replays the first
result instead of running it again, so a retried step never refunds twice.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model


@dataclass(frozen=True)
class ToolResult:
    """What one tool call gave back: the content the model reads, and whether it failed."""

    content: str
    error: str | None = None
    replayed: bool = False  # a side-effect call answered from the idempotency ledger

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Tool:
    """One function the model may call, with the schema of its arguments."""

    name: str
    description: str
    arguments: type[BaseModel]
    function: Callable[..., Any]
    side_effect: bool = False

    @classmethod
    def from_function(cls, function: Callable[..., Any], *, side_effect: bool = False) -> Tool:
        """Name, description (the docstring) and arguments (the type hints) of ``function``."""
        hints = get_type_hints(function, include_extras=True)
        fields: dict[str, Any] = {}
        for name, parameter in inspect.signature(function).parameters.items():
            if name not in hints:
                raise TypeError(
                    f"{function.__name__}({name}): every tool argument needs a type hint, "
                    "so the model is told what to send"
                )
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[name] = (hints[name], default)
        model = create_model(
            f"{function.__name__}_arguments",
            __config__=ConfigDict(extra="forbid"),  # an invented argument is an error
            **fields,
        )
        description = inspect.getdoc(function) or ""
        if not description:
            raise TypeError(
                f"{function.__name__}: a tool needs a docstring; it is what the model reads"
            )
        return cls(function.__name__, description, model, function, side_effect)

    def spec(self) -> dict[str, Any]:
        """The tool in OpenAI's function-tool shape (the client converts it for other vendors)."""
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": schema},
        }

    def call(self, arguments: dict[str, Any]) -> ToolResult:
        """Validate, run, and turn the return value (or the failure) into text for the model."""
        try:
            valid = self.arguments.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            return ToolResult(
                f"Invalid arguments for {self.name}: {problems}", error="invalid_arguments"
            )
        try:
            value = self.function(**dict(valid))
        except Exception as exc:  # the tool's failure is information for the model
            return ToolResult(
                f"{self.name} failed: {type(exc).__name__}: {exc}", error="tool_error"
            )
        return ToolResult(_as_text(value))


def tool(function: Callable[..., Any] | None = None, *, side_effect: bool = False) -> Any:
    """Decorator: ``@tool`` or ``@tool(side_effect=True)`` turns a function into a ``Tool``."""
    if function is None:
        return lambda f: Tool.from_function(f, side_effect=side_effect)
    return Tool.from_function(function, side_effect=side_effect)


@dataclass
class ToolBox:
    """The tools of one agent, and the ledger that makes side-effect calls idempotent."""

    tools: list[Tool]
    ledger: dict[str, ToolResult] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [t.name for t in self.tools]
        if len(set(names)) != len(names):
            raise ValueError(f"two tools share a name: {sorted(names)}")
        self._by_name = {t.name: t for t in self.tools}

    def specs(self) -> list[dict[str, Any]]:
        return [t.spec() for t in self.tools]

    def run(
        self, name: str, arguments: dict[str, Any], trajectory_id: str
    ) -> tuple[ToolResult, str | None]:
        """Run one call; returns the result and, for a side-effect tool, its idempotency key."""
        found = self._by_name.get(name)
        if found is None:
            known = ", ".join(sorted(self._by_name))
            return ToolResult(
                f"There is no tool {name!r}. Tools: {known}.", error="unknown_tool"
            ), None
        if not found.side_effect:
            return found.call(arguments), None
        key = idempotency_key(trajectory_id, name, arguments)
        if key in self.ledger:
            first = self.ledger[key]
            return ToolResult(first.content, first.error, replayed=True), key
        result = found.call(arguments)
        if result.ok:  # a failed side effect did not happen: a retry may try again
            self.ledger[key] = result
        return result, key


def idempotency_key(trajectory_id: str, name: str, arguments: dict[str, Any]) -> str:
    """Same trajectory, same tool, same arguments: the same key, whatever the key order."""
    canonical = json.dumps([trajectory_id, name, arguments], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str, ensure_ascii=False)
