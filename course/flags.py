"""Prompt versions behind a flag: ship a new prompt to a slice of traffic, watch, roll back.

A prompt change is a code change no compiler checks, and it can quietly make answers worse.
So ship it like any risky deploy:

- `PromptRegistry` holds every version of a prompt. A version never changes once registered
  (new text is a new version), and its fingerprint lets a log prove which text ran.
- `FeatureFlag` decides which version each unit (a ticket, a user) gets: a *stable* version,
  plus optionally a *canary* version for `percent` of units. Units are bucketed by a stable
  hash of their id, so a ticket sees the same version on every worker and every retry
  (sticky), and raising the percentage only adds units. Every change is a row in SQLite
  with a timestamp and a reason; the current state is the latest row, so the history is the
  audit log, and `rollback()` is one call that needs no deploy.

A real flag service also caches the state for a few seconds per process; this one reads one
SQLite row per decision, which is fast enough for the course and always current.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from course.config import state_dir
from course.errors import CourseError
from course.storage import connect

# --------------------------------------------------------------------------------------------
# Prompt versions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptVersion:
    """One immutable prompt: a system message and a user template with {named} fields.

    Only the template is formatted, never the values, so a ticket full of braces is safe;
    write a literal brace in a template as {{ or }}.
    """

    version: str
    system: str
    user: str
    note: str = ""

    @property
    def fingerprint(self) -> str:
        """First 12 hex digits of the SHA-256 of the text: equal text, equal fingerprint."""
        return hashlib.sha256(f"{self.system}\0{self.user}".encode()).hexdigest()[:12]

    def render(self, **values: str) -> list[dict[str, str]]:
        """The chat messages for these values, ready for `Client.complete`."""
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user.format(**values)},
        ]


class PromptRegistry:
    """Every version of one prompt, by name. Registering a name twice with other text fails."""

    def __init__(self) -> None:
        self._versions: dict[str, PromptVersion] = {}

    def register(self, version: str, *, system: str, user: str, note: str = "") -> PromptVersion:
        prompt = PromptVersion(version, system, user, note)
        known = self._versions.get(version)
        if known is not None and known.fingerprint != prompt.fingerprint:
            raise CourseError(
                f"Prompt version {version!r} is already registered with other text.",
                hint="A version never changes once registered: give the new text a new version.",
            )
        self._versions[version] = known or prompt
        return self._versions[version]

    def __getitem__(self, version: str) -> PromptVersion:
        try:
            return self._versions[version]
        except KeyError:
            known = ", ".join(self._versions) or "none yet"
            raise KeyError(f"No prompt version {version!r} (registered: {known}).") from None

    def __contains__(self, version: object) -> bool:
        return version in self._versions

    def __iter__(self) -> Iterator[str]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)


# --------------------------------------------------------------------------------------------
# Sticky percentage bucketing
# --------------------------------------------------------------------------------------------


def bucket(unit_id: str, salt: str = "") -> float:
    """Where `unit_id` falls in [0, 100): the first 13 hex digits of sha256("salt:unit_id").

    SHA-256, not Python's hash(): hash() is salted per process (PYTHONHASHSEED), so one ticket
    would land in different buckets on different workers. 13 hex digits are 52 bits, exactly
    representable in a float, so the result is uniform and strictly below 100.
    """
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).hexdigest()
    return int(digest[:13], 16) / 16**13 * 100


def in_rollout(unit_id: str, percent: float, salt: str = "") -> bool:
    """True for about `percent`% of unit ids, always the same ones, and every unit that is in
    at some percentage stays in at any higher one."""
    return bucket(unit_id, salt) < percent


# --------------------------------------------------------------------------------------------
# The flag
# --------------------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS flag_changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    flag    TEXT NOT NULL,
    at      TEXT NOT NULL,
    action  TEXT NOT NULL,      -- set_rollout | rollback
    stable  TEXT NOT NULL,
    canary  TEXT,
    percent REAL NOT NULL,      -- share of units on the canary, 0-100 (0 without one)
    reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS flag_changes_flag ON flag_changes (flag, id);
"""


@dataclass(frozen=True)
class Rollout:
    """Who gets what: `percent`% of units get `canary`, everyone else `stable`."""

    stable: str
    canary: str | None = None
    percent: float = 0.0


