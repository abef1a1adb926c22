"""Failed verification attempts and unlocks: the lockout's memory.

An `insufficient` outcome of a check that could verify records one attempt
against every name match; a person with 3+ attempts in the 24 hours up to the
time of a call is locked. An unlock clears the person's attempts (they stay on
file, marked cleared): a supervisor's, or the one a verification by possession
of the notification code records (reason records.POSSESSION_UNLOCK).
The hub feeds each person's lock state over every workstation's attempts
(person_locks: locked from when until when), not the attempts themselves; a
person is locked here by their attempts here or by that state.
"""

import uuid

from console.core.policy import LOCKOUT_ATTEMPTS
from console.core.records import is_lockout, lock_lifts_at, lockout_window, unlock_clearing
from console.core.timeutil import utc_text
from console.store.clock import hub_now
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
    return db.execute(
        "SELECT count(*) FROM failed_attempts WHERE person_id = ? AND cleared_by IS NULL AND at >= ? AND at <= ?",
        [person_id, *lockout_window(at)],
    ).fetchone()[0]


def _hub_locked(db, person_id: str, at) -> bool:
    moment = utc_text(at)
    return db.execute("SELECT 1 FROM person_locks WHERE person_id = ? AND locked_from <= ? AND locked_until >= ?",
                      [person_id, moment, moment]).fetchone() is not None


def is_locked(db, person_id: str, at) -> bool:
    return is_lockout(failed_attempts_before(db, person_id, at)) or _hub_locked(db, person_id, at)


def has_uncleared_attempts(db, person_id: str) -> bool:
    return db.execute("SELECT 1 FROM failed_attempts WHERE person_id = ? AND cleared_by IS NULL LIMIT 1",
                      [person_id]).fetchone() is not None


def locked_persons(db, at=None) -> list[dict]:
    """Persons locked at `at` (default now), with their attempt counts here
    (None for a person locked by the hub's state alone)."""
    moment = at or hub_now(db)  # by the hub's clock, as the attempts were recorded
    here = {
        pid: {"person_id": pid, "failed_attempts": n, "last_attempt": last,
              "locked_until": lock_lifts_at(times.split(","))}
        for pid, n, last, times in db.execute(
            "SELECT person_id, count(*), max(at), group_concat(at) FROM failed_attempts "
            "WHERE cleared_by IS NULL AND at >= ? AND at <= ? "
            "GROUP BY person_id HAVING count(*) >= ? ORDER BY max(at) DESC, person_id",
            [*lockout_window(moment), LOCKOUT_ATTEMPTS],
        )
    }
    for pid, locked_from, until in db.execute(
            "SELECT person_id, locked_from, locked_until FROM person_locks WHERE locked_from <= ? "
            "AND locked_until >= ? ORDER BY locked_from DESC, person_id", [utc_text(moment)] * 2):
        row = here.setdefault(pid, {"person_id": pid, "failed_attempts": None, "last_attempt": locked_from,
                                    "locked_until": until})
        row["locked_until"] = max(row["locked_until"], until)  # locked here and by the hub: the later end
    return list(here.values())


def clear_failed_attempts(db, person_id: str, *, operator, workstation, reason=None) -> dict:
    """Record an unlock and clear the person's attempts; returns the unlock."""
    unlock = {"unlock_id": str(uuid.uuid4()), "person_id": person_id, "at": utc_text(hub_now(db)),
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
    """Clear the person's attempts made at or before the unlock
    (console.core.records.unlock_clears), and a lock state of the hub's that
    began by then; how many attempts it cleared."""
    db.execute("DELETE FROM person_locks WHERE person_id = ? AND locked_from <= ?", [unlock["person_id"], unlock["at"]])
    return db.execute(
        "UPDATE failed_attempts SET cleared_by = ? WHERE person_id = ? AND cleared_by IS NULL AND at <= ?",
        [unlock["unlock_id"], unlock["person_id"], unlock["at"]],
    ).rowcount


def apply_attempt(db, attempt: dict) -> None:
    """Store an attempt made on another workstation (once), cleared by the
    unlock on file that came after it (console.core.records.unlock_clearing),
    if there is one."""
    db.execute(
        "INSERT OR IGNORE INTO failed_attempts (attempt_id, person_id, at, operator, workstation, cleared_by) "
        "VALUES (:attempt_id, :person_id, :at, :operator, :workstation, NULL)",
        attempt,
    )
    stored = db.execute("SELECT person_id, at FROM failed_attempts WHERE attempt_id = ? AND cleared_by IS NULL",
                        [attempt["attempt_id"]]).fetchone()
    if stored is None:
        return
    person_id, at = stored
    unlocks = db.execute("SELECT at, unlock_id FROM unlocks WHERE person_id = ? AND at >= ?", [person_id, at])
    cleared_by = unlock_clearing(at, unlocks)
    if cleared_by is not None:
        db.execute("UPDATE failed_attempts SET cleared_by = ? WHERE attempt_id = ?", [cleared_by, attempt["attempt_id"]])


def store_unlock(db, unlock: dict) -> int:
    """Store an unlock made on another workstation (once) and apply it. The
    hub's feed does not say who made it where ("hub" stands for both)."""
    db.execute(
        "INSERT OR IGNORE INTO unlocks (unlock_id, person_id, at, operator, workstation, reason) "
        "VALUES (:unlock_id, :person_id, :at, :operator, :workstation, :reason)",
        {"reason": None, "operator": None, "workstation": "hub", **unlock},
    )
    return apply_unlock(db, unlock)


def apply_lock_state(db, state: dict) -> None:
    """The hub's lock state of a person: locked from when until when, or not locked."""
    if state.get("locked_from") and state.get("locked_until"):
        db.execute("INSERT OR REPLACE INTO person_locks (person_id, locked_from, locked_until) VALUES (?, ?, ?)",
                   [state["person_id"], state["locked_from"], state["locked_until"]])
    else:
        db.execute("DELETE FROM person_locks WHERE person_id = ?", [state["person_id"]])
