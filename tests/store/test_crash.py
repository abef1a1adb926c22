"""kill -9 at random points: every acknowledged call survives, exactly once,
with its outbox row, tallies and audit entry, and the file stays sound."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

CHILD = Path(__file__).with_name("crash_child.py")
REPO = Path(__file__).resolve().parents[2]
KILLS = 60
TIME_BUDGET = 75  # seconds; stop early (with at least MIN_KILLS) on a slow machine
MIN_KILLS = 50


def run_until_killed(path: Path, seed: int, rng: random.Random) -> set[str]:
    """Start a child, kill -9 it at a random moment; the ids it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(path), str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    )
    try:
        # about one kill in six lands during start-up (open, migrations);
        # the rest while it is saving
        if rng.random() < 1 / 6:
            time.sleep(rng.uniform(0.0, 0.2))
        else:
            line = child.stdout.readline()
            assert line == b"ready\n", (line, child.stderr.read() if child.poll() is not None else b"")
            time.sleep(rng.uniform(0.0, 0.15))
        still_running = child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert still_running, f"the child stopped by itself: {err.decode(errors='replace')}"
    assert child.returncode == -signal.SIGKILL
    # only whole lines count: a line cut off by the kill was not acknowledged
    acked = set()
    for line in out.split(b"\n")[:-1]:
        if line.startswith(b"ack "):
            acked.add(line[4:].decode())
    return acked


def test_kill_9_loses_no_acknowledged_call(tmp_path):
    path = tmp_path / "cache.db"
    rng = random.Random(os.getpid() ^ int(time.time()))
    acknowledged: set[str] = set()
    kills = 0
    began = time.monotonic()
    while kills < KILLS and not (kills >= MIN_KILLS and time.monotonic() - began > TIME_BUDGET):
        acknowledged |= run_until_killed(path, rng.randrange(1 << 30), rng)
        kills += 1
    assert kills >= MIN_KILLS
    assert len(acknowledged) > 100, "the children saved too little for the test to mean anything"

    # the cache still opens (its quick_check passes) and holds everything acknowledged
    from console.store.audit import verify_chain
    from console.store.cache import Cache

    cache = Cache.open(path, operator="op-check")
    cache.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = [r[0] for r in db.execute("SELECT call_id FROM calls")]
        assert len(stored) == len(set(stored))
        missing = acknowledged - set(stored)
        assert not missing, f"{len(missing)} acknowledged calls were lost"
        # saved-but-unacknowledged is allowed (killed between COMMIT and print), but
        # everything stored is whole: outbox, tallies and audit match the calls exactly
        outbox = [r[0] for r in db.execute("SELECT entity_id FROM outbox WHERE kind='call'")]
        assert sorted(outbox) == sorted(stored)
        assert db.execute("SELECT count(*) FROM outbox WHERE kind != 'call'").fetchone()[0] == 0
        for entity_id, body in db.execute("SELECT entity_id, body FROM outbox"):
            body = json.loads(body)
            assert body["call_id"] == entity_id and body["workstation"] and "register_version" in body
        audited = [json.loads(r[0])["call_id"] for r in db.execute("SELECT detail FROM audit WHERE kind='call_saved'")]
        assert sorted(audited) == sorted(stored)
        for dimension in ("outcome", "verification", "operator", "caller_type"):
            assert db.execute("SELECT sum(n) FROM call_day_counts WHERE dimension=?", [dimension]).fetchone()[0] == len(stored)
        assert db.execute("SELECT sum(n) FROM call_day_handle").fetchone()[0] == len(stored)
        regions = db.execute("SELECT count(*) FROM calls WHERE region IS NOT NULL").fetchone()[0]
        assert (db.execute("SELECT coalesce(sum(n), 0) FROM call_day_counts WHERE dimension='region'").fetchone()[0]
                == regions)
    finally:
        db.close()
    cache = Cache.open(path)
    try:
        assert verify_chain(cache.db).ok
        from console.store.calls import call_stats

        assert call_stats(cache.db)["calls"] == len(stored)
    finally:
        cache.close()
