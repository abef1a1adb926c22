"""`call_stats` (day tallies + edge rows) against a direct reading of cli.md.

The expected values here are computed from the records the test generated,
straight from cli.md's definitions, never from the store's tables.
"""

import json
import random
import statistics
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from console.core.calls import validate_call_record
from console.store.cache import Cache
from console.store.calls import call_stats

UTC = timezone.utc
OFFSETS = [timezone(timedelta(hours=13)), timezone(timedelta(hours=12)), UTC, "Z",
           timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
REGIONS = ["Northland", "Auckland", "Waikato", "Otago", "Te Tai Tokerau", None, None]
OPERATORS = ["op-1", "op-2", "op-3", "op-Ngā"]
OUTCOMES = ["resolved", "callback", "escalated", "referred", "abandoned"]
CALLER_TYPES = ["patient", "representative", "practice", "media", "other"]
BASE = datetime(2026, 1, 4, 0, 0, tzinfo=UTC)
SPAN_DAYS = 6


def written(instant: datetime, rng: random.Random) -> str:
    zone = rng.choice(OFFSETS)
    if zone == "Z":
        return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return instant.astimezone(zone).isoformat()


def random_instant(rng: random.Random) -> datetime:
    kind = rng.random()
    if kind < 0.05:  # exactly at a UTC midnight
        return BASE + timedelta(days=rng.randrange(SPAN_DAYS))
    if kind < 0.10:  # exactly at an NZ midnight
        return BASE + timedelta(days=rng.randrange(SPAN_DAYS), hours=11)
    micro = rng.randrange(1_000_000) if rng.random() < 0.3 else 0
    return BASE + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400), microseconds=micro)


def random_call(rng: random.Random) -> dict:
    started = random_instant(rng)
    handle = rng.choice([
        timedelta(0),
        timedelta(seconds=rng.randrange(1, 3600)),
        timedelta(seconds=rng.choice([60, 120, 300, 450])),  # many duplicates
        timedelta(seconds=rng.randrange(3600), microseconds=rng.randrange(1_000_000)),
    ])
    verification = rng.choice(["verified", "not_verified", "not_attempted"])
    disclosed = rng.choice(["affected", "not_affected", None]) if verification == "verified" else None
    return {
        "call_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "started_at": written(started, rng),
        "ended_at": written(started + handle, rng),
        "operator": rng.choice(OPERATORS),
        "caller_type": rng.choice(CALLER_TYPES),
        "verification": verification,
        "assurance": rng.choice(["possession", "knowledge", None]) if verification == "verified" else None,
        "disclosed_status": disclosed,
        "outcome": rng.choice(OUTCOMES),
        "region": rng.choice(REGIONS),
    }


def expected_stats(records, since, until) -> dict:
    """cli.md's `stats`, computed directly from the records."""
    chosen = []
    for r in records:
        start = datetime.fromisoformat(r["started_at"])
        if since is not None and start < since:
            continue
        if until is not None and start >= until:
            continue
        chosen.append(r)
    handle = [(datetime.fromisoformat(r["ended_at"]) - datetime.fromisoformat(r["started_at"])).total_seconds()
              for r in chosen]
    if not handle:
        summary = {"median": None, "p90": None}
    elif len(handle) == 1:
        summary = {"median": statistics.median(handle), "p90": None}
    else:
        summary = {"median": statistics.median(handle),
                   "p90": statistics.quantiles(handle, n=10, method="inclusive")[8]}
    return {
        "calls": len(chosen),
        "by_outcome": dict(Counter(r["outcome"] for r in chosen)),
        "by_caller_type": dict(Counter(r["caller_type"] for r in chosen)),
        "by_region": dict(Counter(r["region"] for r in chosen if r["region"] is not None)),
        "by_operator": dict(Counter(r["operator"] for r in chosen)),
        "verification": {k: sum(r["verification"] == k for r in chosen)
                         for k in ("verified", "not_verified", "not_attempted")},
        "disclosed": {k: sum(r["disclosed_status"] == k for r in chosen) for k in ("affected", "not_affected")},
        "handle_time_seconds": summary,
        "escalations": sum(r["outcome"] == "escalated" for r in chosen),
    }


def as_json(obj):
    return json.loads(json.dumps(obj))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, module_keystore):
    rng = random.Random(20260106)
    records = [random_call(rng) for _ in range(3000)]
    # a few calls share one exact start instant, written differently
    same = BASE + timedelta(days=2, hours=3, minutes=7)
    for i in range(5):
        r = random_call(rng)
        r["started_at"] = written(same, rng)
        r["ended_at"] = written(same + timedelta(seconds=i * 10), rng)
        records.append(r)
    cache = Cache.open(tmp_path_factory.mktemp("stats") / "cache.db", operator="op-stats")
    validated = [validate_call_record(r) for r in records]
    for i in range(0, len(validated), 250):
        assert all(cache.log_calls(validated[i:i + 250]))
    yield cache, records, rng, same
    cache.close()


