"""Child process for test_crash.py: save calls in a loop, acknowledging each.

Usage: python crash_child.py CACHE_PATH SEED

Prints "ready" once the cache is open, then for every batch saved prints
"ack CALL_ID" per call, only after Cache.log_calls has returned (COMMIT done),
flushing each time. It runs until it is killed.
"""

import random
import sys
import uuid
from datetime import datetime, timedelta, timezone

from console.core.calls import validate_call_record
from console.store.cache import Cache


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    cache = Cache.open(path, operator=f"op-{seed % 3}")
    print("ready", flush=True)
    nz = timezone(timedelta(hours=13))
    previous: list[dict] = []
    while True:
        if previous and rng.random() < 0.1:
            batch = previous  # a re-send: must change nothing
        else:
            batch = []
            for _ in range(rng.choice((1, 1, 1, 2, 5))):
                started = datetime(2026, 1, 6, 9, tzinfo=nz) + timedelta(seconds=rng.randrange(4 * 86400))
                batch.append(validate_call_record({
                    "call_id": str(uuid.uuid4()),
                    "started_at": started.isoformat(),
                    "ended_at": (started + timedelta(seconds=rng.randrange(1, 900))).isoformat(),
                    "caller_type": "patient",
                    "verification": "not_attempted",
                    "outcome": rng.choice(("resolved", "escalated", "callback")),
                    "region": rng.choice(("Northland", None)),
                    "notes": "x" * rng.randrange(0, 4000),
                }, operator=cache.operator))
        cache.log_calls(batch)
        sys.stdout.write("".join(f"ack {r['call_id']}\n" for r in batch))
        sys.stdout.flush()
        previous = batch


if __name__ == "__main__":
    main()
