"""Dashboard benchmark (issue 7): a refresh over a 1,000,000-call history.

Prints, in one run, on the encrypted local cache:
- a bare `SELECT count(*)` on the calls table (the baseline);
- a dashboard refresh as the Supervisor view runs it (the day's figures and
  the work queues), for a day in the middle of the history, beside the
  baseline (goal: within 20x).

The history is bench_calls' (the same calls, 30 days); a few hundred
callbacks, lockouts and escalations are added so the queues are not empty.
Run it inside a keystore session (README, "Running the command line headless").

Usage: python tests/perf/bench_dashboard.py [--calls 1000000] [--work DIR]
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_calls import START, store_history, timed  # noqa: E402
from console.core.dashboard import helpline_day  # noqa: E402
from console.store.cache import Cache  # noqa: E402


def refresh(cache, day: date, at):
    """What one refresh of the Supervisor view reads."""
    return cache.dashboard(day, at=at), cache.supervisor_queues(at=at)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    cache = Cache.open(work / "history.db", operator="bench")
    if cache.register_version is None:  # callbacks need the numbers on file of the sample register
        cache.import_register(Path(__file__).resolve().parents[1] / "data" / "register-sample")
    store_history(cache, rng, args.calls, args.days)
    at = START + timedelta(days=args.days // 2, hours=7, minutes=13)
    day = helpline_day(at)
    if not cache.db.execute("SELECT count(*) FROM callbacks").fetchone()[0]:
        from console.core.policy import CallerClaim
        from console.store.attempts import record_failed_attempts
        from console.store.connection import write_transaction

        for i in range(300):
            cache.book_callback(CallerClaim("Pōtae", "Wiremu", date(1944, 12, 24)), due_at=at - timedelta(minutes=i))
        with write_transaction(cache.db):
            for minutes in range(3):
                record_failed_attempts(cache.db, [f"P{pid:07d}" for pid in range(200)], at - timedelta(minutes=minutes),
                                       operator="bench", workstation=cache.workstation)
    db = cache.db
    count_t, total = timed(lambda: db.execute("SELECT count(*) FROM calls").fetchone()[0])
    first = time.perf_counter()
    refresh(cache, day, at)
    first = time.perf_counter() - first
    refresh_t, (figures, queues) = timed(lambda: refresh(cache, day, at))
    print(f"## Dashboard refresh over {total:,} calls, day {day} ({figures['calls']:,} calls that day)")
    print(f"bare SELECT count(*) on calls: {count_t * 1000:.1f} ms")
    print(f"dashboard refresh (figures + queues): {refresh_t * 1000:.1f} ms = {refresh_t / count_t:.1f}x count(*) "
          f"(goal <= 20x); first refresh {first * 1000:.1f} ms")
    print(f"  escalations awaiting {figures['escalations_awaiting']:,}, open callbacks "
          f"{len(queues['open_callbacks'])}, locked {len(queues['locked'])}, "
          f"median {figures['handle_time_seconds']['median']}, p90 {figures['handle_time_seconds']['p90']}")
    cache.close()


if __name__ == "__main__":
    main()
