"""The supervisor dashboard on the hub with PostgreSQL (issue: the dashboard).

Fills a hub database with 1,000,000 calls over 30 days (about 33,000 today),
then prints the dashboard's figures for today (GET /v1/dashboard's
computation, console.hub.reports.dashboard) beside a bare
`SELECT count(*) FROM calls` in the same run (goal: within 20x).

Usage: python tests/perf/bench_dashboard_hub.py [--calls 1000000]
(needs Debian's PostgreSQL binaries, as the tests do)
"""

import argparse
import glob
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

FILL = """
INSERT INTO calls (call_id, started_at, started_utc, ended_at, handle_seconds, operator, workstation, caller_type,
                   person_id, verification, assurance, disclosed_status, outcome, region, register_version, saved_at,
                   record, body_sha256)
SELECT 'call-' || n, to_char(t AT TIME ZONE 'Pacific/Auckland', 'YYYY-MM-DD"T"HH24:MI:SS') || '+13:00',
       to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
       to_char((t + h * interval '1 second') AT TIME ZONE 'Pacific/Auckland', 'YYYY-MM-DD"T"HH24:MI:SS') || '+13:00',
       h, 'op-' || (n % 40), 'ws-' || (n % 25), ct, NULL, v, NULL, NULL, o, r, 'bench', now()::text,
       json_build_object('call_id', 'call-' || n,
                         'started_at', to_char(t AT TIME ZONE 'Pacific/Auckland', 'YYYY-MM-DD"T"HH24:MI:SS') || '+13:00',
                         'ended_at', to_char((t + h * interval '1 second') AT TIME ZONE 'Pacific/Auckland',
                                             'YYYY-MM-DD"T"HH24:MI:SS') || '+13:00',
                         'operator', 'op-' || (n % 40), 'caller_type', ct, 'person_id', NULL, 'verification', v,
                         'assurance', NULL, 'disclosed_status', NULL, 'guidance_delivered', json_build_array(),
                         'topics', json_build_array(), 'flags', CASE WHEN n % 17 = 0 THEN json_build_array('extortion')
                         ELSE json_build_array() END, 'outcome', o, 'region', r, 'notes', '', 'scam_report', NULL,
                         'register_version', 'bench', 'workstation', 'ws-' || (n % 25))::text,
       md5(n::text)
FROM (SELECT n, now() - (n % 30) * interval '1 day' - (n % 36000) * interval '1 second' AS t,
             60 + n % 900 AS h,
             (ARRAY['patient','patient','representative','other'])[1 + n % 4] AS ct,
             (ARRAY['not_attempted','not_verified','not_attempted'])[1 + n % 3] AS v,
             (ARRAY['resolved','resolved','callback','escalated','referred','abandoned'])[1 + n % 6] AS o,
             (ARRAY['Northland','Auckland','Waikato','Canterbury'])[1 + n % 4] AS r
      FROM generate_series(1, %s) AS n) AS g
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    args = parser.parse_args()
    from console.hub import reports
    from console.hub.crypto import HubKey
    from console.hub.storage import open_database
    from tests.hub.postgres import ThrowawayCluster

    cluster = ThrowawayCluster(Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent)
    url = cluster.start()
    try:
        key = HubKey(os.urandom(32))
        db = open_database(database_url=url, key=key)
        t = time.perf_counter()
        with db.write() as tx:
            tx.conn.execute(FILL.replace("%s", str(args.calls)))
            # the records were written in clear: sealed as the hub seals an earlier hub's rows
            tx.execute("DELETE FROM hub_migrations WHERE name = 'm015_sealed_columns'")
        db.close()
        db = open_database(database_url=url, key=key)
        with db.write() as tx:
            tx.conn.execute("ANALYZE calls")
        fill = time.perf_counter() - t

        def timed(fn, runs=7):
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                result = fn()
                times.append(time.perf_counter() - t)
            return statistics.median(times), result

        def count():
            with db.read() as tx:
                return tx.value("SELECT count(*) FROM calls")

        count_s, total = timed(count)
        dash_s, figures = timed(lambda: reports.dashboard(db))
        db.close()
    finally:
        cluster.stop()
    print(f"hub on PostgreSQL, {total:,} calls (filled in {fill:.1f} s); today's calls: {figures['calls']:,}")
    print(f"SELECT count(*) FROM calls   {count_s * 1000:8.1f} ms (median of 7)")
    print(f"dashboard figures for today  {dash_s * 1000:8.1f} ms (median of 7)")
    print(f"ratio                        {dash_s / count_s:8.1f}x   (goal <= 20x)")


if __name__ == "__main__":
    main()
