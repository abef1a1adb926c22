"""The telephone line, as the hub hears it: Zammad's generic CTI events, the
queue's figures, and the callers the queue lost.

A PBX (or a bridge in front of it) posts one event per step of a call:
`newCall` when it rings in (or is dialled out), `answer` when someone takes
it, `hangup` with a `cause` when it ends. `parse_event` checks one event
and says, in a sentence each, what is wrong with it.

The queue's figures come from one place, `queue_figures`, which works on
tallies: how many calls of each kind (queue, hour, outcome) there were, how
many of them waited under the target and under the short-abandon time, and
their waits and handle times summed. The hub's database counts them with one
GROUP BY (TALLY_SQL, over the rows `summarise` gives each call);
`tally_calls` counts the same from calls held in memory, so a dashboard or a
test that has the calls gets the same figures from the same code.

Missed callers (`missed_callers`) are inbound calls that ended without an
answer from a number that is known: one entry per number per helpline day,
resolved when that number gets through (an answered call with it, in or
out, after the last missed one). They are their own kind, never the
policy's verification callbacks.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from math import isfinite

from console.core.contact import phone_display, phone_e164
from console.core.timeutil import HELPLINE_ZONE, TimeFormatError, parse_instant

EVENTS = ("newCall", "answer", "hangup")
DIRECTIONS = ("in", "out")
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")
ANONYMOUS = "anonymous"
MAX_CALL_ID = 250
MAX_TEXT = 200  # a number, a queue, an agent's name
MAX_USERS = 100
SHORT_ABANDON_SECONDS = 5
SERVICE_TARGET_SECONDS = 60
NO_QUEUE = ""  # calls the PBX names no queue for
REJECT = {"action": "reject"}  # Zammad's answer to a newCall the PBX should refuse

# what became of a call, as the figures count it
ANSWERED, ABANDONED, UNANSWERED, WAITING = "answered", "abandoned", "unanswered", "waiting"


class CtiRefused(ValueError):
    """An event refused; `problems` holds a sentence for each thing wrong with it."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CtiEvent:
    event: str
    call_id: str
    direction: str
    from_number: str
    to_number: str
    users: tuple[str, ...] = ()
    queue: str = NO_QUEUE
    answering_number: str = ""
    cause: str | None = None
    at: datetime | None = None  # when the PBX says it happened; None: when the hub received it


def _one(value):
    """Form data repeats a field as a list; JSON may too (`user`)."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _text(fields, name: str, problems: list, *, required: bool, limit: int = MAX_TEXT) -> str:
    value = _one(fields.get(name))
    if value is None or value == "":
        if required:
            problems.append(f"The field {name} is missing.")
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name in ("from", "to", "answeringNumber"):
        value = str(value)  # a number sent as a JSON number
    if not isinstance(value, str):
        problems.append(f"The field {name} must be text, not {type(value).__name__}.")
        return ""
    value = value.strip()
    if len(value) > limit:
        problems.append(f"The field {name} is {len(value)} characters long; at most {limit} are accepted.")
        return ""
    if any(ord(c) < 32 for c in value) or value.encode("utf-8", "backslashreplace").decode("utf-8") != value:
        problems.append(f"The field {name} holds control characters or text that cannot be stored.")
        return ""
    return value


def _users(fields, problems: list) -> tuple[str, ...]:
    value = fields.get("user")
    if value is None or value == "":
        return ()
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_USERS:
        problems.append(f"The field user names {len(values)} agents; at most {MAX_USERS} are accepted.")
        return ()
    users = []
    for index, item in enumerate(values):
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_TEXT or any(ord(c) < 32 for c in item):
            problems.append(f"The field user[{index}] must be an agent's name or extension "
                            f"(1 to {MAX_TEXT} characters of text).")
            return ()
        users.append(item.strip())
    return tuple(users)


def _at(fields, problems: list) -> datetime | None:
    """`at`, an extension of the contract for relays that retry: when the event
    happened, as an ISO 8601 time with offset or seconds since 1970 (UTC)."""
    value = _one(fields.get("at"))
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            try:
                return parse_instant(value, "The field at")
            except TimeFormatError as exc:
                problems.append(f"{exc}.")
                return None
        value = number
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not isfinite(value) or \
            not 0 < value < 253402300799:
        problems.append("The field at must be an ISO 8601 time with offset or seconds since 1970.")
        return None
    return datetime.fromtimestamp(value, timezone.utc)


def parse_event(fields) -> CtiEvent:
    """One CTI event from its decoded JSON object or form fields; CtiRefused
    (a sentence per problem) when it is not one. Unknown fields are ignored,
    as Zammad does: bridges send more than the contract."""
    if not isinstance(fields, dict):
        raise CtiRefused(["The event must be a JSON object or form fields (event, from, to, direction, callId)."])
    problems: list[str] = []
    event = _text(fields, "event", problems, required=True)
    if event and event not in EVENTS:
        problems.append(f"The field event must be one of {', '.join(EVENTS)}, not {event[:40]!r}.")
    call_id = _text(fields, "callId", problems, required=True, limit=MAX_CALL_ID)
    direction = _text(fields, "direction", problems, required=True)
    if direction and direction not in DIRECTIONS:
        problems.append(f"The field direction must be in or out, not {direction[:40]!r}.")
    from_number = _text(fields, "from", problems, required=True)
    to_number = _text(fields, "to", problems, required=True)
    users = _users(fields, problems)
    queue = _text(fields, "queue", problems, required=False)
    answering = _text(fields, "answeringNumber", problems, required=False)
    cause = _text(fields, "cause", problems, required=event == "hangup") or None
    if cause is not None and cause not in CAUSES:
        problems.append(f"The field cause must be one of {', '.join(CAUSES)}, not {cause[:40]!r}.")
    if cause is not None and event in ("newCall", "answer"):
        problems.append(f"The field cause belongs to a hangup, not to {event}.")
    at = _at(fields, problems)
    if problems:
        raise CtiRefused(problems)
    return CtiEvent(event, call_id, direction, from_number, to_number, users, queue, answering, cause, at)


def caller_number(event: CtiEvent) -> str:
    """The outside party's number: who rang in, or who was dialled."""
    return event.from_number if event.direction == "in" else event.to_number


