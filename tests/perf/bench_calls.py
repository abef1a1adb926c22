"""Call-log benchmark (issue: durable call log and statistics).

Prints, in one run:
- saves per second for single calls with full durability (one transaction and
  fsync each) and the p50/p99 save latency (goal: p99 under 20 ms);
- `stats` over N stored calls (default 1,000,000) beside a bare
  `SELECT count(*)` on the same table (goal: within 20x), for the whole
  history, one day, and a window cutting through days.

Usage: python tests/perf/bench_calls.py [--calls 1000000] [--singles 2000] [--work DIR]
"""

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.core.calls import validate_call_record  # noqa: E402
from console.store.cache import Cache  # noqa: E402
from console.store.calls import call_stats  # noqa: E402

REGIONS = ["Northland", "Auckland", "Waikato", "Bay of Plenty", "Wellington", "Canterbury", "Otago", None]
OUTCOMES = ["resolved"] * 6 + ["callback", "escalated", "referred", "abandoned"]
START = datetime(2026, 1, 5, 7, 0, tzinfo=timezone(timedelta(hours=13)))


def make_call(rng: random.Random, i: int, days: int) -> dict:
    started = START + timedelta(seconds=rng.randrange(days * 86400))
    verification = rng.choice(["verified", "verified", "not_verified", "not_attempted"])
    record = {
        "call_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(seconds=rng.randint(60, 1800))).isoformat(),
        "operator": f"op-{rng.randrange(60):02d}",
        "caller_type": rng.choice(["patient"] * 8 + ["representative", "practice", "media", "other"]),
        "person_id": f"P{i:07d}" if verification == "verified" else None,
        "verification": verification,
        "assurance": rng.choice(["possession", "knowledge"]) if verification == "verified" else None,
        "disclosed_status": rng.choice(["affected", "not_affected"]) if verification == "verified" else None,
        "guidance_delivered": [{"id": "opening", "version": "1"}, {"id": "closing", "version": "1"}],
        "topics": ["am-i-affected"],
        "outcome": rng.choice(OUTCOMES),
        "region": rng.choice(REGIONS),
        "notes": None,
    }
    return validate_call_record(record)


def store_history(cache, rng: random.Random, calls: int, days: int) -> None:
    """Fill the cache up to `calls` calls over `days` days, in batches of 10,000."""
    have = cache.db.execute("SELECT count(*) FROM calls").fetchone()[0]
    if have >= calls:
        return
    t = time.perf_counter()
    batch = []
    for i in range(have, calls):
        batch.append(make_call(rng, i, days))
        if len(batch) == 10_000:
            cache.log_calls(batch)
            batch = []
    if batch:
        cache.log_calls(batch)
    print(f"\nstored {calls - have:,} calls in batches of 10,000: {time.perf_counter() - t:.0f} s")


def timed(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-calls-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)

    print("## Single saves, full durability (WAL, synchronous=FULL, BEGIN IMMEDIATE, one COMMIT each)")
    cache = Cache.open(work / "singles.db", operator="bench")
    latencies = []
    started = time.perf_counter()
    for i in range(args.singles):
        record = make_call(rng, i, args.days)
        t = time.perf_counter()
        cache.log_calls([record])
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    cache.close()
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"{args.singles:,} saves: {args.singles / elapsed:,.0f} saves/s; p50 {statistics.median(latencies) * 1000:.2f} ms,"
          f" p99 {p99 * 1000:.2f} ms (goal p99 < 20 ms)")

    db_path = work / "history.db"
    cache = Cache.open(db_path, operator="bench")
    store_history(cache, rng, args.calls, args.days)
    db = cache.db
    count_t, total = timed(lambda: db.execute("SELECT count(*) FROM calls").fetchone()[0])
    print(f"\n## stats over {total:,} calls beside SELECT count(*) ({count_t * 1000:.2f} ms)")
    windows = {
        "whole history": (None, None),
        "one day (NZ)": (START + timedelta(days=10), START + timedelta(days=11)),
        "10 days, cutting through days": (START + timedelta(days=3, hours=5, minutes=17),
                                          START + timedelta(days=13, hours=2, minutes=41)),
        "one hour": (START + timedelta(days=20, hours=3), START + timedelta(days=20, hours=4)),
    }
    for label, (since, until) in windows.items():
        t, result = timed(lambda: call_stats(db, since, until))
        print(f"{label:>32}: {t * 1000:8.2f} ms, {t / count_t:5.1f}x count(*) (goal <= 20x); calls {result['calls']:,}, "
              f"median {result['handle_time_seconds']['median']}, p90 {result['handle_time_seconds']['p90']}")
    cache.close()
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
