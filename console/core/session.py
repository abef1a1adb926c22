"""The window's session: it locks after a spell of idleness (10 minutes by
default; an admin may change it, never turn it off) and after 12 hours
regardless. Pure logic over a clock, so it is tested with a fake one. The
minutes are a setting (console/store/settings.py), declared with these bounds."""

import time
from dataclasses import dataclass, field

IDLE_LOCK_DEFAULT_MINUTES = 10
IDLE_LOCK_RANGE = (1, 60)
SESSION_MAX_SECONDS = 12 * 3600


@dataclass
class Session:
    operator: str
    idle_minutes: int = IDLE_LOCK_DEFAULT_MINUTES
    clock: object = time.monotonic
    started: float = field(default=None)
    last_activity: float = field(default=None)
    locked: str | None = None  # why: "idle" or "session_age"

    def __post_init__(self):
        self.started = self.last_activity = self.clock()

    def activity(self) -> None:
        if not self.locked:
            self.last_activity = self.clock()

    def check(self) -> str | None:
        """Lock if due; returns why it is locked (or None)."""
        if self.locked:
            return self.locked
        current = self.clock()
        if current - self.started >= SESSION_MAX_SECONDS:
            self.locked = "session_age"
        elif current - self.last_activity >= self.idle_minutes * 60:
            self.locked = "idle"
        return self.locked

    def unlocked(self) -> None:
        """After the password was given again: a 12-hour lock starts a new session."""
        if self.locked == "session_age":
            self.started = self.clock()
        self.locked = None
        self.last_activity = self.clock()
