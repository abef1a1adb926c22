"""The cost of sealing personal data on the hub (issue 14): PostgreSQL with the
bodies sealed (console/hub/sealing.py) beside the same hub storing them in
clear, in one run.

Two hub databases in one throwaway PostgreSQL cluster (a schema each): one
as the hub runs, one whose sealer is swapped for one that stores clear text
(what the hub did before). Alternating between them, it pushes batches of 500
new items (calls with notes, attempts, callbacks: POST /v1/push's
computation, console.hub.push.push), then fills each with the same calls of
today and yesterday and times the supervisor's dashboard
(GET /v1/dashboard's computation, console.hub.reports.dashboard), which
opens every one of those calls' records. Goal: at most 1.3x plain.

Usage: python tests/perf/bench_hub_sealed.py [--rounds 20] [--calls 20000]
(needs Debian's PostgreSQL binaries, as the tests do)
"""

import argparse
import glob
import os
import statistics
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from time import perf_counter

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

ITEMS = 500
DASHBOARDS = 11
WORKSTATION = "ws-bench"
OPERATOR = "op-bench"
NOTE = "Caller said the bank rang about her card ending 4821; advised to hang up and ring the bank back. "


def batch(n: int, start=None) -> list[dict]:
    """ITEMS new items as an operator's workstation pushes them; with `start`, calls only, spread back from it."""
    from tests.hub.bodies import attempt_item, call_item, callback_item

    items = []
    for i in range(ITEMS):
        if start is not None:
            began = start - timedelta(seconds=(n * ITEMS + i) * 7 % 150_000)
            items.append(call_item(f"d-{n}-{i}", workstation=WORKSTATION, operator=OPERATOR, notes=NOTE * 3,
                                   started=local(began), ended=local(began + timedelta(seconds=300)),
                                   outcome=("resolved", "callback", "escalated")[i % 3]))
        elif i % 3 == 0:
            items.append(call_item(f"c-{n}-{i}", workstation=WORKSTATION, operator=OPERATOR, notes=NOTE * 3))
        elif i % 3 == 1:
            item = attempt_item(str(uuid.uuid4()), person_id=f"P{i:05d}", workstation=WORKSTATION)
            item["body"]["operator"] = OPERATOR
            items.append(item)
        else:
            items.append(callback_item(f"cb-{n}-{i}", workstation=WORKSTATION, booked_by=OPERATOR, notes=NOTE))
    return items


def local(instant) -> str:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo("Pacific/Auckland")).isoformat(timespec="seconds")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()

    import psycopg

    from console.core import authorship
    from console.core.timeutil import now
    from console.hub import push, reports, sealing
    from console.hub.crypto import HubKey
    from console.hub.sessions import Session
    from console.hub.storage import open_database
    from tests.hub.postgres import ThrowawayCluster, _with_search_path

    class ClearSealer(sealing.Sealer):
        """Stores text as it is: the hub before sealing."""

        def seal(self, table, row, column, text):
            return text

        def open(self, table, row, column, value):
            return value

    authorship.PUSHES_PER_MINUTE = 10**9  # the rate limit is not what is measured
    session = Session(OPERATOR, "operator", WORKSTATION)
    cluster = ThrowawayCluster(Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent)
    server = cluster.start()
    dbs = {}
    try:
        with psycopg.connect(server, autocommit=True) as conn:
            for way in ("plain", "sealed"):
                conn.execute(f"CREATE SCHEMA {way}")
        key = HubKey(os.urandom(32))
        for way in ("plain", "sealed"):
            dbs[way] = open_database(database_url=_with_search_path(server, way), key=key)
        dbs["plain"].sealer = ClearSealer(dbs["plain"].sealer.keys, dbs["plain"].sealer.digest_key)
        pushes = {way: [] for way in dbs}
        n = 0
        for _ in range(args.rounds):
            n += 1
            items = batch(n)
            for way, db in sorted(dbs.items(), reverse=n % 2 == 0):  # each first every other round
                t = perf_counter()
                reply = push.push(db, session, WORKSTATION, items, None)
                pushes[way].append(perf_counter() - t)
                assert all(r["status"] == "stored" for r in reply["results"]), way
        start = now()
        for n in range(args.calls // ITEMS):
            items = batch(n, start)
            for db in dbs.values():
                push.push(db, session, WORKSTATION, items, None)
        for db in dbs.values():
            with db.write() as tx:
                tx.conn.execute("ANALYZE")
        dashboards = {way: [] for way in dbs}
        for n in range(DASHBOARDS):
            for way, db in sorted(dbs.items(), reverse=n % 2 == 0):
                t = perf_counter()
                figures = reports.dashboard(db, at=start)
                dashboards[way].append(perf_counter() - t)
        with dbs["sealed"].read() as tx:
            stored = tx.value("SELECT record FROM calls LIMIT 1")
        assert stored.startswith("s1:"), "the sealed hub stored clear text"
    finally:
        for db in dbs.values():
            db.close()
        cluster.stop()
    print(f"hub on PostgreSQL, sealed bodies vs clear, same run ({args.rounds} pushes each, then "
          f"{args.calls:,} calls over today and yesterday; today's: {figures['calls']:,})")
    print(f"{ITEMS}-item push (ms)          p50 plain {statistics.median(pushes['plain']) * 1000:7.1f}   "
          f"sealed {statistics.median(pushes['sealed']) * 1000:7.1f}   "
          f"ratio {statistics.median(pushes['sealed']) / statistics.median(pushes['plain']):5.2f}x   (goal <= 1.3x)")
    print(f"{'':27} p99 plain {percentile(pushes['plain'], 0.99) * 1000:7.1f}   "
          f"sealed {percentile(pushes['sealed'], 0.99) * 1000:7.1f}")
    print(f"dashboard (ms, median of {DASHBOARDS})  plain {statistics.median(dashboards['plain']) * 1000:7.1f}   "
          f"sealed {statistics.median(dashboards['sealed']) * 1000:7.1f}   "
          f"ratio {statistics.median(dashboards['sealed']) / statistics.median(dashboards['plain']):5.2f}x   "
          "(goal <= 1.3x)")
    print(f"{'':27} best plain {min(dashboards['plain']) * 1000:7.1f}   sealed {min(dashboards['sealed']) * 1000:7.1f}   "
          f"ratio {min(dashboards['sealed']) / min(dashboards['plain']):5.2f}x")


if __name__ == "__main__":
    main()
