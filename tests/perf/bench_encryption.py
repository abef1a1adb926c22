"""Encryption at rest, what it costs (issue: security).

Runs the core benchmark's import and search figures on the encrypted cache
beside a plain SQLite cache of the same schema, in the same run (goal:
encrypted within 1.3x of plain).

Usage (a keystore is needed, e.g. inside dbus-run-session with an unlocked gnome-keyring):
    python tests/perf/bench_encryption.py --register DIR [--queries 200]
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import percentile, search_queries  # noqa: E402


def plain_database(path: Path):
    """The same schema and settings on a plain (unkeyed) file: the baseline."""
    import sqlite_utils

    from console.store.connection import connect_file
    from console.store.schema import migrate

    conn = connect_file(path, None)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    migrate(db)
    return db


def encrypted_database(path: Path):
    from console.store.connection import open_cache

    return open_cache(path)


def measure(open_db, path: Path, register: Path, queries: dict) -> dict:
    from console.store.register.swap import import_register
    from console.store.search import SearchQuery, search_register

    db = open_db(path)
    t = time.perf_counter()
    import_register(db, register)
    figures = {"import": time.perf_counter() - t}
    for kind, items in queries.items():
        times = []
        for q in items:
            t = time.perf_counter()
            search_register(db, SearchQuery(**q))
            times.append(time.perf_counter() - t)
        figures[kind] = (statistics.median(times), percentile(times, 95))
    db.close()
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--register", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-encryption-"))
    queries = search_queries(args.register, args.queries)
    plain = measure(plain_database, work / "plain.db", args.register, queries)
    encrypted = measure(encrypted_database, work / "encrypted.db", args.register, queries)
    print("## Encrypted cache beside plain (same schema, same run; goal: within 1.3x)")
    print(f"import: plain {plain['import']:.1f} s, encrypted {encrypted['import']:.1f} s, "
          f"ratio {encrypted['import'] / plain['import']:.2f}")
    for kind in queries:
        (p50, p95), (e50, e95) = plain[kind], encrypted[kind]
        print(f"{kind:>14}: plain p50 {p50 * 1000:.3f} ms p95 {p95 * 1000:.3f} ms; encrypted p50 {e50 * 1000:.3f} ms "
              f"p95 {e95 * 1000:.3f} ms; p95 ratio {e95 / p95:.2f}")
    from console.store.connection import key_entry
    from console.store.keystore import open_keystore

    open_keystore().forget(key_entry(work / "encrypted.db"))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
