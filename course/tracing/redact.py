"""Secret redaction, applied to everything before it is written to the trace store.

Three nets, because any one alone leaks: the literal values of secret-looking environment
variables; patterns that API keys and bearer tokens follow; and dictionary keys that name a
secret (api_key, authorization, password ...), whatever their value looks like.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

REDACTED = "[REDACTED]"
_SECRET_PATTERNS = [
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"sk-(?:proj-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)(api[_-]?key|secret|password|token)(\s*[=:]\s*)['\"]?[^\s'\",}]{6,}"),
]
# Every pattern above needs one of these words; a text without any is left as it is.
_MAY_MATCH = re.compile(r"(?i)sk-|bearer|api|secret|password|token")
_SECRET_KEY = re.compile(
    r"(?i)^(x-)?(api[_-]?key|authorization|password|passwd|secret|client[_-]?secret|"
    r"access[_-]?token|refresh[_-]?token|auth[_-]?token|bearer)$"
)
_SECRET_ENV = re.compile(r"(?i)(api_?key|secret|token|password)")


def env_secrets() -> list[str]:
    """Values of environment variables whose names say they are secret (read at call time).

    Only the names are scanned (each name's verdict memoised) and only secret-named values
    read: decoding every value of os.environ was a visible share of writing one trace row.
    """
    values = [v for k in os.environ if _secret_name(k) and len(v := os.environ[k]) >= 8]
    return sorted(set(values), key=len, reverse=True)


@lru_cache(maxsize=1024)
def _secret_name(name: str) -> bool:
    return _SECRET_ENV.search(name) is not None


def redact_text(text: str, secrets: list[str] | None = None) -> str:
    """`text` with secrets replaced; `secrets` defaults to the environment's, read now."""
    for secret in env_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if not _MAY_MATCH.search(text):  # none of the patterns can match: skip four passes
        return text
    for pattern in _SECRET_PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def redact(value: Any, secrets: list[str] | None = None) -> Any:
    """A copy of `value` (str, dict, list, anything JSON-like) with secrets replaced.

    The environment is read once per call (not once per string): a trace record holds dozens
    of strings, and scanning os.environ for each was most of the cost of writing a trace.
    """
    if secrets is None:
        secrets = env_secrets()
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and _SECRET_KEY.match(key)
            else redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    return value
