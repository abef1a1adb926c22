"""Sync benchmark (issue: the hub and sync).

Prints, in one run:
1. the initial sync of a breach register (125,000 persons, about 430,000
   stolen files) into a new workstation cache, beside a local
   `import-register` of the same register into another new cache (goal: the
   sync within 2x of the import);
2. 200 simulated workstations on loopback, each pulling every 30 s and
   pushing a call every 2 minutes, for 5 minutes: p50/p99 latency per
   request kind and errors (goal: 0 errors, p99 within 10x of p50), on the
   hub's SQLite database and on PostgreSQL.

Usage: python tests/perf/bench_sync.py [--minutes 5] [--workstations 200]
           [--skip-initial] [--skip-load] [--backends sqlite,postgresql]

The register is the demo generator's national register reduced to the
persons who have stolen files (the breach register proper). The caches are
encrypted, so run it where a keystore is available (without a desktop
session: inside the throwaway Secret Service `packaging/dev test` starts).
"""

import argparse
import asyncio
import csv
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.support.hub import PASSWORD, HubProcess  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def breach_register(work: Path, national_persons: int) -> Path:
    """The demo national register, kept to the persons with stolen files."""
    from console.demo.register import write_demo_register

    national = work / "national"
    write_demo_register(national, persons=national_persons, seed=11)
    out = work / "breach"
    out.mkdir()
    with open(national / "documents.csv", encoding="utf-8", newline="") as f:
        affected = {row["person_id"] for row in csv.DictReader(f)}
    counts = {}
    for name, keep in (("persons.csv", lambda row: row[0] in affected), ("documents.csv", lambda row: True),
                       ("practices.csv", lambda row: True)):
        with open(national / name, encoding="utf-8", newline="") as f, \
                open(out / name, "w", encoding="utf-8", newline="") as g:
            reader, writer = csv.reader(f), csv.writer(g)
            writer.writerow(next(reader))
            n = 0
            for row in reader:
                if keep(row):
                    writer.writerow(row)
                    n += 1
            counts[name[:-4]] = n
    manifest = json.loads((national / "manifest.json").read_text())
    manifest["register_version"] = "bench-breach-1"
    manifest["counts"] = counts
    manifest["sha256"] = {name: hashlib.sha256((out / name).read_bytes()).hexdigest()
                          for name in ("persons.csv", "documents.csv", "practices.csv")}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out


def initial_sync(work: Path, register: Path, national_persons: int) -> None:
    from console.store.cache import Cache
    from console.store.register.digest import register_digest
    from console.sync.engine import sync_cache
    from console.sync.tokens import hub_client

    hub = HubProcess({"data": str(work / "hub-initial")}, work)
    hub.cli("operators", "add", "op-bench", "--role", "operator")
    hub.cli("import-register", str(register))
    hub.start()
    try:
        local = Cache.open(work / "local.db", operator="bench")
        t = time.perf_counter()
        result = local.import_register(register)
        import_seconds = time.perf_counter() - t
        local_digest = register_digest(local.db)
        local.close()

        ws = Cache.open(work / "ws.db", operator="op-bench")
        t = time.perf_counter()
        with hub_client(hub.url, "op-bench", ws.workstation, PASSWORD) as client:
            report = sync_cache(ws, client)
        sync_seconds = time.perf_counter() - t
        same = register_digest(ws.db) == local_digest
        ws.close()
    finally:
        hub.kill()
    print(f"\n## Initial sync ({result.persons:,} persons, {result.documents:,} stolen files; "
          f"from a national demo register of {national_persons:,})")
    print(f"local import-register     {import_seconds:8.2f} s")
    print(f"initial sync from the hub {sync_seconds:8.2f} s  ({report.register}; register equal: {same})")
    print(f"ratio sync / import       {sync_seconds / import_seconds:8.2f}x   (goal <= 2x)")


def call_body(i: int, workstation: str) -> dict:
    start = datetime.now(timezone(timedelta(hours=13)))
    return {
        "call_id": str(uuid.uuid4()), "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=240 + i % 300)).isoformat(), "operator": "op-bench",
        "caller_type": "patient", "person_id": None, "verification": "not_attempted", "assurance": None,
        "disclosed_status": None, "guidance_delivered": [{"id": "opening", "version": "1"}],
        "topics": ["am-i-affected"], "flags": [], "outcome": "resolved", "region": "Northland", "notes": "",
        "scam_report": None, "register_version": "bench", "workstation": workstation,
    }


