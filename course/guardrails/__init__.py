"""Guardrails for LLM features: personal data out of prompts and logs, prompt-injection
detection, and checks on what the model returned (see each module for why and how)."""

from course.guardrails.injection import RULES, Finding, detect_injection
from course.guardrails.output import (
    CURRENCIES,
    ORDER_ID,
    FieldRules,
    Violation,
    check_fields,
    instruction_tells,
)
from course.guardrails.pii import Redaction, find_pii, luhn_valid, redact_pii

__all__ = [
    "CURRENCIES",
    "ORDER_ID",
    "RULES",
    "FieldRules",
    "Finding",
    "Redaction",
    "Violation",
    "check_fields",
    "detect_injection",
    "find_pii",
    "instruction_tells",
    "luhn_valid",
    "redact_pii",
]
