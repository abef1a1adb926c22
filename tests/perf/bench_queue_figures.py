"""The queue's figures over a 50,000-call day (issue 16), on each hub backend.

Fills a hub database with a day of inbound calls (their events in cti_events,
their rows in cti_calls and the queue's sums in cti_tallies and
cti_answer_waits, as POST /v1/cti/{token} leaves them), then prints
GET /v1/queue's computation (console.hub.telephony.figures_for_day) beside a
bare `SELECT count(*)` of that day's calls in the same run (goal: at most 2x),
and how long the hub takes to store one event (the CTI endpoint's work,
without HTTP; goal: milliseconds).

Usage: python tests/perf/bench_queue_figures.py [--calls 50000] [--backend sqlite|postgresql|both] [--today]
(PostgreSQL needs Debian's binaries, as the tests do)
"""

import argparse
import glob
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DAY = date(2026, 3, 3)
AGENTS = [f"agent-{n}" for n in range(40)]  # the PBX's names of 40 operators' extensions


def day_of_calls(calls: int, day: date, seed: int = 16):
    """(cti_events rows, cti_calls rows) of `calls` inbound calls on `day`: 75% answered (by one of AGENTS),
    20% abandoned, 5% busy."""
    from console.core.telephony import CallTrace, number_key, summarise
    from console.core.timeutil import HELPLINE_ZONE, utc_text

    rng = random.Random(seed)
    start = datetime.combine(day, datetime.min.time(), HELPLINE_ZONE)
    events, rows = [], []
    for n in range(calls):
        rang = start + timedelta(seconds=rng.uniform(0, 86_000))
        number = f"+6421{rng.randrange(1_000_000, 9_999_999)}"
        queue = rng.choice(["helpline", "helpline", "youth", "te reo"])
        call = CallTrace(f"bench-{n}", "in", number, queue, rang)
        kind = rng.random()
        if kind < 0.75:
            call.answer_at = rang + timedelta(seconds=rng.expovariate(1 / 40))
            call.hangup_at = call.answer_at + timedelta(seconds=rng.uniform(60, 900))
            call.cause = "normalClearing"
            call.users = (rng.choice(AGENTS),)
        else:
            call.hangup_at = rang + timedelta(seconds=rng.expovariate(1 / 90))
            call.cause = "cancel" if kind < 0.95 else "busy"
        for event, at in (("newCall", call.new_at), ("answer", call.answer_at), ("hangup", call.hangup_at)):
            if at is None:
                continue
            body = {"event": event, "callId": call.call_id, "from": number, "to": "0800111222", "direction": "in",
                    "queue": queue, "at": at.isoformat(), **({"cause": call.cause} if event == "hangup" else {})}
            events.append(("bench", call.call_id, event, utc_text(at), utc_text(at), json.dumps(body)))
        row = summarise(call)
        rows.append(("bench", call.call_id, "in", number, number_key(number), queue, json.dumps(call.users),
                     *(utc_text(t) if t else None for t in (call.new_at, call.answer_at, call.hangup_at)),
                     call.cause, row["day"], row["hour"], row["outcome"], row["wait_seconds"],
                     row["handle_seconds"]))
    return events, rows