async def workstation(n: int, url: str, token: str, until: float, latencies: dict, errors: list, rng: random.Random,
                      auth=None):
    import httpx

    name = f"bench-ws-{n:03d}"
    headers = {"Authorization": f"Bearer {token}"}
    cursor = 0
    next_pull = time.monotonic() + rng.uniform(0, 30)
    next_push = time.monotonic() + rng.uniform(0, 120)
    pushed = 0
    async with httpx.AsyncClient(base_url=url + "/v1", headers=headers, timeout=30, auth=auth) as client:
        while True:
            wake = min(next_pull, next_push)
            if wake >= until:
                return
            await asyncio.sleep(max(0.0, wake - time.monotonic()))
            if next_pull <= next_push:
                next_pull += 30
                kind, request = "pull", lambda: client.get("/changes", params={"after": cursor, "limit": 1000})
            else:
                next_push += 120
                pushed += 1
                body = call_body(pushed, name)
                kind = "push"
                request = lambda body=body: client.post("/push", json={  # noqa: E731
                    "workstation": name, "items": [{"kind": "call", "id": body["call_id"], "body": body}],
                    "audit_head": None})
            t = time.perf_counter()
            try:
                response = await request()
                ok = response.status_code == 200
                if ok and kind == "pull":
                    cursor = response.json()["cursor"]
                    response = await client.get("/register")
                    ok = response.status_code == 200
            except Exception as exc:
                ok, response = False, exc
            latencies[kind].append(time.perf_counter() - t)
            if not ok:
                errors.append(f"{kind}: {getattr(response, 'status_code', response)!r}")


def load(work: Path, backend: str, minutes: float, count: int, register: Path) -> None:
    import httpx

    cluster = None
    if backend == "sqlite":
        location = {"data": str(work / f"hub-load-{backend}")}
    else:
        import glob

        from tests.hub.postgres import ThrowawayCluster

        cluster = ThrowawayCluster(Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent)
        location = {"database_url": cluster.start()}
    hub = HubProcess(location, work)
    try:
        hub.cli("operators", "add", "op-bench", "--role", "operator")
        hub.cli("import-register", str(register))
        hub.start()
        tokens = []
        for n in range(count):
            answer = httpx.post(hub.url + "/v1/sessions", json={
                "operator_id": "op-bench", "password": PASSWORD, "workstation": f"bench-ws-{n:03d}"}, timeout=30,
                auth=hub.auth)
            answer.raise_for_status()
            tokens.append(answer.json()["token"])
        latencies = {"pull": [], "push": []}
        errors: list[str] = []
        until = time.monotonic() + minutes * 60

        async def run_all():
            rng = random.Random(5)
            await asyncio.gather(*(workstation(n, hub.url, tokens[n], until, latencies, errors,
                                               random.Random(rng.random()), hub.auth) for n in range(count)))

        asyncio.run(run_all())
        calls = len(hub.call_ids())
    finally:
        hub.kill()
        if cluster:
            cluster.stop()
    print(f"\n## {count} workstations for {minutes:g} min, hub on {backend}")
    print(f"{'request':<8} {'count':>7} {'p50':>10} {'p99':>10} {'p99/p50':>8}")
    for kind, values in latencies.items():
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"{kind:<8} {len(values):>7} {p50 * 1000:>8.2f}ms {p99 * 1000:>8.2f}ms {p99 / p50:>7.1f}x")
    every = latencies["pull"] + latencies["push"]
    print(f"{'all':<8} {len(every):>7} {percentile(every, 50) * 1000:>8.2f}ms {percentile(every, 99) * 1000:>8.2f}ms "
          f"{percentile(every, 99) / percentile(every, 50):>7.1f}x   (goal: p99 <= 10x p50)")
    print(f"errors: {len(errors)} (goal 0){': ' + ', '.join(errors[:5]) if errors else ''}; calls on the hub: {calls}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--national-persons", type=int, default=2_000_000)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--workstations", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skip-initial", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        register = breach_register(work, args.national_persons)
        if not args.skip_initial:
            initial_sync(work, register, args.national_persons)
        if not args.skip_load:
            for backend in args.backends.split(","):
                load(work, backend, args.minutes, args.workstations, register)


if __name__ == "__main__":
    main()