@dataclass(frozen=True)
class Change:
    """One row of a flag's history: what was done, when, why, and the state it left."""

    at: datetime
    action: str
    stable: str
    canary: str | None
    percent: float
    reason: str


class FeatureFlag:
    """Which prompt version each unit gets, changed at run time and remembered in SQLite.

    `versions` (e.g. a PromptRegistry) makes a typo in a version name an error instead of an
    outage; `clock` lets a simulation stamp changes with simulated time.
    """

    def __init__(
        self,
        name: str,
        path: Path | str | None = None,
        *,
        versions: Collection[str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.name = name
        self.path = Path(path) if path is not None else state_dir() / "flags.sqlite"
        self.versions = versions
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._db = connect(self.path, SCHEMA)

    def state(self) -> Rollout:
        """The rollout in force now (the latest change)."""
        with self._lock:
            row = self._db.execute(
                "SELECT stable, canary, percent FROM flag_changes WHERE flag = ? "
                "ORDER BY id DESC LIMIT 1",
                (self.name,),
            ).fetchone()
        if row is None:
            raise CourseError(
                f"Flag {self.name!r} has no version yet.",
                hint=f"Start it with FeatureFlag({self.name!r}).set_rollout(<version>, 100).",
            )
        return Rollout(*row)

    def variant(self, unit_id: str) -> str:
        """The version `unit_id` gets: sticky, because the bucket is a hash of the id."""
        state = self.state()
        if state.canary is not None and in_rollout(unit_id, state.percent, salt=self.name):
            return state.canary
        return state.stable

    def set_rollout(self, version: str, percent: float, reason: str = "") -> Rollout:
        """Send `percent`% of units to `version`, the rest to the stable version.

        100 makes `version` the stable version (a promotion; `rollback()` can undo it). The
        first call must be 100: there is nothing to split traffic with yet.
        """
        if not 0 <= percent <= 100:
            raise ValueError(f"percent must be between 0 and 100, not {percent!r}.")
        if self.versions is not None and version not in self.versions:
            known = ", ".join(map(str, self.versions)) or "none"
            raise ValueError(
                f"Unknown version {version!r} for flag {self.name!r} (known: {known})."
            )
        current = self._latest()
        if percent == 100:
            new = Rollout(stable=version)
        elif current is None:
            raise CourseError(
                f"Flag {self.name!r} has no stable version to split traffic with.",
                hint="Start with set_rollout(<the version in production>, 100).",
            )
        elif version == current.stable:
            raise ValueError(
                f"{version!r} is already the stable version; rollback() ends a canary."
            )
        else:
            new = Rollout(stable=current.stable, canary=version, percent=float(percent))
        self._record("set_rollout", new, reason)
        return new

    def rollback(self, reason: str = "") -> Rollout:
        """Undo the last step forward: end the canary if one runs, else restore the stable
        version that was in force before the current one was promoted."""
        current = self.state()
        if current.canary is not None:
            new = Rollout(stable=current.stable)
        else:
            stables = self._stable_stack()
            if len(stables) < 2:
                raise CourseError(
                    f"Flag {self.name!r} has nothing to roll back to.",
                    hint="Only a canary or a promotion can be rolled back; see history().",
                )
            new = Rollout(stable=stables[-2])
        self._record("rollback", new, reason)
        return new

    def history(self) -> list[Change]:
        """Every change to this flag, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, action, stable, canary, percent, reason FROM flag_changes "
                "WHERE flag = ? ORDER BY id",
                (self.name,),
            ).fetchall()
        return [Change(datetime.fromisoformat(at), *rest) for at, *rest in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- internals -----------------------------------------------------------------------------

    def _latest(self) -> Rollout | None:
        try:
            return self.state()
        except CourseError:
            return None

    def _stable_stack(self) -> list[str]:
        """Stable versions in force, oldest first: promotions push, rollbacks of them pop."""
        stack: list[str] = []
        for change in self.history():
            if stack and change.stable == stack[-1]:
                continue
            if change.action == "rollback":
                stack.pop()
            else:
                stack.append(change.stable)
        return stack

    def _record(self, action: str, state: Rollout, reason: str) -> None:
        at = self._clock().isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "INSERT INTO flag_changes (flag, at, action, stable, canary, percent, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.name, at, action, state.stable, state.canary, state.percent, reason),
            )
            self._db.commit()
