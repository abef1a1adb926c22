"""Notification codes hashed at the door (issue 14): figures beside their baseline, one run.

Prints:
1. `hub import-register` of a demo register of N persons (default 125,000,
   85% with a code) on a new SQLite hub: the baseline is the same import with
   the argon2id hashing replaced by a constant (every other step as it is:
   checks, the rewritten snapshot, the digest, the stored register); then
   the real import, and a new version of that register whose codes did not
   change (each code's keyed digest matches: its hash is kept);
2. what a register of 2,000,000 persons would take, from the per-code cost
   measured here (`--persons 2000000 --import-only` measures it: the
   baseline and the real import only, about 35 minutes on two idle cores);
3. check-caller (`Cache.verify_caller`, audit write included) p50/p95 on a
   workstation cache holding the hub's register, for 200 callers giving their
   code, beside 200 callers giving two strong factors (no hash compared).

Usage: python tests/perf/bench_code_hashing.py [--persons 125000] [--callers 200] [--import-only]
"""

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def hub_import(folder, data, key, relabel=None):
    from console.hub.crypto import HubKey
    from console.hub.registers import import_register
    from console.hub.storage import open_database

    db = open_database(data=str(data), key=HubKey(key))
    try:
        start = time.perf_counter()
        entry, _ = import_register(db, folder)
        return time.perf_counter() - start, entry, db.snapshot_slice(entry["seq"], 0, entry["size"])
    finally:
        db.close()


class ConstantHasher:
    """The baseline: every step of the import but argon2id."""

    def __init__(self, progress=None, processes=None):
        self.hashed = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def __call__(self, codes):
        self.hashed += len(codes)
        return ["$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43] * len(codes)


def relabelled(folder: Path, work: Path, version: str) -> Path:
    """The same register under a new register_version (its codes unchanged)."""
    import hashlib
    import json
    import shutil

    copy = work / version
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["register_version"] = version
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert hashlib.sha256((copy / "persons.csv").read_bytes()).hexdigest() == manifest["sha256"]["persons.csv"]
    return copy


def percentile(values, q):
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=125_000)
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--import-only", action="store_true",
                        help="only the baseline import and the real one (for a 2,000,000-person register)")
    args = parser.parse_args()

    import keyring

    from console.core import codes
    from console.demo.register import write_demo_register
    from console.hub import registers
    from console.store.keystore import allow_test_backend
    from tests.conftest import MemoryKeyring

    allow_test_backend(MemoryKeyring)
    keyring.set_keyring(MemoryKeyring())
    work = Path(tempfile.mkdtemp(prefix="bench-codes-"))
    folder = work / "register"
    write_demo_register(folder, args.persons, seed=14)
    with open(folder / "persons.csv", encoding="utf-8", newline="") as f:
        persons = list(csv.DictReader(f))
    with_code = sum(1 for p in persons if p["notification_code"])
    key = os.urandom(32)
    print(f"register: {args.persons:,} persons, {with_code:,} with a code; {os.cpu_count()} cores; "
          f"argon2id m={codes.MEMORY_KIB} KiB t={codes.TIME_COST} p={codes.PARALLELISM}")

    real = registers.ParallelHasher
    registers.ParallelHasher = ConstantHasher
    baseline, _, _ = hub_import(folder, work / "hub-baseline", key)
    print(f"hub import, hashing replaced by a constant (baseline): {baseline:8.1f} s", flush=True)
    if not args.import_only:
        baseline_again, _, _ = hub_import(relabelled(folder, work, "baseline-again"), work / "hub-baseline", key)
        print(f"  its next version (the same rows, a delta made; baseline): {baseline_again:8.1f} s")
    registers.ParallelHasher = real
    after, entry, snapshot = hub_import(folder, work / "hub", key)
    print(f"hub import with argon2id hashing:                     {after:8.1f} s = {after / baseline:5.1f}x "
          f"(goal <= 3x); {(after - baseline) / with_code * 1000:.2f} ms of wall time a code", flush=True)
    if args.import_only:
        return
    unchanged, _, _ = hub_import(relabelled(folder, work, "unchanged-codes"), work / "hub", key)
    print(f"new version, codes unchanged (hashes kept):           {unchanged:8.1f} s = "
          f"{unchanged / baseline_again:5.1f}x its baseline (goal <= 1.2x)")
    per_code = (after - baseline) / with_code
    two_million = 2_000_000 * with_code / args.persons
    print(f"hashing: {per_code * 1000:.2f} ms of wall time per code with every core")
    scale = 2_000_000 / args.persons
    print(f"2,000,000 persons (extrapolated, not measured): baseline {baseline * scale:7.0f} s, "
          f"with hashing {baseline * scale + two_million * per_code:7.0f} s")

    # check-caller on a workstation holding the hub's register (hashes only)
    from console.core.policy import CallerClaim
    from console.store.cache import Cache

    cache = Cache.open(work / "ws.db", operator="bench")
    cache.import_register(snapshot)
    callers = [p for p in persons if p["notification_code"] and p["date_of_birth"]][: args.callers]
    strong = [p for p in persons if p["nhi"] and p["email"] and p["date_of_birth"]][: args.callers]

    def timed(claims):
        times = []
        for claim in claims:
            start = time.perf_counter()
            verdict = cache.verify_caller(claim)
            times.append((time.perf_counter() - start) * 1000)
            assert verdict.decision.verified or verdict.decision.reason in ("ambiguous", "locked")
        return times

    by_code = timed([CallerClaim(p["family_name"], p["given_names"].split()[0],
                                 date.fromisoformat(p["date_of_birth"]), code=p["notification_code"])
                     for p in callers])
    by_knowledge = timed([CallerClaim(p["family_name"], p["given_names"].split()[0],
                                      date.fromisoformat(p["date_of_birth"]), nhi=p["nhi"], email=p["email"])
                          for p in strong])
    print(f"check-caller by two strong factors (baseline): p50 {statistics.median(by_knowledge):6.1f} ms, "
          f"p95 {percentile(by_knowledge, 95):6.1f} ms")
    print(f"check-caller by code (hash compared):          p50 {statistics.median(by_code):6.1f} ms, "
          f"p95 {percentile(by_code, 95):6.1f} ms (goal < 100 ms)")
    cache.close()


if __name__ == "__main__":
    main()
