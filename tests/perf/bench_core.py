"""Core benchmark (issue: register cache, search, verification).

Prints, in one run, each figure beside its baseline and goal:
- import time and rows/s beside a bare executemany of the same rows into the same tables;
- search p50/p95 per query kind beside a naive LIKE scan and a primary-key lookup;
- whole-process time of `check-caller` beside importing its libraries;
- peak memory of the import and the cache size beside the CSV size.

Usage: python tests/perf/bench_core.py [--persons 2000000] [--work DIR] [--keep]

The bare baseline writes through the cache's own connection (console.store.
connection: encrypted, temporary data in memory), as the import does; the
same through plain sqlite3 is printed for reference. With an encrypted cache
the key lives in the OS keystore, so run it where one is available (without
a desktop session: inside the throwaway Secret Service `packaging/dev test` starts).
"""

import argparse
import csv
import json
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from console.core.contact import split_phones  # noqa: E402
from console.store.register.tables import create_register_indexes, create_register_tables  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def import_in_child(register: Path, db: Path) -> tuple[float, int, int]:
    """Import in a child process so its peak memory is its own: (seconds, peak
    of the importing process, peak of its biggest child, the CSV reader)."""
    script = (
        "import sys, time, resource\n"
        "from console.store.cache import Cache\n"
        "c = Cache.open(sys.argv[1], operator='bench')\n"
        "t = time.perf_counter(); c.import_register(sys.argv[2]); t = time.perf_counter() - t\n"
        "print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(db), str(register)], check=True,
                         capture_output=True, text=True, cwd=REPO).stdout.split()
    return float(out[0]), int(out[1]) * 1024, int(out[2]) * 1024


def cache_connection(db_path: Path):
    """A connection to a new database as the cache itself is connected (the
    same driver and settings: encrypted, temporary data in memory, when the
    cache is), so that the bare baseline pays what any writer of the cache pays."""
    try:
        from console.store.connection import connect
    except ImportError:  # a cache on the standard library's sqlite3
        return sqlite3.connect(db_path, isolation_level=None)
    return connect(db_path)


def bare_executemany(register: Path, db_path: Path, connection=None) -> float:
    """The same rows, already in memory, into the same tables and indexes: no
    validation, no keys, no phone tails, no staging swap."""
    tables = {}
    for name in ("persons", "documents", "practices"):
        with open(register / f"{name}.csv", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            tables[name] = [tuple(r) for r in reader]
    conn = connection(db_path) if connection else sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    create_register_tables(conn, "", 0, indexes=False)
    width = len(conn.execute("SELECT * FROM persons LIMIT 0").description)
    persons = [r + ("",) * (width - len(r)) for r in tables["persons"]]  # the derived keys, empty
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO persons VALUES ({','.join('?' * width)})", persons)
    conn.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?)", tables["documents"])
    conn.executemany("INSERT INTO practices VALUES (?,?,?)", tables["practices"])
    create_register_indexes(conn, "", 0)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def reformat_phone(text: str) -> str:
    """The same number as a caller might say it, written the other way round
    from the register: international if it was national, national if not."""
    from console.core.contact import phone_e164

    e164 = phone_e164(text)  # a valid NZ number: +64 and its national digits
    if text.strip().startswith(("+", "00")):
        return "0" + e164[3:]
    return "+64 " + e164[3:]


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def search_queries(register: Path, count: int, seed: int = 7):
    from console.core.contact import phone_e164
    from console.core.names import name_key

    rng = random.Random(seed)
    with open(register / "persons.csv", encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["date_of_birth"]]
    sample = rng.sample(rows, min(len(rows), count * 20))
    kinds = {k: [] for k in ("nhi", "phone", "email", "name+dob", "name typo+dob", "name only")}
    for r in sample:
        family, given = r["family_name"], r["given_names"].split()[0]
        if r["nhi"] and len(kinds["nhi"]) < count:
            kinds["nhi"].append(dict(nhi=r["nhi"].lower()))
        phones = [p for p in split_phones(r["phones"]) if phone_e164(p)]
        if phones and len(kinds["phone"]) < count:
            kinds["phone"].append(dict(phone=reformat_phone(phones[0])))
        if r["email"] and len(kinds["email"]) < count:
            kinds["email"].append(dict(email=r["email"].upper()))
        if len(kinds["name+dob"]) < count:
            kinds["name+dob"].append(dict(name=f"{given} {family}", dob=r["date_of_birth"]))
        if len(name_key(family)) >= 6 and len(kinds["name typo+dob"]) < count:
            kinds["name typo+dob"].append(dict(family_name=typo(family, rng), given_name=given, dob=r["date_of_birth"]))
        if len(kinds["name only"]) < count:
            kinds["name only"].append(dict(name=f"{family} {given}"))
    return kinds


