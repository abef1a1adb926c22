"""A surge day of synthetic calls, for the dashboard's demo and screenshots."""

import random
import uuid
from datetime import datetime, time, timedelta

from console.core.calls import validate_call_record
from console.core.timeutil import HELPLINE_ZONE

# the shape of a surge day: calls per clock hour, 07:00 to 22:00, busiest late morning
DEMO_HOURLY = (0, 0, 0, 0, 0, 0, 0, 8, 22, 41, 58, 52, 44, 47, 39, 33, 28, 22, 15, 11, 8, 5, 3, 0)
DEMO_REGIONS = ("Northland",) * 5 + ("Auckland",) * 3 + ("Waikato", "Bay of Plenty", "Wellington", "Canterbury", None)


def demo_calls(until, person_ids, seed: int = 7) -> list[dict]:
    """Synthetic calls for yesterday and today up to `until` (the helpline's
    clock), shaped like a surge day, for the dashboard's demo and screenshots."""
    rng = random.Random(seed)
    until = until.astimezone(HELPLINE_ZONE)
    records = []
    for day in (until.date() - timedelta(days=1), until.date()):
        scale = 0.8 if day < until.date() else 1.0
        for hour, n in enumerate(DEMO_HOURLY):
            for _ in range(round(n * scale * rng.uniform(0.8, 1.2))):
                started = datetime.combine(day, time(hour), HELPLINE_ZONE) + timedelta(seconds=rng.randrange(3600))
                if started >= until:
                    continue
                verification = rng.choices(["verified", "not_verified", "not_attempted"], [6, 2, 1])[0]
                record = {
                    "call_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "started_at": started.isoformat(timespec="seconds"),
                    "ended_at": (started + timedelta(seconds=int(rng.lognormvariate(6.2, 0.5)))).isoformat(
                        timespec="seconds"),
                    "operator": f"op-{rng.randrange(1, 13):02d}",
                    "caller_type": rng.choices(["patient", "representative", "practice", "media", "other"],
                                               [20, 4, 2, 1, 1])[0],
                    "person_id": rng.choice(person_ids) if verification == "verified" else None,
                    "verification": verification,
                    "assurance": rng.choice(["possession", "knowledge"]) if verification == "verified" else None,
                    "disclosed_status": rng.choices(["affected", "not_affected"], [3, 1])[0]
                    if verification == "verified" else None,
                    "flags": ["extortion"] if rng.random() < 0.04 else (["distress"] if rng.random() < 0.1 else []),
                    "outcome": rng.choices(["resolved", "callback", "escalated", "referred", "abandoned"],
                                           [30, 6, 2, 3, 2])[0],
                    "region": rng.choice(DEMO_REGIONS),
                }
                if rng.random() < 0.05:
                    record["scam_report"] = {"channel": rng.choice(["call", "text", "email"])}
                records.append(validate_call_record(record))
    return records
