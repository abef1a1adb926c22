"""A synthetic day on the telephone line, for the Line tab's and the
wallboard's screenshots and demo: CTI calls shaped like a surge day (the
hourly shape of console.demo.surge_day), some abandoned and some still
waiting, and a reader answering GET /queue and /missed-callers from them
with the core's own functions, as the hub does from its tallies."""

import random
from datetime import datetime, time, timedelta

from console.core.telephony import CallTrace, missed_callers, queue_figures, tally_calls
from console.core.timeutil import HELPLINE_ZONE
from console.demo.surge_day import DEMO_HOURLY

QUEUES = ("helpline",) * 4 + ("te-reo",)
# operators the demo line has signed in, on a call and in wrap-up (the hub counts them from its sessions)
DEMO_STAFFING = {"signed_in": 12, "on_call": 9, "wrap_up": None}


def line_calls(until: datetime, seed: int = 11) -> list[CallTrace]:
    """Inbound calls of `until`'s helpline day up to `until`: most answered after a wait that grows with
    the hour's load, one in eight abandoned, those of the last three minutes still waiting; some who gave up ring again and get through."""
    rng = random.Random(seed)
    until = until.astimezone(HELPLINE_ZONE)
    calls = []
    for hour, n in enumerate(DEMO_HOURLY):
        for _ in range(round(n * 1.4 * rng.uniform(0.8, 1.2))):
            rang = datetime.combine(until.date(), time(hour), HELPLINE_ZONE) + timedelta(seconds=rng.randrange(3600))
            if rang >= until:
                continue
            wait = rng.expovariate(1 / (10 + n))  # seconds
            number = f"+642{rng.randrange(1, 10)}{rng.randrange(1_000_000, 9_999_999)}"
            call = CallTrace(f"demo-{len(calls)}", "in", number, rng.choice(QUEUES), new_at=rang)
            if rang + timedelta(seconds=wait) >= until or until - rang < timedelta(minutes=3):
                pass  # still waiting
            elif rng.random() < 0.125:
                call.hangup_at, call.cause = rang + timedelta(seconds=wait), "cancel"
                again = call.hangup_at + timedelta(minutes=rng.uniform(5, 40))
                if rng.random() < 0.4 and again < until:  # rang again and got through
                    calls.append(CallTrace(f"demo-{len(calls)}-again", "in", number, call.queue, new_at=again,
                                           answer_at=again + timedelta(seconds=20)))
            else:
                call.answer_at = rang + timedelta(seconds=wait)
                talk = timedelta(seconds=rng.lognormvariate(5.6, 0.5))
                if call.answer_at + talk < until:
                    call.hangup_at, call.cause = call.answer_at + talk, "normalClearing"
            calls.append(call)
    return calls


def demo_line_reader(until: datetime, seed: int = 11):
    """read(path, **params) as the hub answers GET /queue and /missed-callers, over line_calls(until)."""
    calls = line_calls(until, seed)
    day = until.astimezone(HELPLINE_ZONE).date()

    def read(path: str, day_text=None, target: int = 60, **params):
        if path == "/queue":
            waiting = [(c.queue, c.new_at) for c in calls if c.answer_at is None and c.hangup_at is None]
            return {"day": day.isoformat(), **queue_figures(tally_calls(calls, day, target), target=target,
                                                            waiting_since=waiting, now=until,
                                                            operators=dict(DEMO_STAFFING))}
        if path == "/missed-callers":
            entries = missed_callers(calls, day)
            return {"missed_callers": [entry.as_dict(masked=False) for entry in entries[:500]],
                    "total": len(entries), "open": sum(entry.resolved_at is None for entry in entries)}
        raise ValueError(f"The demo line answers /queue and /missed-callers, not {path}.")

    return read
