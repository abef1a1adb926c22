"""dashboard_figures against a direct reading of its definitions.

The function is fed plain call rows through hour_tallies, as the hub feeds
it; every expected value is computed here from the rows, by the plainest
means (statistics.median, a date comparison in the helpline's zone), never
by the module's own helpers.
"""

import random
import statistics
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from console.core.dashboard import HANDLE_BUCKETS, dashboard_figures, day_bounds, hour_tallies

NZ = ZoneInfo("Pacific/Auckland")
REGIONS = ["Auckland", "Northland", "Waikato", "Otago", None]
OUTCOMES = ["resolved", "callback", "escalated", "referred", "abandoned"]
CALLER_TYPES = ["patient", "representative", "practice", "media", "other"]


def random_call(rng, around: datetime) -> dict:
    # arithmetic on UTC instants: on local times it would make clock times that never happen
    started = around.astimezone(timezone.utc) + timedelta(seconds=rng.randrange(-30 * 3600, 30 * 3600))
    verification = rng.choice(["verified", "not_verified", "not_attempted"])
    zone = rng.choice([NZ, timezone.utc, timezone(timedelta(hours=-5))])
    return {
        "started_at": started.astimezone(zone),
        "handle_seconds": rng.choice([0, 30, 60, 60, 119.5, 300, 301, 899, 1800, rng.randrange(4000)]),
        "operator": rng.choice(["op-1", "op-2", "op-Ngā"]),
        "caller_type": rng.choice(CALLER_TYPES),
        "verification": verification,
        "assurance": rng.choice(["possession", "knowledge"]) if verification == "verified" else None,
        "disclosed_status": rng.choice(["affected", "not_affected"]) if verification == "verified" else None,
        "outcome": rng.choice(OUTCOMES),
        "region": rng.choice(REGIONS),
        "flags": rng.sample(["distress", "extortion", "media", "complaint"], rng.randrange(3)),
        "scam_report": rng.random() < 0.2,
        "practice": rng.choice(["NP01", "AP07", None]) if verification == "verified" else None,
    }


def figures_of(calls, yesterday_hours=(), *, day, now, callbacks=None, lockouts=0, awaiting=0, in_progress=None):
    """The function under test, fed as the hub feeds it: tallies made from plain rows."""
    return dashboard_figures(*hour_tallies(calls, day), yesterday_hours, day=day, now=now,
                             callbacks=callbacks or {"open": 0, "overdue": 0}, lockouts=lockouts,
                             escalations_awaiting=awaiting, in_progress=in_progress)


def expected(calls, yesterday_hours, callbacks, lockouts, awaiting, day, now):
    mine = [c for c in calls if c["started_at"].astimezone(NZ).date() == day]
    seconds = [c["handle_seconds"] for c in mine]

    def count(key):
        values = [c[key] for c in mine if c[key]]
        return {v: values.count(v) for v in set(values)}

    now_nz = now.astimezone(NZ)
    same_hour = [c for c in mine if c["started_at"].astimezone(NZ).replace(minute=0, second=0, microsecond=0)
                 .astimezone(timezone.utc) == now_nz.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)]
    buckets = [lower for lower, _ in HANDLE_BUCKETS]
    return {
        "calls": len(mine),
        "by_outcome": count("outcome"),
        "by_caller_type": count("caller_type"),
        "by_region": count("region"),
        "by_operator": count("operator"),
        "by_practice": count("practice"),
        "verification": {v: sum(c["verification"] == v for c in mine) for v in ("verified", "not_verified", "not_attempted")},
        "verified_by": {a: sum(c["assurance"] == a for c in mine) for a in ("possession", "knowledge")},
        "disclosed": {d: sum(c["disclosed_status"] == d for c in mine) for d in ("affected", "not_affected")},
        "handle_time_seconds": {
            "median": statistics.median(seconds) if seconds else None,
            "p90": statistics.quantiles(seconds, n=10, method="inclusive")[8] if len(seconds) >= 2 else None,
        },
        "escalations": sum(c["outcome"] == "escalated" for c in mine),
        "escalations_awaiting": awaiting,
        "extortion_reports": sum("extortion" in c["flags"] for c in mine),
        "scam_reports": sum(bool(c["scam_report"]) for c in mine),
        "callbacks": callbacks,
        "lockouts": lockouts,
        "in_progress": 1,
        "calls_this_hour": len(same_hour) if now_nz.date() == day else None,
        "calls_per_hour": {
            "today": [sum(c["started_at"].astimezone(NZ).hour == h for c in mine) for h in range(24)],
            "yesterday": [sum(n for start, n in yesterday_hours if start.astimezone(NZ).hour == h) for h in range(24)],
        },
        "handle_time_histogram": [
            sum(1 for s in seconds if lower <= s < (buckets[i + 1] if i + 1 < len(buckets) else float("inf")))
            for i, lower in enumerate(buckets)
        ],
        "day": day.isoformat(),
    }