def timed(fn, runs=7):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def bench(db, calls: int, day: date) -> None:
    from console.hub import telephony

    from console.hub.sealing import row_id

    t = time.perf_counter()
    events, rows = day_of_calls(calls, day)
    # sealed as the hub stores them (console/hub/sealing.py): event bodies and numbers, numbers' keyed digests
    events = [(*e[:5], db.sealer.seal("cti_events", row_id(*e[:3]), "body", e[5])) for e in events]
    rows = [(*r[:3], db.sealer.seal("cti_calls", row_id(*r[:2]), "number", r[3]), db.sealer.digest(r[4]), *r[5:])
            for r in rows]
    with db.write() as tx:
        cursor = tx.conn.cursor()
        mark = "%s" if db.backend == "postgresql" else "?"
        cursor.executemany("INSERT INTO cti_events (pbx, call_id, event, at, received_at, body) "
                           f"VALUES ({', '.join([mark] * 6)})", events)
        cursor.executemany(
            "INSERT INTO cti_calls (pbx, call_id, direction, number, number_key, queue, users, new_at, answer_at, "
            f"hangup_at, cause, day, hour, outcome, wait_seconds, handle_seconds) VALUES ({', '.join([mark] * 16)})",
            rows)
    print(f"  filled {calls:,} calls ({len(events):,} events) in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    with db.write() as tx:  # the queue's sums, as the events would have kept them (and migration m012 fills them)
        telephony.rebuild_tallies(tx)
        for agent in AGENTS:
            tx.execute("INSERT INTO operator_extensions (extension, operator_id, mapped_at) VALUES (?, ?, ?)",
                       [agent, f"op-{agent}", "2026-03-01T00:00:00+00:00"])
    print(f"  the queue's sums counted from the calls' rows (as migration m012 does) in {time.perf_counter() - t:.1f} s")
    with db.write() as tx:
        tx.execute("ANALYZE")

    def count():
        with db.read() as tx:
            return tx.value("SELECT count(*) FROM cti_calls WHERE day = ?", [day.isoformat()])

    baseline, counted = timed(count, runs=21)
    figures_time, figures = timed(lambda: telephony.figures_for_day(db, day), runs=21)
    longest_time, longest = timed(lambda: telephony.figures_for_day(db, day, 3600), runs=21)
    assert figures["overall"]["offered"] == counted == calls == longest["overall"]["offered"]
    print(f"  bare count(*) of the day's calls: {baseline * 1000:8.2f} ms")
    print(f"  queue figures (GET /v1/queue):     {figures_time * 1000:8.2f} ms  "
          f"= {figures_time / baseline:.2f}x the count (goal: at most 2x)")
    print(f"  the same with a 3,600 s target:    {longest_time * 1000:8.2f} ms  "
          f"= {longest_time / baseline:.2f}x the count")
    missed_time, missed = timed(lambda: telephony.missed_for_day(db, day), runs=3)
    print(f"  missed callers ({missed['total']:,}; newest {len(missed['missed_callers'])} shown): "
          f"{missed_time * 1000:.1f} ms")
    overall = figures["overall"]
    print(f"  offered {overall['offered']:,}, answered {overall['answered']:,}, abandoned {overall['abandoned']:,} "
          f"(+{overall['short_abandoned']:,} short), service level {overall['service_level']:.1%}, "
          f"ASA {overall['average_speed_of_answer_seconds']} s")
    pbx_token = telephony.add_pbx(db, "bench-post")
    assert pbx_token
    stored = []
    for n in range(200):
        fields = {"event": "newCall", "callId": f"post-{n}", "from": "+6421555000", "to": "0800",
                  "direction": "in", "queue": "helpline"}
        t = time.perf_counter()
        telephony.record_event(db, "bench-post", fields)
        stored.append(time.perf_counter() - t)
    stored.sort()
    print(f"  one event stored (committed): p50 {stored[100] * 1000:.1f} ms, p95 {stored[190] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--today", action="store_true",
                        help="the day's calls today (the figures then add the calls waiting now and the operators "
                             "on a call and in wrap-up, from every answered call of the last 12 hours)")
    args = parser.parse_args()
    from console.core.timeutil import now as helpline_now

    day = helpline_now().date() if args.today else DAY
    from console.hub.crypto import load_key, new_key_file
    from console.hub.storage import open_database

    with tempfile.TemporaryDirectory() as folder:
        key = load_key(new_key_file(Path(folder) / "hub.key"))
        if args.backend in ("sqlite", "both"):
            print("SQLite:")
            db = open_database(data=Path(folder) / "hub", key=key)
            try:
                bench(db, args.calls, day)
            finally:
                db.close()
        if args.backend in ("postgresql", "both"):
            from tests.hub.postgres import ThrowawayCluster

            binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
            if not binaries:
                print("PostgreSQL: skipped (no /usr/lib/postgresql/*/bin/initdb)")
                return
            cluster = ThrowawayCluster(Path(binaries[-1]).parent)
            url = cluster.start()
            try:
                print("PostgreSQL:")
                db = open_database(database_url=url, key=key)
                try:
                    bench(db, args.calls, day)
                finally:
                    db.close()
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
