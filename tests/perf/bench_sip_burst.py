"""1,000 real SIP calls at 10 a second, 20% abandoned, through the shipped
Kamailio configuration to a hub on each backend (issue 16).

SIPp places 800 calls an agent answers (after 0 to 3 s of ringing; 200 ms of
talk) and 200 the caller gives up on (after 0.5 to 7 s of ringing), both at
once; Kamailio posts the CTI events to a real `hub serve`. Prints SIPp's own
counts, the hub's figures (GET /v1/queue) and the same figures computed
straight from the hub's event log, and whether they agree; and the time from
the last call's end to the last event stored. The suite runs the same with
200 calls (tests/telephony/test_sip_line.py).

Usage: python tests/perf/bench_sip_burst.py [--calls 1000] [--backend sqlite|postgresql|both]
(needs kamailio and sipp, as packaging/dev test installs them; PostgreSQL needs Debian's binaries)
"""

import argparse
import glob
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def burst(location: dict, folder: Path, calls: int) -> bool:
    from tests.support.sip import Line, independent_figures, queue_of_burst

    abandoned = calls // 5
    line = Line(location, folder)
    try:
        t = time.perf_counter()
        answered_run = line.callers("caller_answered", "agent_answers", calls - abandoned, rate=10 * 0.8).start()
        gave_up_run = line.callers("caller_gives_up", "agent_rings", abandoned, rate=10 * 0.2).start()
        answered, gave_up = answered_run.finish(), gave_up_run.finish()
        placed = time.perf_counter()
        line.kamailio.wait_delivered(3 * answered.successful + 2 * gave_up.successful)
        stored = time.perf_counter()
        events = line.events()
        hub = queue_of_burst(line.hub, events)["overall"]
        independent = independent_figures(events)
    finally:
        line.stop()
    print(f"  {calls:,} calls placed in {placed - t:.0f} s; last event stored {1000 * (stored - placed):.0f} ms "
          f"after SIPp finished; {line.kamailio.retries} posts retried")
    print(f"  SIPp:      answered {answered.successful} (failed {answered.failed}), gave up {gave_up.successful} "
          f"(failed {gave_up.failed})")
    print(f"  hub:       offered {hub['offered']}, answered {hub['answered']}, abandoned {hub['abandoned']} "
          f"+ {hub['short_abandoned']} short, service level {hub['service_level']}, "
          f"ASA {hub['average_speed_of_answer_seconds']} s")
    print(f"  event log: offered {independent['offered']}, answered {independent['answered']}, abandoned "
          f"{independent['abandoned']} + {independent['short_abandoned']} short, service level "
          f"{independent['service_level']}, ASA {independent['average_speed_of_answer_seconds']} s")
    agree = (hub["offered"] == answered.successful + gave_up.successful == calls
             and hub["answered"] == answered.successful
             and hub["abandoned"] + hub["short_abandoned"] == gave_up.successful
             and all(hub[name] == value for name, value in independent.items()))
    print(f"  {'AGREE' if agree else 'DISAGREE'}")
    return agree


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    from console.hub.crypto import CREDENTIAL, CREDENTIALS_ENV, new_key_file
    from tests.support.sip import missing_tools

    why = missing_tools()
    if why:
        sys.exit(f"Cannot run: {why}.")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        new_key_file(folder / CREDENTIAL)
        os.environ[CREDENTIALS_ENV] = str(folder)  # the hub's key, for this process and the hub it starts
        if args.backend in ("sqlite", "both"):
            print("SQLite:")
            results.append(burst({"data": str(folder / "hub")}, folder / "sqlite", args.calls))
        if args.backend in ("postgresql", "both"):
            from tests.hub.postgres import ThrowawayCluster

            binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
            if binaries:
                cluster = ThrowawayCluster(Path(binaries[-1]).parent)
                url = cluster.start()
                try:
                    print("PostgreSQL:")
                    results.append(burst({"database_url": url}, folder / "postgresql", args.calls))
                finally:
                    cluster.stop()
            else:
                print("PostgreSQL: skipped (no /usr/lib/postgresql/*/bin/initdb)")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