DAYS = [date(2026, 1, 6), date(2026, 4, 5), date(2026, 9, 27)]  # ordinary, 25-hour and 23-hour days


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("seed", range(4))
def test_every_figure_equals_its_definition(day, seed):
    rng = random.Random(seed)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=NZ)
    calls = [random_call(rng, noon) for _ in range(rng.choice([0, 1, 2, 300]))]
    yesterday_hours = [(datetime(day.year, day.month, day.day, tzinfo=NZ).astimezone(timezone.utc) - timedelta(hours=h),
                        rng.randrange(50)) for h in range(1, 24)]
    callbacks = {"open": rng.randrange(6, 9), "overdue": rng.randrange(6)}
    lockouts, awaiting = rng.randrange(4), rng.randrange(3)
    now = noon + timedelta(minutes=rng.randrange(-600, 600))
    figures = figures_of(calls, yesterday_hours, day=day, now=now, callbacks=callbacks, lockouts=lockouts,
                         awaiting=awaiting, in_progress=1)
    want = expected(calls, yesterday_hours, callbacks, lockouts, awaiting, day, now)
    histogram = want.pop("handle_time_histogram")
    assert [bar["calls"] for bar in figures["handle_time_histogram"]] == histogram
    for key, value in want.items():
        assert figures[key] == value, key


def test_day_bounds_follow_daylight_saving():
    hours = {day: (day_bounds(day)[1] - day_bounds(day)[0]) / timedelta(hours=1) for day in DAYS}
    assert hours == {date(2026, 1, 6): 24, date(2026, 4, 5): 25, date(2026, 9, 27): 23}
    start, _ = day_bounds(date(2026, 1, 6))
    assert start == datetime(2026, 1, 5, 11, tzinfo=timezone.utc)


def test_this_hour_in_the_repeated_hour_is_the_second_one():
    # 5 April 2026: 02:00-03:00 NZDT, then 02:00-03:00 NZST again
    first = datetime(2026, 4, 4, 13, 30, tzinfo=timezone.utc)  # 02:30 NZDT
    second = datetime(2026, 4, 4, 14, 30, tzinfo=timezone.utc)  # 02:30 NZST
    calls = [dict(random_call(random.Random(1), first), started_at=moment) for moment in (first, second, second)]
    figures = figures_of(calls, day=date(2026, 4, 5), now=second + timedelta(minutes=10))
    assert figures["calls_this_hour"] == 2
    assert figures["calls_per_hour"]["today"][2] == 3  # one bar for the clock hour that came twice


def test_northland_first_then_busiest():
    rng = random.Random(3)
    noon = datetime(2026, 1, 6, 12, tzinfo=NZ)
    calls = [dict(random_call(rng, noon), started_at=noon, region=region)
             for region in ["Auckland"] * 5 + ["Waikato"] * 3 + ["Northland"] + ["Otago"] * 3]
    figures = figures_of(calls, day=date(2026, 1, 6), now=noon)
    assert list(figures["by_region"]) == ["Northland", "Auckland", "Otago", "Waikato"]


def test_another_day_has_no_this_hour():
    figures = figures_of([], day=date(2026, 1, 5), now=datetime(2026, 1, 6, 9, tzinfo=NZ))
    assert figures["calls_this_hour"] is None and figures["calls"] == 0
    assert figures["handle_time_seconds"] == {"median": None, "p90": None}
