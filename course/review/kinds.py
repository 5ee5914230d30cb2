"""The defect kinds a backend reviewer looks for in this course's code-review lessons.

Each kind has a one-sentence definition: it is what a labelled diff means by the kind, what a
review prompt can show a model, and what a reviewer (human, linter or model) is scored against.
Seven of them have a pattern a linter can match; two (`retry_no_backoff`,
`unbounded_pagination`) are about what a loop does over time, which no syntax rule sees.
"""

from __future__ import annotations

from course.errors import CourseError

KINDS: dict[str, str] = {
    "no_timeout": "An HTTP call (requests, a session, urllib) made without a timeout, so a slow "
    "server hangs the worker.",
    "sql_formatting": "SQL text built from values with an f-string, % or + instead of query "
    "parameters, which allows SQL injection.",
    "bare_except": "A bare `except:` (or `except BaseException:`) that also swallows "
    "KeyboardInterrupt and SystemExit and hides bugs.",
    "mutable_default": "A list, dict or set used as a default argument value: one object shared "
    "by every call.",
    "hardcoded_secret": "A password, API key or token written as a literal in the source code.",
    "tls_unverified": "TLS certificate verification turned off (verify=False, an unverified SSL "
    "context).",
    "shell_injection": "A shell command built from variables and run with shell=True or os.system.",
    "retry_no_backoff": "A retry loop that tries again at once or after a fixed pause, with no "
    "growing delay between attempts.",
    "unbounded_pagination": "A loop over a paginated API with no cap on the number of pages, "
    "which never ends if the API keeps returning a next page.",
}

# The two kinds no syntax rule can see: they are about behaviour over time.
SEMANTIC_KINDS: frozenset[str] = frozenset({"retry_no_backoff", "unbounded_pagination"})


def check_kinds(kinds: object) -> list[str]:
    """`kinds` as a list of known kind names, or a clear error naming the unknown ones."""
    names = list(kinds) if not isinstance(kinds, str) else [kinds]
    unknown = [k for k in names if k not in KINDS]
    if unknown:
        raise CourseError(
            f"unknown defect kind(s) {unknown}",
            hint=f"use names from course.review.KINDS: {sorted(KINDS)}",
        )
    return names
