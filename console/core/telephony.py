"""The telephone line, as the hub hears it: Zammad's generic CTI events, the
queue's figures, and the callers the queue lost.

A PBX (or a bridge in front of it) posts one event per step of a call:
`newCall` when it rings in (or is dialled out), `answer` when someone takes
it, `hangup` with a `cause` when it ends. `parse_event` checks one event
and says, in a sentence each, what is wrong with it.

The queue's figures come from one place, `queue_figures`, which works on
tallies: how many calls of each kind (queue, hour, outcome) there were, how
many of them waited under the target and under the short-abandon time, and
their waits and handle times summed. Each call's part in them is
`summarise` (its day, hour, outcome, wait and handle time) and `tally_of`;
the hub keeps the sums as the events arrive (console.hub.telephony),
`tally_calls` counts the same from calls held in memory, so a dashboard or a
test that has the calls gets the same figures from the same code. Handle
time runs from the answer to the save of the call record linked to the call
by the PBX's call id (`handle_end`), to the hangup only when none was saved,
and the formula shown with the figure says how many that was.

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
    saved_at: datetime | None = None  # when the call record linked to it (by the PBX's call id) was saved

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
    handled_to_hangup: int = 0  # of those, how many had no call saved (handle time to the hangup)


def handle_end(call: CallTrace) -> tuple[datetime | None, bool]:
    """Where an answered call's handle time ends, and whether that is its
    hangup for want of a call saved: the save of the call record linked to it
    (the operator's writing-up after the hangup included; the hangup when the
    record was saved while the caller was still on), else its hangup; None
    while neither is known."""
    if call.saved_at is not None:
        return (max(call.saved_at, call.hangup_at) if call.hangup_at else call.saved_at), False
    return call.hangup_at, call.hangup_at is not None


def summarise(call: CallTrace) -> dict | None:
    """The figures' view of one call: its helpline day and hour (of its
    newCall), outcome, whole seconds waited (to the answer, or to the hangup
    when none came), handle seconds (answer to call saved: `handle_end`) and
    whether they run to the hangup only; None before its newCall is known.
    The hub stores this beside each call and tallies it as it arrives;
    `tally_calls` tallies the same in memory."""
    if call.new_at is None:
        return None
    kind = outcome(call.answer_at is not None, call.hangup_at is not None, call.cause)
    until = call.answer_at if kind == ANSWERED else call.hangup_at
    handle, to_hangup = None, False
    if kind == ANSWERED:
        end, to_hangup = handle_end(call)
        handle = max(0.0, (end - call.answer_at).total_seconds()) if end else None
    return {"day": helpline_day(call.new_at).isoformat(), "hour": helpline_hour(call.new_at), "outcome": kind,
            "wait_seconds": int(max(0.0, (until - call.new_at).total_seconds())) if until else 0,
            "handle_seconds": handle, "handled_to_hangup": to_hangup}


def tally_of(queue: str, row: dict, target: int) -> Tally:
    """One call's summary (`summarise`) as a tally of one: what it adds to its queue, hour and outcome."""
    wait = row["wait_seconds"]
    handled = row["handle_seconds"] is not None
    return Tally(queue, row["hour"], row["outcome"], 1, int(wait < target), int(wait < SHORT_ABANDON_SECONDS),
                 wait, row["handle_seconds"] or 0.0, int(handled), int(handled and row["handled_to_hangup"]))


def merge_tallies(tallies) -> list[Tally]:
    """Tallies of the same queue, hour and outcome added up."""
    sums: dict = {}
    for tally in tallies:
        key = (tally.queue, tally.hour, tally.outcome)
        found = sums.get(key)
        sums[key] = tally if found is None else Tally(*key, *(
            getattr(found, name) + getattr(tally, name) for name in TALLY_SUMS))
    return list(sums.values())


TALLY_SUMS = ("calls", "within_target", "short", "wait_seconds", "handle_seconds", "handled", "handled_to_hangup")


def tally_calls(calls, day: date, target: int = SERVICE_TARGET_SECONDS) -> list[Tally]:
    """Tallies of the inbound calls (CallTrace) that rang in on a helpline day, counted in memory."""
    rows = ((call.queue, summarise(call) if call.direction == "in" else None) for call in calls)
    return merge_tallies(tally_of(queue, row, target) for queue, row in rows
                         if row is not None and row["day"] == day.isoformat())


def service_level_formula(target: int) -> str:
    return f"answered within {target} s ÷ (offered − short abandons)"


HANDLE_FORMULA = "answer → call saved"


def handle_formula(handled: int, to_hangup: int) -> str:
    """The average handle time's formula, saying how many calls had no call saved to end it."""
    if not to_hangup:
        return HANDLE_FORMULA
    return (f"{HANDLE_FORMULA} ({to_hangup} of {handled} answered calls had no call saved linked to them: "
            "answer → hangup, without the writing-up after it)")


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
    handled_to_hangup: int = 0  # answered calls with no call saved: handle time to the hangup
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
            self.handled_to_hangup += tally.handled_to_hangup
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
            "handled_to_hangup": self.handled_to_hangup,
        }


def queue_figures(tallies, *, target: int = SERVICE_TARGET_SECONDS, waiting_since=(), now: datetime | None = None,
                  operators: dict | None = None) -> dict:
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
            "average_handle_time": handle_formula(overall._handled, overall.handled_to_hangup),
        },
        "overall": {**overall.as_dict(target), **now_figures(None)},
        "queues": {queue or "(no queue)": {**figures.as_dict(target), **now_figures(queue)}
                   for queue, figures in sorted(queues.items())},
        "hours": {f"{hour:02d}": hours[hour].as_dict(target) for hour in sorted(hours)},
        "operators": operators or {"signed_in": None, "on_call": None, "wrap_up": None},
    }


def operator_activity(calls) -> dict:
    """How many operators are on a call and how many in wrap-up, from
    (operator, answer_at, hangup_at, saved_at) of the calls they answered
    lately: on a call while one of them is not hung up; in wrap-up when the
    latest they answered is hung up and its call not yet saved."""
    on_call, latest = set(), {}
    for operator, answer_at, hangup_at, saved_at in calls:
        if hangup_at is None:
            on_call.add(operator)
        if operator not in latest or answer_at > latest[operator][0]:
            latest[operator] = (answer_at, hangup_at, saved_at)
    wrap_up = {operator for operator, (_, hangup_at, saved_at) in latest.items()
               if operator not in on_call and hangup_at is not None and saved_at is None}
    return {"on_call": len(on_call), "wrap_up": len(wrap_up)}


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
