"""The cost of the hub's authorship checks (issue 13) on a 500-item push.

Pushes batches of 500 new items (calls, attempts and callbacks, as an
operator's workstation makes them) into a hub on SQLite, in one run,
alternating two ways: with the checks of console.hub.push.refusal (policy
v2's "Who may attest what": author, role, workstation, time, size, not
before the workstation's enrolment, persons of a register the hub served,
with the lookups of console.hub.push.push_facts) and with them replaced by a
no-op (what main did before issue 13). The hub has held a register of
PERSONS persons; every item names one of them. Prints p50/p99 of the whole push
(POST /v1/push's computation, console.hub.push.push) each way, and of the
checks alone.

Usage: python tests/perf/bench_push_checks.py [--rounds 40] [--backend sqlite|postgresql]
(postgresql needs Debian's PostgreSQL binaries, as the tests do)
"""

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

ITEMS = 500
PERSONS = 200_000  # in the registers the hub has held
WORKSTATION = "ws-bench"
DEVICE = "machine-bench"
OPERATOR = "op-bench"


def batch(n: int) -> list[dict]:
    from tests.hub.bodies import attempt_item, call_item, callback_item

    items = []
    for i in range(ITEMS):
        if i % 3 == 0:
            item = call_item(f"c-{n}-{i}", workstation=WORKSTATION, operator=OPERATOR, person_id=f"P{i:05d}")
        elif i % 3 == 1:
            item = attempt_item(str(uuid.uuid4()), person_id=f"P{i:05d}", workstation=WORKSTATION)
            item["body"]["operator"] = OPERATOR
        else:
            item = callback_item(f"cb-{n}-{i}", workstation=WORKSTATION, booked_by=OPERATOR, person_ids=[f"P{i:05d}"])
        items.append(item)
    return items


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def open_hub(backend: str, folder: str):
    import os

    from console.hub.crypto import CREDENTIAL, CREDENTIALS_ENV, new_key_file
    from console.hub.storage import open_database

    (Path(folder) / "credentials").mkdir(mode=0o700)
    new_key_file(Path(folder) / "credentials" / CREDENTIAL)  # the hub's key, as systemd hands it over
    os.environ[CREDENTIALS_ENV] = str(Path(folder) / "credentials")

    if backend == "sqlite":
        return open_database(data=folder), None
    import glob

    from tests.hub.postgres import ThrowawayCluster  # noqa: PLC0415 (only for this backend)

    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))[-1]
    server = ThrowawayCluster(Path(initdb).parent)
    return open_database(database_url=server.start()), server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()

    from console.core import authorship
    from console.hub import push
    from console.hub.sessions import Session

    authorship.PUSHES_PER_MINUTE = 10**9  # the rate limit is not what is measured
    session = Session(OPERATOR, "operator", WORKSTATION, DEVICE)
    checked, looked_up = push.refusal, push.push_facts
    checks_alone: list[float] = []

    def timed(check):
        def timed_check(*args):
            start = time.perf_counter()
            answer = check(*args)
            checks_alone[-1] += time.perf_counter() - start
            return answer
        return timed_check

    timings = {"without checks": [], "with checks": []}
    with tempfile.TemporaryDirectory() as folder:
        db, server = open_hub(args.backend, folder)
        from console.hub.registers import keep_persons

        with db.write() as tx:
            tx.execute("INSERT INTO workstations (workstation_id, public_key, enrolled_at, created_at, created_by) "
                       "VALUES (?, 'key', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 'bench')",
                       [DEVICE])
            keep_persons(tx, 1, (f"P{n:05d}" for n in range(PERSONS)))
        try:
            n = 0
            for _ in range(args.rounds):
                for way in timings:
                    n += 1
                    items = batch(n)
                    with_checks = way == "with checks"
                    push.refusal = timed(checked) if with_checks else (lambda *args: None)
                    push.push_facts = timed(looked_up) if with_checks else (lambda *args: push.Facts())
                    checks_alone.append(0.0)
                    start = time.perf_counter()
                    reply = push.push(db, session, WORKSTATION, items, None)
                    timings[way].append(time.perf_counter() - start)
                    assert all(r["status"] == "stored" for r in reply["results"]), way
        finally:
            push.refusal, push.push_facts = checked, looked_up
            db.close()
            if server is not None:
                server.stop()
    checks = [t for t in checks_alone if t]
    print(f"{ITEMS}-item push on {args.backend}, {args.rounds} rounds each way (ms):")
    for way, values in timings.items():
        values = [v * 1000 for v in values]
        print(f"  {way:15} p50 {statistics.median(values):8.1f}   p99 {percentile(values, 0.99):8.1f}")
    checks = [v * 1000 for v in checks]
    print(f"  {'checks alone':15} p50 {statistics.median(checks):8.1f}   p99 {percentile(checks, 0.99):8.1f}")


if __name__ == "__main__":
    main()
