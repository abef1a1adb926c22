"""A workstation's `sync` killed with SIGKILL at random moments (signing in,
pushing, pulling, fetching or importing the register) resumes correctly:
afterwards every call is on the hub once and the register equals the hub's."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from console.store.cache import Cache
from console.store.register.digest import register_digest
from tests.sync.conftest import PASSWORD, REPO, HubProcess
from tests.sync.test_sync_hub import call_record


@pytest.fixture
def big_register(tmp_path_factory):
    from console.core.demo_register import write_demo_register

    folder = tmp_path_factory.mktemp("register-6000")
    write_demo_register(folder, persons=6000, seed=9)
    return folder


def test_a_sync_killed_at_any_point_resumes(tmp_path, system_keyring, big_register, second_register):
    hub = HubProcess(["--data", str(tmp_path / "hub-data")], tmp_path)
    hub.cli("operators", "add", "op-1", "--role", "operator")
    hub.cli("operators", "add", "sup-1", "--role", "supervisor")
    hub.cli("import-register", str(big_register))
    hub.start()
    db = tmp_path / "ws.db"
    env = {**os.environ, "HELPLINE_CONSOLE_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "console", "--db", str(db), "--operator", "op-1", "--json", "sync", "--hub", hub.url]
    rng = random.Random(7)
    logged, killed = [], 0
    try:
        for run in range(8):
            if run in (3, 6):  # a new register now and then, so kills land in its fetch and import too
                hub.cli("import-register", str(second_register if run == 3 else big_register))
            if run:
                cache = Cache.open(db, operator="op-1")
                cache.sign_in("op-1", PASSWORD)
                records = [call_record("op-1", rng) for _ in range(700)]  # two push batches and more
                cache.log_calls(records)
                logged += [r["call_id"] for r in records]
                cache.close()
            child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.5, 1.2))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                killed += 1
            child.wait()
        finished = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, finished.stderr
        again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        cache = Cache.open(db, operator="op-1")
        try:
            assert cache.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert cache.db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
            assert register_digest(cache.db) == hub.register()["digest"]
            assert cache.db.execute("SELECT count(*) FROM register_download").fetchone()[0] == 0
        finally:
            cache.close()
        on_hub = hub.call_ids()
        assert sorted(on_hub) == sorted(logged)
        assert killed >= 5, "most syncs must have been killed part-way for this test to mean anything"
    finally:
        hub.kill()