def number_key(number: str) -> str | None:
    """What makes two numbers the same caller: the E.164 form when the number
    is valid, else its digits (an internal or foreign short number); None for
    an anonymous or withheld one."""
    if not number or number.lower() in (ANONYMOUS, "unknown", "withheld", "restricted"):
        return None
    e164 = phone_e164(number)
    if e164:
        return e164
    digits = "".join(c for c in number if c.isdigit())
    return ("+" if number.startswith("+") else "") + digits if len(digits) >= 3 else None


def number_masked(number: str) -> str:
    """A number as an operator may see it on a list: its last three digits only."""
    digits = "".join(c for c in number if c.isdigit())
    return f"…{digits[-3:]}" if len(digits) >= 3 else "…"


def number_shown(number: str) -> str:
    """A number as a supervisor sees it: national format when valid (as the console shows phones)."""
    return phone_display(number) or number


# calls: the events of one callId together


@dataclass
class CallTrace:
    """What the events of one call say, in whatever order they arrived."""

    call_id: str
    direction: str = "in"
    number: str = ""
    queue: str = NO_QUEUE
    new_at: datetime | None = None
    answer_at: datetime | None = None
    hangup_at: datetime | None = None
    cause: str | None = None
    users: tuple[str, ...] = ()
    key: str | None = None  # number_key(number), when already known

    def add(self, event: CtiEvent, at: datetime) -> None:
        self.direction = event.direction
        self.number = self.number or caller_number(event)
        self.queue = self.queue or event.queue
        if event.event == "newCall":
            self.new_at = at
        elif event.event == "answer":
            self.answer_at = at
            self.users = event.users or self.users
        else:
            self.hangup_at = at
            self.cause = event.cause


def traces(events) -> dict[str, CallTrace]:
    """(event, at) pairs grouped by call id."""
    calls: dict[str, CallTrace] = {}
    for event, at in events:
        calls.setdefault(event.call_id, CallTrace(event.call_id)).add(event, at)
    return calls


def helpline_day(at: datetime) -> date:
    return at.astimezone(HELPLINE_ZONE).date()


