"""Child process for test_crash.py.

    python crash_child.py run CACHE_PATH SEED
        Prints "ready" once the cache is open, then saves calls in a loop and,
        for every batch, prints "ack CALL_ID" per call only after
        Cache.log_calls has returned (COMMIT done), flushing each time. It
        runs until it is killed.

    python crash_child.py check CACHE_PATH
        Opens the cache (its quick_check must pass) and prints one JSON object
        describing what it holds, for the parent to compare.

When the cache is encrypted with a key kept in a keystore, every child (and
the check) must find the same key: they share a test-only keyring kept in a
file beside the cache, written atomically so a kill -9 never tears it.
"""

import json
import os
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path


def install_shared_test_keyring(folder: Path) -> None:
    try:
        from console.store import keystore
    except ImportError:  # a cache without a keystore: nothing to share
        return
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    store = folder / "test-keyring.json"

    class SharedTestKeyring(KeyringBackend):
        priority = 1

        def _read(self) -> dict:
            try:
                return json.loads(store.read_text(encoding="utf-8"))
            except FileNotFoundError:
                return {}

        def _write(self, data: dict) -> None:
            temp = store.with_name(f"{store.name}.{os.getpid()}.tmp")
            temp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temp, store)

        def get_password(self, service, username):
            return self._read().get(f"{service}\n{username}")

        def set_password(self, service, username, password):
            data = self._read()
            data[f"{service}\n{username}"] = password
            self._write(data)

        def delete_password(self, service, username):
            data = self._read()
            if data.pop(f"{service}\n{username}", None) is None:
                raise PasswordDeleteError(username)
            self._write(data)

    keyring.set_keyring(SharedTestKeyring())
    keystore.allow_test_backend(SharedTestKeyring)


def run(path: str, seed: int) -> None:
    from console.core.calls import validate_call_record
    from console.store.cache import Cache

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


def check(path: str) -> None:
    from console.store.audit import verify_chain
    from console.store.cache import Cache
    from console.store.calls import call_stats

    cache = Cache.open(path, operator="op-check")  # runs quick_check: refuses a damaged file
    db = cache.db
    one = lambda sql, *params: db.execute(sql, list(params)).fetchone()[0]  # noqa: E731
    report = {
        "integrity_check": [r[0] for r in db.execute("PRAGMA integrity_check")],
        "calls": [r[0] for r in db.execute("SELECT call_id FROM calls")],
        "outbox_calls": [r[0] for r in db.execute("SELECT entity_id FROM outbox WHERE kind = 'call'")],
        "outbox_other": one("SELECT count(*) FROM outbox WHERE kind != 'call'"),
        "outbox_bodies_match": all(
            json.loads(body)["call_id"] == entity and json.loads(body)["workstation"]
            for entity, body in db.execute("SELECT entity_id, body FROM outbox")),
        "audited_calls": [json.loads(r[0])["call_id"]
                          for r in db.execute("SELECT detail FROM audit WHERE kind = 'call_saved'")],
        "tallies": {d: one("SELECT coalesce(sum(n), 0) FROM call_day_counts WHERE dimension = ?", d)
                    for d in ("outcome", "verification", "operator", "caller_type", "region")},
        "handle_tally": one("SELECT coalesce(sum(n), 0) FROM call_day_handle"),
        "with_region": one("SELECT count(*) FROM calls WHERE region IS NOT NULL"),
        "chain": verify_chain(db).as_json(),
        "stats_calls": call_stats(db)["calls"],
    }
    cache.close()
    print(json.dumps(report))


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    install_shared_test_keyring(Path(path).parent)
    if mode == "run":
        run(path, int(sys.argv[3]))
    elif mode == "check":
        check(path)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
