"""Failed verification attempts and unlocks: the lockout's memory.

An `insufficient` outcome records one attempt against every name match; a
person with 3+ attempts in the 24 hours up to the time of a call is locked.
An unlock clears the person's attempts (they stay on file, marked cleared).
"""

import uuid
from datetime import timedelta

from console.core.policy import LOCKOUT_ATTEMPTS, LOCKOUT_WINDOW_HOURS
from console.core.timeutil import now, utc_text
from console.store.outbox import queue_outbox


def record_failed_attempts(db, person_ids, at, *, operator, workstation) -> list[dict]:
    rows = [
        {"attempt_id": str(uuid.uuid4()), "person_id": pid, "at": utc_text(at),
         "operator": operator, "workstation": workstation, "cleared_by": None}
        for pid in person_ids
    ]
    for row in rows:
        db.execute(
            "INSERT INTO failed_attempts (attempt_id, person_id, at, operator, workstation, cleared_by) "
            "VALUES (:attempt_id, :person_id, :at, :operator, :workstation, :cleared_by)",
            row,
        )
        queue_outbox(db, "attempt", row["attempt_id"], {k: v for k, v in row.items() if k != "cleared_by"})
    return rows


def failed_attempts_before(db, person_id: str, at) -> int:
    """Uncleared attempts in the 24 hours up to and including `at`."""
    window_start = utc_text(at - timedelta(hours=LOCKOUT_WINDOW_HOURS))
    return db.execute(
        "SELECT count(*) FROM failed_attempts WHERE person_id = ? AND cleared_by IS NULL AND at >= ? AND at <= ?",
        [person_id, window_start, utc_text(at)],
    ).fetchone()[0]


def is_locked(db, person_id: str, at) -> bool:
    return failed_attempts_before(db, person_id, at) >= LOCKOUT_ATTEMPTS


def locked_persons(db, at=None) -> list[dict]:
    """Persons locked at `at` (default now), with their attempt counts."""
    at = at or now()
    window_start = utc_text(at - timedelta(hours=LOCKOUT_WINDOW_HOURS))
    return [
        {"person_id": pid, "failed_attempts": n, "last_attempt": last}
        for pid, n, last in db.execute(
            "SELECT person_id, count(*), max(at) FROM failed_attempts WHERE cleared_by IS NULL AND at >= ? AND at <= ? "
            "GROUP BY person_id HAVING count(*) >= ? ORDER BY max(at) DESC",
            [window_start, utc_text(at), LOCKOUT_ATTEMPTS],
        )
    ]


def clear_failed_attempts(db, person_id: str, *, operator, workstation, reason=None) -> dict:
    """Record an unlock and clear the person's attempts; returns the unlock."""
    unlock = {"unlock_id": str(uuid.uuid4()), "person_id": person_id, "at": utc_text(now()),
              "operator": operator, "workstation": workstation, "reason": reason}
    db.execute(
        "INSERT INTO unlocks (unlock_id, person_id, at, operator, workstation, reason) "
        "VALUES (:unlock_id, :person_id, :at, :operator, :workstation, :reason)",
        unlock,
    )
    queue_outbox(db, "unlock", unlock["unlock_id"], unlock)
    unlock["cleared_attempts"] = apply_unlock(db, unlock)
    return unlock


def apply_unlock(db, unlock: dict) -> int:
    """Clear the person's attempts made at or before the unlock; how many it cleared.

    The same rule on every workstation and on the hub, whatever order attempts
    and unlocks arrive in by sync."""
    return db.execute(
        "UPDATE failed_attempts SET cleared_by = ? WHERE person_id = ? AND cleared_by IS NULL AND at <= ?",
        [unlock["unlock_id"], unlock["person_id"], unlock["at"]],
    ).rowcount


def apply_attempt(db, attempt: dict) -> None:
    """Store an attempt made on another workstation (once), cleared if an
    unlock on file came after it."""
    db.execute(
        "INSERT OR IGNORE INTO failed_attempts (attempt_id, person_id, at, operator, workstation, cleared_by) "
        "VALUES (:attempt_id, :person_id, :at, :operator, :workstation, NULL)",
        attempt,
    )
    db.execute(
        "UPDATE failed_attempts SET cleared_by = (SELECT unlock_id FROM unlocks WHERE unlocks.person_id = "
        "failed_attempts.person_id AND unlocks.at >= failed_attempts.at ORDER BY unlocks.at LIMIT 1) "
        "WHERE attempt_id = ? AND cleared_by IS NULL",
        [attempt["attempt_id"]],
    )


def store_unlock(db, unlock: dict) -> int:
    """Store an unlock made on another workstation (once) and apply it."""
    db.execute(
        "INSERT OR IGNORE INTO unlocks (unlock_id, person_id, at, operator, workstation, reason) "
        "VALUES (:unlock_id, :person_id, :at, :operator, :workstation, :reason)",
        {"reason": None, **unlock},
    )
    return apply_unlock(db, unlock)