def bench_search(db_path: Path, register: Path, count: int) -> dict:
    from console.store.cache import Cache
    from console.store.search import SearchQuery, search_register

    cache = Cache.open(db_path, operator="bench")
    db = cache.db
    ids = [r[0] for r in db.execute("SELECT person_id FROM persons ORDER BY random() LIMIT 2000")]
    pk = []
    for person_id in ids:
        t = time.perf_counter()
        db.execute("SELECT * FROM persons WHERE person_id = ?", [person_id]).fetchall()
        pk.append(time.perf_counter() - t)
    scans = []
    for person_id in ids[:5]:
        family = db.execute("SELECT family_name FROM persons WHERE person_id = ?", [person_id]).fetchone()[0]
        t = time.perf_counter()
        db.execute("SELECT * FROM persons WHERE family_name LIKE ? OR given_names LIKE ?",
                   [f"%{family}%", f"%{family}%"]).fetchall()
        scans.append(time.perf_counter() - t)
    results = {"pk_p50": percentile(pk, 50), "pk_p95": percentile(pk, 95), "scan_p50": statistics.median(scans)}
    kinds = search_queries(register, count)
    for kind, queries in kinds.items():
        times, found = [], 0
        for q in queries:
            query = SearchQuery(**q)
            t = time.perf_counter()
            hits = search_register(db, query)
            times.append(time.perf_counter() - t)
            found += bool(hits)
        audited = []
        for q in queries[:20]:
            t = time.perf_counter()
            cache.search(SearchQuery(**q))
            audited.append(time.perf_counter() - t)
        results[kind] = {"n": len(queries), "p50": percentile(times, 50), "p95": percentile(times, 95),
                         "found": found, "audited_p50": statistics.median(audited)}
    cache.close()
    return results


def process_time(args: list[str], runs: int = 9) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=2_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-core-"))
    work.mkdir(parents=True, exist_ok=True)
    register = work / "register"
    if not (register / "manifest.json").exists():
        from console.demo.register import write_demo_register

        t = time.perf_counter()
        write_demo_register(register, args.persons, seed=1)
        print(f"demo-register {args.persons:,} persons: {time.perf_counter() - t:.1f} s")
    manifest = json.loads((register / "manifest.json").read_text())
    counts = manifest["counts"]
    rows = counts["persons"] + counts["documents"] + counts["practices"]
    csv_bytes = sum((register / n).stat().st_size for n in ("persons.csv", "documents.csv", "practices.csv"))
    print(f"register: {counts['persons']:,} persons, {counts['documents']:,} documents, CSV {csv_bytes / 1e6:.0f} MB")

    db_path = work / "cache.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    seconds, peak, reader_peak = import_in_child(register, db_path)
    bares = {}
    for label, connection in (("cache's connection", cache_connection), ("plain sqlite3", None)):
        bare_path = work / "bare.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{bare_path}{suffix}").unlink(missing_ok=True)
        bares[label] = bare_executemany(register, bare_path, connection)
    bare = bares["cache's connection"]
    print("\n## Import")
    print(f"import-register: {seconds:.1f} s, {rows / seconds:,.0f} rows/s")
    print(f"bare executemany (same tables and indexes, through the cache's connection): {bare:.1f} s, "
          f"{rows / bare:,.0f} rows/s")
    print(f"ratio import/bare rate: {bare / seconds:.2f} (goal >= 0.25)")
    plain = bares["plain sqlite3"]
    print(f"  for reference, bare executemany through plain sqlite3 (no encryption, temporary data in files): "
          f"{plain:.1f} s, ratio {plain / seconds:.2f}")
    print(f"peak memory of the import: {(peak + reader_peak) / 2**20:.0f} MB (goal < 1024 MB): "
          f"importing process {peak / 2**20:.0f} MB + its CSV reader process {reader_peak / 2**20:.0f} MB")
    db_bytes = db_path.stat().st_size
    print(f"cache size: {db_bytes / 1e6:.0f} MB beside CSV {csv_bytes / 1e6:.0f} MB ({db_bytes / csv_bytes:.2f}x)")

    print("\n## Search (per query kind, in-process, without the audit write)")
    s = bench_search(db_path, register, args.queries)
    print(f"primary-key lookup: p50 {ms(s['pk_p50'])}, p95 {ms(s['pk_p95'])}")
    print(f"naive LIKE scan: p50 {ms(s['scan_p50'])}")
    for kind in ("nhi", "phone", "email", "name+dob", "name typo+dob", "name only"):
        r = s[kind]
        line = (f"{kind:>14}: n={r['n']} found={r['found']} p50 {ms(r['p50'])} p95 {ms(r['p95'])}"
                f"  scan/p95 {s['scan_p50'] / r['p95']:,.0f}x (goal >= 200)")
        if kind in ("nhi", "phone", "email", "name+dob"):
            line += f"  p95/pk {r['p95'] / s['pk_p50']:.0f}x (goal <= 50)"
        line += f"  with audit write p50 {ms(r['audited_p50'])}"
        print(line)

    print("\n## check-caller whole process")
    sample = search_queries(register, 1)["name+dob"][0]
    given, family = sample["name"].split(" ", 1)
    cli = [sys.executable, "-m", "console", "--db", str(db_path), "--json", "check-caller",
           "--family-name", family, "--given-name", given, "--dob", sample["dob"], "--code", "WRNG-CODE"]
    baseline = [sys.executable, "-c", "import sqlite_utils, keyring, phonenumbers, rapidfuzz"]
    base_t, cli_t = process_time(baseline), process_time(cli)
    print(f"python -c 'import sqlite_utils, keyring, phonenumbers, rapidfuzz': {ms(base_t)}")
    print(f"helpline-console check-caller: {ms(cli_t)}  ratio {cli_t / base_t:.2f} (goal <= 1.5)")
    if not args.keep and not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
