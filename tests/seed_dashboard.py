"""A helpline's day for the dashboard tests: calls, callbacks, lockouts and
escalations in a cache holding the sample register, and the figures those
should give, computed straight from what was seeded (the records, the
register's CSV), never from the store's tables."""

import csv
import random
import statistics
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from console.core.calls import validate_call_record
from console.core.policy import CallerClaim

NZ = ZoneInfo("Pacific/Auckland")
DAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 14, 20, tzinfo=NZ)  # "now" for the seeded day
PERSONS = ["S0001", "S0002", "S0003", "S0004", "S0008", "GONE-1"]  # GONE-1: no longer in the register
REGIONS = ["Northland", "Auckland", "Waikato", "Canterbury", None]
OPERATORS = ["op-1", "op-2", "op-Ngā"]
# a name match and two strong factors in a valid form that do not match: a check that could verify, insufficient
SMITH_1979 = CallerClaim("Smith", "Jane", date(1979, 4, 1), phone="021 999 8888", email="not-jane@example.com")
POTAE = CallerClaim("Pōtae", "Wiremu", date(1944, 12, 24))


def random_record(rng: random.Random, started: datetime) -> dict:
    verification = rng.choice(["verified", "verified", "not_verified", "not_attempted"])
    flags = rng.sample(["distress", "extortion", "media", "complaint"], rng.choice([0, 0, 1, 2]))
    record = {
        "call_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "started_at": started.astimezone(rng.choice([NZ, timezone.utc, timezone(timedelta(hours=12))])).isoformat(),
        "ended_at": (started + timedelta(seconds=rng.choice([0, 45, 60, 200, 600, 601, rng.randrange(3600)]))).isoformat(),
        "operator": rng.choice(OPERATORS),
        "caller_type": rng.choice(["patient", "patient", "representative", "practice", "media", "other"]),
        "person_id": rng.choice(PERSONS) if verification == "verified" else None,
        "verification": verification,
        "assurance": rng.choice(["possession", "knowledge"]) if verification == "verified" else None,
        "disclosed_status": rng.choice(["affected", "not_affected"]) if verification == "verified" else None,
        "guidance_delivered": [{"id": "opening", "version": "1"}],
        "topics": [],
        "flags": flags,
        "outcome": rng.choice(["resolved", "resolved", "callback", "escalated", "referred", "abandoned"]),
        "region": rng.choice(REGIONS),
        "notes": None,
    }
    if rng.random() < 0.15:
        record["scam_report"] = {"channel": "text", "contact": "+64 21 000 0000", "claimed_identity": "the clinic",
                                 "asked_for": "bank details"}
    return validate_call_record(record)


