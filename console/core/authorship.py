"""Who may attest what (verification policy v2): the rules the hub applies to
every pushed record, as pure functions over plain values.

A record is accepted only when its author is the operator who pushes it (a
supervisor may enter calls taken on paper for someone else, and is recorded
as the one who entered them), when the author's role allowed that kind of
record, when it belongs to the pushing workstation, when it is not dated in
the future beyond CLOCK_SKEW, and when it is no larger than the limits below.
Each check answers None when the record passes, or one sentence saying why
not, never naming a person.
"""

from datetime import datetime, timedelta

from console.core.attest import CLOCK_SKEW  # how far ahead of the hub's clock a record's time may be
from console.core.roles import ROLES

MAX_ID_CHARS = 64  # an item's id, and every id inside its body
MAX_ITEM_BYTES = 64 * 1024  # one item's body, as canonical text
MAX_TEXT_CHARS = 4096  # a free-text field (notes, reasons) inside a body
PUSHES_PER_MINUTE = 120  # pushes one workstation may make in a minute before it is told to wait
MAX_PUSHES_PER_MINUTE = 100_000  # the most `hub serve --pushes-per-minute` may allow

# the least role that may author each kind of record; "hub" means only the hub writes it
AUTHOR_ROLES = {
    "call": "operator",
    "callback": "operator",
    "attempt": "operator",
    "audit": "operator",
    "unlock": "supervisor",
    "escalation_ack": "supervisor",
    "dial_intent": "operator",
    "account": "hub",
}

# the body key naming a record's author, per kind (callbacks name whoever revised them last)
# (an audit chain holds entries of every operator who signed in on the workstation: the hub checks its links)
AUTHOR_KEYS = {"call": "operator", "attempt": "operator", "unlock": "operator", "escalation_ack": "operator",
               "dial_intent": "operator"}

# kinds whose body names the workstation that made them; a callback names where it was booked
OWN_WORKSTATION_KINDS = ("call", "attempt", "unlock", "escalation_ack", "audit", "dial_intent")


def may_record(kind: str, role: str | None) -> bool:
    """Whether an operator of `role` may author a record of `kind`."""
    needed = AUTHOR_ROLES.get(kind)
    if needed is None or needed == "hub" or role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def role_refusal(kind: str, role: str | None) -> str | None:
    if may_record(kind, role):
        return None
    needed = AUTHOR_ROLES.get(kind)
    if needed in (None, "hub"):
        return f"A {kind} record is written by the hub alone; no workstation may push one."
    return f"A {kind} record needs a {needed}'s session; this one is an {role}'s."


def author_refusal(kind: str, author: str | None, pusher: str, role: str | None,
                   signed_in_there: bool = False) -> str | None:
    """The author a record names must be the operator pushing it, or one who
    was signed in to the hub on the same workstation at the record's time
    (`signed_in_there`); a supervisor may enter a call taken on paper by
    someone else."""
    if kind not in AUTHOR_KEYS or author == pusher or (author and signed_in_there):
        return None
    if kind == "call" and author and role in ROLES and ROLES.index(role) >= ROLES.index("supervisor"):
        return None
    return (f"This {kind} is credited to {author or 'nobody'}, but {pusher} is pushing it: "
            "a record carries the operator who made it.")


def workstation_refusal(kind: str, named: str | None, pusher: str) -> str | None:
    if kind not in OWN_WORKSTATION_KINDS or named == pusher:
        return None
    return (f"This {kind} names workstation {named}, but the session is for {pusher}: "
            "a workstation pushes only its own records.")


def check_time(at: datetime, now: datetime, skew: timedelta = CLOCK_SKEW) -> str | None:
    """A record's time may be ahead of `now` by clock skew only."""
    if at > now + skew:
        ahead = at - now
        minutes = int(ahead.total_seconds() // 60)
        return (f"It is dated {minutes} minutes ahead of the hub's clock; a record may be at most "
                f"{int(skew.total_seconds() // 60)} minutes ahead (clock skew), never in the future.")
    return None


def size_refusal(item_id: str, body_text: str, ids: dict, texts: dict) -> str | None:
    """Ids at most MAX_ID_CHARS, free text at most MAX_TEXT_CHARS, the body at
    most MAX_ITEM_BYTES of UTF-8."""
    if len(item_id) > MAX_ID_CHARS + 12:  # a callback's id carries "@<revision>"
        return f"Its id has {len(item_id)} characters; ids have at most {MAX_ID_CHARS}."
    for key, value in ids.items():
        if isinstance(value, str) and len(value) > MAX_ID_CHARS:
            return f"Its {key} has {len(value)} characters; ids have at most {MAX_ID_CHARS}."
    for key, value in texts.items():
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            return f"Its {key} has {len(value)} characters; at most {MAX_TEXT_CHARS} are kept."
    size = len(body_text.encode("utf-8"))
    if size > MAX_ITEM_BYTES:
        return f"Its body has {size:,} bytes; an item has at most {MAX_ITEM_BYTES:,}."
    return None


def lock_state(attempt_times: list[datetime]) -> tuple[datetime, datetime] | None:
    """The last stretch of time in which a person's uncleared failed attempts
    (`attempt_times`) lock them: (locked_from, locked_until), both included,
    or None when they never reach a lockout. A person is locked at a moment
    with LOCKOUT_ATTEMPTS attempts in the LOCKOUT_WINDOW_HOURS up to it. This
    is what the hub feeds to workstations instead of the attempts themselves
    (who made them, and where, stays on the hub)."""
    from console.core.policy import LOCKOUT_ATTEMPTS, LOCKOUT_WINDOW_HOURS

    window = timedelta(hours=LOCKOUT_WINDOW_HOURS)
    times = sorted(attempt_times)
    stretch = None
    for n in range(LOCKOUT_ATTEMPTS - 1, len(times)):
        start, until = times[n], times[n - LOCKOUT_ATTEMPTS + 1] + window
        if start > until:
            continue
        if stretch and start <= stretch[1]:
            stretch = (stretch[0], max(stretch[1], until))
        else:
            stretch = (start, until)
    return stretch
