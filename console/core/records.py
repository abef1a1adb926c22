"""The records a workstation and the hub both keep, and the rules both apply
to them: the canonical text of a record, the ids of sync items, the lockout
(attempts, unlocks, who is locked now) and when a callback is overdue.

Both sides store these records in their own databases; the queries differ,
the rules do not: each side asks its database for the facts and lets these
functions decide.
"""

import json
from datetime import datetime, timedelta

from console.core.policy import LOCKOUT_ATTEMPTS, LOCKOUT_WINDOW_HOURS
from console.core.timeutil import utc_text

# what a workstation pushes (console/sync/protocol.py, "Push")
ITEM_KINDS = ("call", "callback", "attempt", "unlock", "audit", "escalation_ack", "dial_intent")
# what the hub's change feed carries (console/sync/protocol.py, "Pull")
CHANGE_KINDS = ("account", "attempt", "unlock", "callback", "content", "register", "escalation_ack", "lock", "message",
                "attestation")

OVERDUE_AFTER = timedelta(minutes=30)  # an open callback this long past its due time is overdue
# the reason of the unlock that verification by possession of the notification
# code records: it clears the person's failed attempts and syncs like any
# unlock, and is the only unlock an operator (not a supervisor) may make
POSSESSION_UNLOCK = "possession"


def canonical(body) -> str:
    """The one JSON text of a body, compared byte for byte for conflicts."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def callback_item_id(callback_id: str, revision: int) -> str:
    """The sync item id of one revision of a callback."""
    return f"{callback_id}@{revision}"


def lockout_window(at: datetime) -> tuple[str, str]:
    """The attempts that count towards a lockout at `at` were made in
    [start, end] (both as sortable UTC text): the LOCKOUT_WINDOW_HOURS up to
    and including `at`. A person with LOCKOUT_ATTEMPTS uncleared attempts in
    it is locked."""
    return utc_text(at - timedelta(hours=LOCKOUT_WINDOW_HOURS)), utc_text(at)


def lock_lifts_at(attempts_at: list[str]) -> str:
    """When a lockout made by these uncleared attempts (sortable UTC text, at least
    LOCKOUT_ATTEMPTS of them) lifts by itself: when the LOCKOUT_ATTEMPTS-th newest
    leaves the window."""
    third_newest = sorted(attempts_at, reverse=True)[LOCKOUT_ATTEMPTS - 1]
    return utc_text(datetime.fromisoformat(third_newest) + timedelta(hours=LOCKOUT_WINDOW_HOURS))


def lock_judged_at(call_at: datetime, checked_at: datetime) -> tuple[datetime, ...]:
    """The times at which a check is judged locked: the time of the call and
    the time the check is made. Locked at either is locked, so back-dating a
    check (a call entered later) never lifts a lock."""
    return (call_at, checked_at) if call_at != checked_at else (call_at,)


def is_lockout(uncleared_attempts: int) -> bool:
    return uncleared_attempts >= LOCKOUT_ATTEMPTS


def overdue_before(at: datetime) -> str:
    """An open callback due before this (sortable UTC text) is overdue at `at`."""
    return utc_text(at - OVERDUE_AFTER)


def unlock_clears(unlock_at: str, attempt_at: str) -> bool:
    """An unlock clears the person's attempts made at or before it (both times
    as sortable UTC text), whatever order the two arrive in by sync."""
    return attempt_at <= unlock_at


def unlock_clearing(attempt_at: str, unlocks) -> str | None:
    """The id of the unlock that clears an attempt made at `attempt_at`, or None.

    unlocks: (at, unlock_id) pairs of the person's unlocks, times as sortable
    UTC text. Of those made at or after the attempt, the earliest clears it;
    two at the same instant are told apart by unlock_id, so every workstation
    and the hub name the same unlock."""
    clearing = min(((at, unlock_id) for at, unlock_id in unlocks if unlock_clears(at, attempt_at)), default=None)
    return clearing[1] if clearing else None
