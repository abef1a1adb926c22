"""Who may attest what (verification-policy.md, version 2): the rules a
workstation applies to what it records itself and the hub applies to what it
is pushed, once.

Every function answers a sentence saying why a record is refused, or None
when it may be recorded; `refuse` turns sentences into NotAttested. None of
them reads a database: the caller looks up the facts (the author's role, who
placed a callback, whether the person is in the register, the verifications
on file) and passes them in.
"""

import hashlib
import hmac
from datetime import datetime, timedelta

from console.core.contact import phone_e164
from console.core.records import POSSESSION_UNLOCK
from console.core.roles import ROLES
from console.core.timeutil import parse_instant

CLOCK_SKEW = timedelta(minutes=5)  # a record may be dated this far ahead of the clock that receives it
PAPER_AFTER = timedelta(hours=12)  # a call entered longer after its time than this is a paper call
DIAL_WINDOW = timedelta(minutes=10)  # a dialled callback's outbound call starts this long after the intent at most


class NotAttested(ValueError):
    """A record refused by "Who may attest what"; the problems are sentences."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def refuse(*problems: str | None) -> None:
    """Raise NotAttested with the problems that are not None, if any."""
    found = [p for p in problems if p]
    if found:
        raise NotAttested(found)


def is_supervisor(role: str | None) -> bool:
    """A supervisor or an admin (roles are cumulative)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index("supervisor")


def future_problem(at: datetime, received_at: datetime, what: str = "The record") -> str | None:
    """A record dated more than CLOCK_SKEW after the clock that receives it."""
    if at > received_at + CLOCK_SKEW:
        return (f"{what} is dated {at.isoformat()}, more than {_minutes(CLOCK_SKEW)} after now "
                f"({received_at.isoformat(timespec='seconds')}): a record dated in the future is refused.")
    return None


def enrolment_problem(at: datetime, enrolled_at: datetime | None, what: str = "The record") -> str | None:
    """A record dated more than CLOCK_SKEW before the workstation that made it
    was enrolled (None: not enrolled, nothing to judge by): no enrolled
    workstation made it."""
    if enrolled_at is not None and at < enrolled_at - CLOCK_SKEW:
        return (f"{what} is dated {at.isoformat()}, before its workstation was enrolled "
                f"({enrolled_at.isoformat(timespec='seconds')}, give or take {_minutes(CLOCK_SKEW)}): a workstation "
                "records nothing before its enrolment.")
    return None


def call_time_problem(at: datetime, entered_at: datetime, role: str | None, what: str = "The call") -> str | None:
    """A call (or a check of a caller) dated in the future, or entered more
    than PAPER_AFTER after it happened by someone who is not a supervisor."""
    future = future_problem(at, entered_at, what)
    if future:
        return future
    if at < entered_at - PAPER_AFTER and not is_supervisor(role):
        return (f"{what} is dated {at.isoformat()}, more than {int(PAPER_AFTER.total_seconds() // 3600)} hours ago: only a "
                "supervisor may enter a call from paper after an outage.")
    return None


def author_problem(credited_to: str | None, acting: str | None, role: str | None) -> str | None:
    """A record credited to someone other than who makes it: only a
    supervisor entering calls taken on paper may (and is then recorded as
    the one who entered it)."""
    if credited_to == acting or is_supervisor(role):
        return None
    return (f"This record is credited to {credited_to}, but {acting} is signed in: a record credited to someone "
            "else is accepted only from a supervisor entering calls taken on paper.")


def verification_backs(record: dict, verification: dict) -> bool:
    """Whether a recorded verification stands behind a call record that says
    `verified`: made by the operator credited with the call, of the same
    person with the same assurance, at a time of call within the call (from
    its start to its end, give or take CLOCK_SKEW).

    verification: {"operator", "person_id", "assurance", "call_time"} as the
    audit's `verification` entry holds them (call_time ISO 8601)."""
    if (verification.get("operator") != record["operator"] or verification.get("person_id") != record["person_id"]
            or verification.get("assurance") != record["assurance"]):
        return False
    try:
        checked = parse_instant(verification.get("call_time"))
    except ValueError:
        return False
    started, ended = parse_instant(record["started_at"]), parse_instant(record["ended_at"])
    return started - CLOCK_SKEW <= checked <= ended + CLOCK_SKEW


