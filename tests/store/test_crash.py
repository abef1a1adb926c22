"""kill -9 at random points: every acknowledged call survives, exactly once,
with its outbox row, tallies and audit entry, and the file stays sound."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


CHILD = Path(__file__).with_name("crash_child.py")
REPO = Path(__file__).resolve().parents[2]
KILLS = 60
TIME_BUDGET = 75  # seconds; stop early (with at least MIN_KILLS) on a slow machine
MIN_KILLS = 50


def run_until_killed(path: Path, seed: int, rng: random.Random) -> set[str]:
    """Start a child, kill -9 it at a random moment; the ids it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), "run", str(path), str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    )
    try:
        # about one kill in six lands during start-up (key, open, migrations);
        # the rest while it is saving
        if rng.random() < 1 / 6:
            time.sleep(rng.uniform(0.0, 0.3))
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
    return {line[4:].decode() for line in out.split(b"\n")[:-1] if line.startswith(b"ack ")}


@pytest.mark.slow(seconds=20)
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

    # a fresh process opens the cache (its quick_check passes) and reports what it holds
    checked = subprocess.run([sys.executable, str(CHILD), "check", str(path)], capture_output=True, cwd=REPO,
                             timeout=120)
    assert checked.returncode == 0, checked.stderr.decode(errors="replace")
    report = json.loads(checked.stdout)
    assert report["integrity_check"] == ["ok"]
    stored = report["calls"]
    assert len(stored) == len(set(stored))
    missing = acknowledged - set(stored)
    assert not missing, f"{len(missing)} acknowledged calls were lost"
    # saved-but-unacknowledged is allowed (killed between COMMIT and print), but
    # everything stored is whole: outbox, tallies and audit match the calls exactly
    assert sorted(report["outbox_calls"]) == sorted(stored)
    assert report["outbox_other"] == 0 and report["outbox_bodies_match"]
    assert sorted(report["audited_calls"]) == sorted(stored)
    for dimension in ("outcome", "verification", "operator", "caller_type"):
        assert report["tallies"][dimension] == len(stored), dimension
    assert report["tallies"]["region"] == report["with_region"]
    assert report["handle_tally"] == len(stored)
    assert report["chain"]["ok"], report["chain"]
    assert report["chain"]["entries"] == len(stored)
    assert report["stats_calls"] == len(stored)
