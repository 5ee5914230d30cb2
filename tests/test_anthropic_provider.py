"""The anthropic provider through the official SDK, with Anthropic-shaped HTTP answers.

No Anthropic-compatible server runs offline, so the SDK talks to an in-memory transport that
answers the way the Messages API documents: this checks our request mapping, response
parsing and error translation through the real SDK code path.
"""

from __future__ import annotations

import json

import httpx2
import pytest

from course.llm import Client, RateLimited, ServerError
from course.llm.providers.anthropic_provider import AnthropicProvider
from course.llm.retry import RetryPolicy

TEST_KEY = "sk-ant-test-0123456789abcdef"


def message_body(content, stop_reason="end_turn"):
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 42, "output_tokens": 7},
    }


def make(responses, seen):
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        sent_key = request.headers.get("x-api-key") or request.headers["authorization"].split()[-1]
        assert sent_key == TEST_KEY
        status, body, headers = responses.pop(0)
        return httpx2.Response(status, json=body, headers=headers)

    provider = AnthropicProvider(
        TEST_KEY, http_client=httpx2.Client(transport=httpx2.MockTransport(handler))
    )
    provider.virtual_time = True  # keep retry waits out of wall time in the test
    return Client(
        "anthropic",
        "claude-haiku-4-5",
        provider_impl=provider,
        traces=False,
        cache=False,
        retry=RetryPolicy(max_attempts=3),
    )


def test_text_reply_usage_cost_and_system_prompt():
    seen = []
    client = make([(200, message_body([{"type": "text", "text": "Hello!"}]), {})], seen)
    response = client.complete("hi", system="Be brief.", max_tokens=64)
    assert response.text == "Hello!"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (42, 7)
    assert response.cost_usd == pytest.approx((42 * 1.0 + 7 * 5.0) / 1e6)
    assert seen[0]["system"] == "Be brief." and seen[0]["max_tokens"] == 64
    assert seen[0]["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


def test_tool_use_is_mapped_both_ways():
    seen = []
    tool_block = {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get_order",
        "input": {"order_id": "A-17"},
    }
    client = make([(200, message_body([tool_block], stop_reason="tool_use"), {})], seen)
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_order",
                "description": "Look up an order",
                "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
            },
        }
    ]
    response = client.complete("where is A-17?", tools=tools)
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls[0].name == "get_order" and response.tool_calls[0].arguments == {
        "order_id": "A-17"
    }
    assert seen[0]["tools"][0]["input_schema"]["properties"] == {"order_id": {"type": "string"}}


def test_rate_limit_retry_after_then_success():
    seen = []
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    client = make(
        [
            (429, error, {"retry-after": "3"}),
            (200, message_body([{"type": "text", "text": "ok"}]), {}),
        ],
        seen,
    )
    response = client.complete("hi")
    assert response.text == "ok" and response.attempts == 2
    assert client.clock.slept_s == pytest.approx(3.0)


def test_overloaded_is_a_server_error_and_gives_up():
    seen = []
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    client = make([(529, error, {})] * 3, seen)
    with pytest.raises(ServerError, match="529"):
        client.complete("hi")
    assert len(seen) == 3


def test_rate_limited_type_is_exposed():
    seen = []
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    client = make([(429, error, {"retry-after": "1"})] * 3, seen)
    with pytest.raises(RateLimited):
        client.complete("hi")