def check(cache, records, since, until):
    got = as_json(call_stats(cache.db, since, until))
    want = as_json(expected_stats(records, since, until))
    assert got == want, (since, until)
    assert list(got) == ["calls", "by_outcome", "by_caller_type", "by_region", "by_operator", "verification",
                         "disclosed", "handle_time_seconds", "escalations"]
    return got


def test_everything(loaded):
    cache, records, _, _ = loaded
    got = check(cache, records, None, None)
    assert got["calls"] == len(records)
    assert got["by_region"] and None not in got["by_region"] and "null" not in got["by_region"]
    assert got["handle_time_seconds"]["p90"] is not None


def test_whole_utc_days_and_nz_days(loaded):
    cache, records, _, _ = loaded
    for day in range(-1, SPAN_DAYS + 1):
        start = BASE + timedelta(days=day)
        check(cache, records, start, start + timedelta(days=1))
        # the NZ calendar day (NZDT, +13:00) that begins 13 hours before that UTC day
        local = (start - timedelta(hours=13)).astimezone(timezone(timedelta(hours=13)))
        assert local.hour == 0
        check(cache, records, local, local + timedelta(days=1))
        check(cache, records, start, start + timedelta(days=2))


def test_open_ended_windows(loaded):
    cache, records, rng, _ = loaded
    for _ in range(25):
        t = random_instant(rng).astimezone(rng.choice(OFFSETS[:3] + OFFSETS[4:]))
        check(cache, records, t, None)
        check(cache, records, None, t)
    check(cache, records, BASE - timedelta(days=30), None)
    check(cache, records, None, BASE + timedelta(days=30))


def test_empty_windows(loaded):
    cache, records, rng, same = loaded
    for t in (same, BASE, BASE + timedelta(days=2, seconds=1)):
        got = check(cache, records, t, t)
        assert got["calls"] == 0 and got["handle_time_seconds"] == {"median": None, "p90": None}
    # before and after everything
    assert check(cache, records, BASE - timedelta(days=9), BASE - timedelta(days=8))["calls"] == 0
    assert check(cache, records, BASE + timedelta(days=90), BASE + timedelta(days=91))["calls"] == 0
    # at the ends of the calendar
    assert check(cache, records, datetime(9999, 12, 31, 23, tzinfo=UTC), None)["calls"] == 0
    assert check(cache, records, None, datetime(1, 1, 1, 1, tzinfo=UTC))["calls"] == 0
    assert check(cache, records, datetime(1, 1, 1, 1, tzinfo=UTC),
                 datetime(9999, 12, 31, 23, tzinfo=UTC))["calls"] == len(records)
    # backwards
    assert as_json(call_stats(cache.db, BASE + timedelta(days=3), BASE + timedelta(days=1)))["calls"] == 0


def test_boundaries_are_half_open(loaded):
    cache, records, _, same = loaded
    nz = timezone(timedelta(hours=13))
    at = check(cache, records, same.astimezone(nz), same + timedelta(microseconds=1))
    assert at["calls"] == 5
    assert at["handle_time_seconds"] == {"median": 20.0, "p90": 36.0}
    assert check(cache, records, same - timedelta(hours=1), same)["calls"] == expected_stats(
        records, same - timedelta(hours=1), same)["calls"]
    # every call's own start, as since and as until
    for r in records[:60]:
        t = datetime.fromisoformat(r["started_at"])
        check(cache, records, t, t + timedelta(hours=5))
        check(cache, records, t - timedelta(hours=30), t)


def test_many_random_windows(loaded):
    cache, records, rng, _ = loaded
    for _ in range(250):
        a, b = sorted([random_instant(rng), random_instant(rng)])
        if rng.random() < 0.3:  # stretch outside the data
            a -= timedelta(days=rng.randrange(3))
            b += timedelta(days=rng.randrange(3))
        zone = rng.choice([z for z in OFFSETS if z != "Z"])
        check(cache, records, a.astimezone(zone), b.astimezone(rng.choice([z for z in OFFSETS if z != "Z"])))


def test_single_call_windows(loaded):
    cache, records, _, _ = loaded
    ordered = sorted(records, key=lambda r: datetime.fromisoformat(r["started_at"]))
    starts = [datetime.fromisoformat(r["started_at"]) for r in ordered]
    found = 0
    for i in range(1, len(ordered) - 1):
        if starts[i - 1] < starts[i] < starts[i + 1]:
            got = check(cache, records, starts[i], starts[i + 1])
            assert got["calls"] == 1 and got["handle_time_seconds"]["p90"] is None
            assert got["handle_time_seconds"]["median"] is not None
            found += 1
            if found == 10:
                break
    assert found == 10


def test_empty_cache(cache):
    empty = as_json(call_stats(cache.db))
    assert empty == as_json(expected_stats([], None, None))
    assert as_json(call_stats(cache.db, BASE, BASE + timedelta(days=1))) == empty