def call_record_problems(record: dict, *, acting: str | None, role: str | None, entered_at: datetime,
                         person_exists: bool | None, verifications=None,
                         enrolled_at: datetime | None = None) -> list[str]:
    """Why a validated call record may not be recorded by `acting` (role
    `role`) at `entered_at`; empty when it may.

    person_exists: whether record["person_id"] (when set) is in the register;
    None when that is not judged.
    verifications: the verified checks on file that could back the record
    (dicts as `verification_backs` takes); None when they cannot be looked
    up (then that rule is left to whoever can).
    enrolled_at: when the workstation recording it was first enrolled (None:
    standalone, or not judged)."""
    where = f"Call {record['call_id']}: "
    problems = [
        author_problem(record["operator"], acting, role),
        call_time_problem(parse_instant(record["started_at"]), entered_at, role, "It"),
        enrolment_problem(parse_instant(record["started_at"]), enrolled_at, "It"),
        future_problem(parse_instant(record["ended_at"]), entered_at, "Its end"),
    ]
    if record.get("person_id"):
        problems.append(person_problem(record["person_id"], person_exists))
    if record["verification"] == "verified" and verifications is not None and not any(
            verification_backs(record, v) for v in verifications):
        problems.append(f"It says verified, but no check by {record['operator']} verified {record['person_id']} "
                        f"with {record['assurance']} during the call on this workstation.")
    return [where + p for p in problems if p]


def person_problem(person_id: str, exists: bool | None, register: str = "the register") -> str | None:
    """A record naming a person who is not in `register` (exists False; None: not judged)."""
    if exists is False:
        return f"The person {person_id} is not in {register}."
    return None


def unlock_problem(role: str | None, reason: str | None) -> str | None:
    """An unlock by someone who is not a supervisor: accepted only when it is
    the record of a verification by possession (reason POSSESSION_UNLOCK)."""
    if is_supervisor(role) or reason == POSSESSION_UNLOCK:
        return None
    return ("Only a supervisor may unlock a person; an operator's unlock is accepted only as the record of a "
            f"verification by possession (reason {POSSESSION_UNLOCK!r}).")


def countersign_problem(role: str | None, countersigner: str | None, callback: dict) -> str | None:
    """Whether `countersigner` may attest that this callback was answered: a
    supervisor who is not the operator who placed the call, on a callback
    completed as answered and not countersigned yet."""
    if not is_supervisor(role):
        return "Only a supervisor may countersign a callback."
    if callback.get("outcome") != "answered":
        return "Only a callback completed as answered can be countersigned."
    if callback.get("countersigned_by"):
        return "This callback is already countersigned."
    if countersigner == callback.get("completed_by"):
        return "A supervisor may not countersign a callback they placed themselves."
    return None


def callback_attested(callback: dict | None, attestations=()) -> bool:
    """Whether a callback's answer is attested by someone other than the
    operator who placed it (policy v2, "Callback route"): completed as
    answered, and either countersigned by a supervisor who did not place it,
    or attested by the telephone system: one of `attestations` (the PBX's
    answered outbound calls the hub matched to a dial intent, dicts with
    "callback_id" and "operator") is of this callback, placed by the operator
    who completed it. The operator's word alone never is; nor the PBX's
    answer alone (a voicemail answers too), without the operator's."""
    if not callback or callback.get("outcome") != "answered":
        return False
    placed_by = callback.get("completed_by")
    countersigned = bool(callback.get("countersigned_by")) and callback.get("countersigned_by") != placed_by
    by_pbx = any(a.get("callback_id") == callback.get("callback_id") and a.get("operator") == placed_by
                 for a in attestations)
    return countersigned or by_pbx


def number_digest(callback_id: str, number: str | None) -> str | None:
    """The dialled number of a dial intent as the hub keeps it: HMAC-SHA256 of
    its E.164 form keyed by the callback's id, so the hub can tell whether the
    PBX dialled that number without holding it, and two intents to one
    number are not linked by their digests. None for a number that is not
    valid (it could never be on file)."""
    e164 = phone_e164(number)
    if e164 is None:
        return None
    return hmac.new(callback_id.encode("utf-8"), e164.encode("utf-8"), hashlib.sha256).hexdigest()


def dial_attests(intent: dict, call: dict) -> bool:
    """Whether the PBX's call attests the dialled callback of `intent`: an
    outbound call, to the number the intent names, from an extension of the
    operator who recorded it, started within DIAL_WINDOW after the intent (or
    up to CLOCK_SKEW before it: the workstation's clock and the PBX's differ),
    and answered.

    intent: {"callback_id", "operator", "number_digest", "at" (datetime)}.
    call: {"direction", "number" (the number dialled), "operators" (those
    mapped to the extensions the PBX named for it), "new_at", "answer_at"
    (datetimes or None)}."""
    if call.get("direction") != "out" or call.get("answer_at") is None or call.get("new_at") is None:
        return False
    if intent.get("operator") not in call.get("operators", ()):
        return False
    if not intent.get("number_digest") or not hmac.compare_digest(
            intent["number_digest"], number_digest(intent["callback_id"], call.get("number")) or ""):
        return False
    return intent["at"] - CLOCK_SKEW <= call["new_at"] <= intent["at"] + DIAL_WINDOW


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} minutes"