def seed_calls(rng: random.Random, day: date = DAY, n: int = 400) -> list[dict]:
    """Calls from a week before `day` to the day after it, and some exactly at its midnights."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=NZ).astimezone(timezone.utc)  # UTC: no clock gaps
    moments = [midnight + timedelta(seconds=rng.randrange(-8 * 86400, 2 * 86400)) for _ in range(n)]
    this_hour = AT.replace(minute=0).astimezone(timezone.utc)
    moments += [midnight, midnight - timedelta(microseconds=1), midnight + timedelta(days=1),
                this_hour, this_hour - timedelta(seconds=1)]
    moments += [midnight + timedelta(seconds=rng.randrange(86400)) for _ in range(n)]  # a busy day
    return [random_record(rng, moment) for moment in moments]


def seed(cache, rng: random.Random | None = None, at: datetime = AT) -> dict:
    """Seed the cache (holding the sample register); returns what was seeded."""
    rng = rng or random.Random(7)
    records = seed_calls(rng)
    cache.log_calls(records)
    # callbacks: two overdue, one due but not yet overdue, one later, one closed
    booked = [cache.book_callback(POTAE, due_at=at + delta)
              for delta in (-timedelta(hours=3), -timedelta(minutes=31), -timedelta(minutes=5), timedelta(hours=2))]
    closed = cache.book_callback(POTAE, due_at=at - timedelta(hours=5))
    cache.complete_callback(closed["callback_id"], "answered")
    # a lockout now (three insufficient checks today), and one that has run out (two days ago)
    for minutes in (50, 40, 30):
        cache.verify_caller(SMITH_1979, at=at - timedelta(minutes=minutes))
    for hours in (50, 49, 48):
        cache.verify_caller(CallerClaim("Ngāti-Rēhia", "Hine", date(1968, 2, 29)), at=at - timedelta(hours=hours))
    # one escalation of the day already taken up
    escalated = [r for r in records if r["outcome"] == "escalated" and local_day(r) == DAY]
    cache.acknowledge_escalation(escalated[0]["call_id"], note="rang the operator")
    return {"records": records, "callbacks": booked, "acknowledged": {escalated[0]["call_id"]},
            "locked": {"S0006"}, "at": at}


def local_day(record) -> date:
    return datetime.fromisoformat(record["started_at"]).astimezone(NZ).date()


def practices_of_persons(register: Path) -> dict[str, str]:
    with open(register / "persons.csv", encoding="utf-8") as f:
        return {row["person_id"]: row["practice_code"] for row in csv.DictReader(f) if row["practice_code"]}


def expected_figures(seeded: dict, register: Path, day: date = DAY) -> dict:
    """The dashboard's figures of `day`, from the seeded records and the register's CSV."""
    at = seeded["at"]
    practice_of = practices_of_persons(register)
    mine = [r for r in seeded["records"] if local_day(r) == day]
    seconds = [(datetime.fromisoformat(r["ended_at"]) - datetime.fromisoformat(r["started_at"])).total_seconds()
               for r in mine]

    def count(values):
        values = [v for v in values if v]
        return {v: values.count(v) for v in set(values)}

    hour = at.astimezone(NZ).replace(minute=0, second=0, microsecond=0)
    yesterday = [r for r in seeded["records"] if local_day(r) == day - timedelta(days=1)]
    week = {day - timedelta(days=d) for d in range(7)}
    return {
        "calls": len(mine),
        "calls_this_hour": sum(hour <= datetime.fromisoformat(r["started_at"]) < hour + timedelta(hours=1) for r in mine),
        "by_outcome": count(r["outcome"] for r in mine),
        "by_caller_type": count(r["caller_type"] for r in mine),
        "by_region": count(r["region"] for r in mine),
        "by_operator": count(r["operator"] for r in mine),
        "by_practice": count(practice_of.get(r["person_id"]) for r in mine),
        "verification": {v: sum(r["verification"] == v for r in mine) for v in ("verified", "not_verified", "not_attempted")},
        "verified_by": {a: sum(r["assurance"] == a for r in mine) for a in ("possession", "knowledge")},
        "disclosed": {d: sum(r["disclosed_status"] == d for r in mine) for d in ("affected", "not_affected")},
        "handle_time_seconds": {"median": statistics.median(seconds),
                                "p90": statistics.quantiles(seconds, n=10, method="inclusive")[8]},
        "escalations": sum(r["outcome"] == "escalated" for r in mine),
        "escalations_awaiting": sum(r["outcome"] == "escalated" and local_day(r) in week
                                    and r["call_id"] not in seeded["acknowledged"] for r in seeded["records"]),
        "extortion_reports": sum("extortion" in r["flags"] for r in mine),
        "scam_reports": sum(r["scam_report"] is not None for r in mine),
        "callbacks": {"open": 4, "overdue": 2},
        "lockouts": len(seeded["locked"]),
        "calls_per_hour": {
            "today": [sum(datetime.fromisoformat(r["started_at"]).astimezone(NZ).hour == h for r in mine) for h in range(24)],
            "yesterday": [sum(datetime.fromisoformat(r["started_at"]).astimezone(NZ).hour == h for r in yesterday)
                          for h in range(24)],
        },
        "day": day.isoformat(),
    }