def helpline_hour(at: datetime) -> int:
    return at.astimezone(HELPLINE_ZONE).hour


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a helpline day starts and ends (23 or 25 hours around daylight saving)."""
    start = datetime.combine(day, datetime.min.time(), HELPLINE_ZONE)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), HELPLINE_ZONE)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def outcome(answered: bool, ended: bool, cause: str | None) -> str:
    """What became of an inbound call: answered; abandoned (the caller gave up:
    cancel, or cleared before any answer); unanswered (busy, noAnswer,
    congestion, notFound, forwarded); or still waiting."""
    if answered:
        return ANSWERED
    if not ended:
        return WAITING
    return ABANDONED if cause in ("cancel", "normalClearing", None) else UNANSWERED


# the queue's figures from tallies


@dataclass(frozen=True)
class Tally:
    """Inbound calls alike in queue, hour (helpline time, of their newCall) and outcome, counted."""

    queue: str
    hour: int
    outcome: str
    calls: int
    within_target: int = 0  # of them, how many waited under the target
    short: int = 0  # of them, how many waited under SHORT_ABANDON_SECONDS
    wait_seconds: float = 0.0  # their whole seconds waited, summed
    handle_seconds: float = 0.0  # summed over those whose handle time is known
    handled: int = 0  # how many of them that is


# the tallies as SQL over the hub's cti_calls rows (the columns summarise() gives), with
# the target and SHORT_ABANDON_SECONDS as parameters: the same counts tally_calls makes
TALLY_SQL = ("SELECT queue, hour, outcome, count(*), sum(CASE WHEN wait_seconds < ? THEN 1 ELSE 0 END), "
             "sum(CASE WHEN wait_seconds < ? THEN 1 ELSE 0 END), sum(wait_seconds), sum(handle_seconds), "
             "count(handle_seconds) FROM cti_calls WHERE day = ? AND direction = 'in' GROUP BY queue, hour, outcome")


def summarise(call: CallTrace) -> dict | None:
    """The figures' view of one call: its helpline day and hour (of its
    newCall), outcome, whole seconds waited (to the answer, or to the hangup
    when none came) and handle seconds (answer to hangup); None before its
    newCall is known. The hub stores this beside each call so its database
    can tally them; `tally_calls` tallies the same in memory."""
    if call.new_at is None:
        return None
    kind = outcome(call.answer_at is not None, call.hangup_at is not None, call.cause)
    until = call.answer_at if kind == ANSWERED else call.hangup_at
    handle = None
    if kind == ANSWERED and call.hangup_at is not None:
        handle = max(0.0, (call.hangup_at - call.answer_at).total_seconds())
    return {"day": helpline_day(call.new_at).isoformat(), "hour": helpline_hour(call.new_at), "outcome": kind,
            "wait_seconds": int(max(0.0, (until - call.new_at).total_seconds())) if until else 0,
            "handle_seconds": handle}


def tally_calls(calls, day: date, target: int = SERVICE_TARGET_SECONDS) -> list[Tally]:
    """Tallies of the inbound calls (CallTrace) that rang in on a helpline day, counted in memory."""
    counts: defaultdict = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0])
    for call in calls:
        row = summarise(call) if call.direction == "in" else None
        if row is None or row["day"] != day.isoformat():
            continue
        tally = counts[(call.queue, row["hour"], row["outcome"])]
        tally[0] += 1
        tally[1] += row["wait_seconds"] < target
        tally[2] += row["wait_seconds"] < SHORT_ABANDON_SECONDS
        tally[3] += row["wait_seconds"]
        if row["handle_seconds"] is not None:
            tally[4] += row["handle_seconds"]
            tally[5] += 1
    return [Tally(*key, *values) for key, values in counts.items()]


def service_level_formula(target: int) -> str:
    return f"answered within {target} s ÷ (offered − short abandons)"


HANDLE_FROM_SAVED = "answer → call saved"
HANDLE_FROM_HANGUP = ("answer → hangup (the calls saved are not linked to the PBX's call ids, so the time "
                      "after the hangup, writing the call up, is not in it)")


@dataclass
class Figures:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0  # gave up after SHORT_ABANDON_SECONDS or more
    short_abandoned: int = 0  # gave up sooner: a wrong number, a change of mind
    unanswered: int = 0  # ended by the line (busy, no answer, congestion, …)
    waiting: int = 0  # rang in and neither answered nor ended (in this day's calls)
    answered_within_target: int = 0
    _wait_answered: float = 0.0
    _handle: float = 0.0
    _handled: int = 0

    def add(self, tally: Tally) -> None:
        self.offered += tally.calls
        if tally.outcome == ANSWERED:
            self.answered += tally.calls
            self.answered_within_target += tally.within_target
            self._wait_answered += tally.wait_seconds
            self._handle += tally.handle_seconds
            self._handled += tally.handled
        elif tally.outcome == ABANDONED:
            self.short_abandoned += tally.short
            self.abandoned += tally.calls - tally.short
        elif tally.outcome == UNANSWERED:
            self.unanswered += tally.calls
        else:
            self.waiting += tally.calls

    def as_dict(self, target: int) -> dict:
        base = self.offered - self.short_abandoned
        return {
            "offered": self.offered, "answered": self.answered, "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned, "unanswered": self.unanswered, "waiting": self.waiting,
            "answered_within_target": self.answered_within_target,
            "service_level": round(self.answered_within_target / base, 4) if base else None,
            "average_speed_of_answer_seconds": round(self._wait_answered / self.answered, 1) if self.answered else None,
            "average_handle_seconds": round(self._handle / self._handled, 1) if self._handled else None,
        }


def queue_figures(tallies, *, target: int = SERVICE_TARGET_SECONDS, waiting_since=(), now: datetime | None = None,
                  operators: dict | None = None, handle_basis: str = HANDLE_FROM_HANGUP) -> dict:
    """The queue's figures for a day from its tallies (counted with the same
    `target`): overall, per queue and by hour (helpline time), each with offered, answered, abandoned (and short abandons, under
    SHORT_ABANDON_SECONDS, apart), unanswered, the service level within
    `target` seconds, the average speed of answer and the average handle time.
    `waiting_since` holds (queue, newCall instant) of the calls waiting now,
    for the number waiting and the longest current wait at `now`; `operators`
    the counts of operators signed in / on a call / in wrap-up where known."""
    overall, queues, hours = Figures(), defaultdict(Figures), defaultdict(Figures)
    for tally in tallies:
        for figures in (overall, queues[tally.queue], hours[tally.hour]):
            figures.add(tally)
    now = now or datetime.now(timezone.utc)
    waits = defaultdict(list)
    for queue, since in waiting_since:
        waits[queue].append(max(0.0, (now - since).total_seconds()))
        waits[None].append(waits[queue][-1])

    def now_figures(queue):
        found = waits.get(queue, [])
        return {"waiting_now": len(found), "longest_wait_seconds": round(max(found), 1) if found else None}

    return {
        "target_seconds": target,
        "short_abandon_seconds": SHORT_ABANDON_SECONDS,
        "formulas": {
            "service_level": service_level_formula(target),
            "abandoned": f"hung up before an answer after waiting {SHORT_ABANDON_SECONDS} s or more "
                         f"(short abandons: under {SHORT_ABANDON_SECONDS} s, counted apart)",
            "average_speed_of_answer": "sum of waits of answered calls ÷ answered",
            "average_handle_time": handle_basis,
        },
        "overall": {**overall.as_dict(target), **now_figures(None)},
        "queues": {queue or "(no queue)": {**figures.as_dict(target), **now_figures(queue)}
                   for queue, figures in sorted(queues.items())},
        "hours": {f"{hour:02d}": hours[hour].as_dict(target) for hour in sorted(hours)},
        "operators": operators or {"signed_in": None, "on_call": None, "wrap_up": None},
    }


# missed callers


@dataclass
class MissedCaller:
    number: str  # as the PBX sent it
    key: str  # number_key: the same caller whatever the writing
    day: date
    last_at: datetime  # the newest missed call of that day
    wait_seconds: float  # how long that caller waited on it
    calls: int = 1  # missed calls from the number that day
    queue: str = NO_QUEUE
    resolved_at: datetime | None = None  # when the number got through after it
    call_ids: list = field(default_factory=list)

    def as_dict(self, *, masked: bool) -> dict:
        return {
            "kind": "missed_caller",
            "number": number_masked(self.number) if masked else number_shown(self.number),
            "day": self.day.isoformat(), "last_at": self.last_at.astimezone(timezone.utc).isoformat(),
            "wait_seconds": round(self.wait_seconds, 1), "calls": self.calls, "queue": self.queue,
            "resolved": self.resolved_at is not None,
            "resolved_at": self.resolved_at.astimezone(timezone.utc).isoformat() if self.resolved_at else None,
        }


def missed_callers(calls, day: date) -> list[MissedCaller]:
    """The callers to ring back for a helpline day, newest first: every inbound
    call that ended without an answer (abandoned or unanswered) from a known
    number, one entry per number, resolved when an answered call with that
    number (rung in again, or called back) started after its last missed call."""
    entries: dict[str, MissedCaller] = {}
    got_through = defaultdict(list)
    for call in calls:
        key = call.key or number_key(call.number)
        if key is None or call.new_at is None:
            continue
        if call.answer_at is not None:
            got_through[key].append(call.new_at)
            continue
        if call.direction != "in" or call.hangup_at is None or helpline_day(call.new_at) != day:
            continue
        wait = max(0.0, (call.hangup_at - call.new_at).total_seconds())
        entry = entries.get(key)
        if entry is None:
            entries[key] = MissedCaller(call.number, key, day, call.new_at, wait, 1, call.queue, None, [call.call_id])
            continue
        entry.calls += 1
        entry.call_ids.append(call.call_id)
        if call.new_at > entry.last_at:
            entry.number, entry.last_at, entry.wait_seconds, entry.queue = call.number, call.new_at, wait, call.queue
    for key, entry in entries.items():
        later = [at for at in got_through.get(key, ()) if at > entry.last_at]
        entry.resolved_at = min(later) if later else None
    return sorted(entries.values(), key=lambda e: e.last_at, reverse=True)
