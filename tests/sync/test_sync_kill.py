"""A workstation's `sync` killed with SIGKILL at random moments (signing in,
pushing, pulling, fetching or importing the register) resumes correctly:
afterwards every call is on the hub once and the register equals the hub's.
A kill can land before anything arrived from the hub, even on a new
workstation's first sync: the next sync then brings everything."""

import random
import signal
import time

import pytest

from console.store.register.digest import register_digest
from tests.support.hub import PASSWORD, HubProcess, prepare_hub
from tests.support.workstation import Workstation
from tests.sync.faultproxy import FaultProxy
from tests.sync.test_sync_hub import call_record

CONNECT_SECONDS = 60  # a child that never reaches the hub fails the test


@pytest.fixture(scope="module")
def big_register(tmp_path_factory):
    from console.demo.register import write_demo_register

    folder = tmp_path_factory.mktemp("register-6000")
    write_demo_register(folder, persons=6000, seed=9)
    return folder


@pytest.fixture
def hub(tmp_path, big_register):
    """This module's hub: SQLite, a register of 6,000 persons, accounts op-1 and sup-1."""
    location = {"data": str(tmp_path / "hub-data")}
    prepare_hub(location, big_register, (("op-1", "operator"), ("sup-1", "supervisor")))
    hub = HubProcess(location, tmp_path).start()
    yield hub
    hub.kill()


@pytest.fixture
def proxy(hub):
    """Between the workstation and the hub, to see the moment a sync reaches the hub."""
    proxy = FaultProxy(hub.port)
    proxy.device = hub.enrol(proxy.url)  # the machine reaches the hub through the proxy: enrolled there as well
    yield proxy
    proxy.close()


def sync_args(url: str) -> tuple:
    return ("--json", "sync", "--hub", url)


def holds_accounts(ws: Workstation) -> bool:
    return not ws.cache.setup_mode


def assert_in_step_with_the_hub(ws: Workstation, hub: HubProcess, logged: list[str]) -> None:
    """Nothing lost, nothing twice, nothing left over: what a finished sync must leave."""
    try:
        assert ws.cache.sign_in("op-1", PASSWORD) == "operator"  # the accounts arrived
        db = ws.cache.db
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        assert register_digest(db) == hub.register()["digest"]
        assert db.execute("SELECT count(*) FROM register_download").fetchone()[0] == 0
    finally:
        ws.close()
    assert sorted(hub.call_ids()) == sorted(logged)


@pytest.mark.slow(seconds=10)
def test_a_first_sync_killed_before_anything_arrived_is_completed_by_the_next(tmp_path, system_keyring, hub,
                                                                              proxy):
    ws = Workstation(tmp_path / "ws.db", "op-1", hub.url)
    proxy.set_mode("hold")  # the hub signs the operator in; its answer never reaches the workstation
    child = ws.start(*sync_args(proxy.url))
    try:
        assert proxy.held.wait(CONNECT_SECONDS), "the sync never reached the hub"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert not holds_accounts(ws), "nothing can have arrived: the hub's first answer was held"
    ws.close()
    recovered = ws.run(*sync_args(hub.url))
    assert recovered.returncode == 0, recovered.stderr
    assert_in_step_with_the_hub(ws, hub, [])
    # and the calls of its first shift reach the hub once
    ws.cache.sign_in("op-1", PASSWORD)
    records = [call_record("op-1", random.Random(5)) for _ in range(30)]
    ws.cache.log_calls(records)
    ws.close()
    for _ in range(2):
        synced = ws.run(*sync_args(hub.url))
        assert synced.returncode == 0, synced.stderr
    assert_in_step_with_the_hub(ws, hub, [r["call_id"] for r in records])


@pytest.mark.slow(seconds=12)
def test_a_sync_killed_at_any_point_resumes(tmp_path, system_keyring, hub, proxy, big_register, second_register):
    ws = Workstation(tmp_path / "ws.db", "op-1", proxy.url)
    rng = random.Random(7)
    logged, killed = [], 0
    for run in range(8):
        if run in (3, 6):  # a new register now and then, so kills land in its fetch and import too
            hub.import_register(second_register if run == 3 else big_register)
            # a sync killed in an import may leave no register to take a delta to: IT lets it take the new one whole
            hub.cli("workstations", "allow-download", proxy.device.workstation)
        if run:
            if not holds_accounts(ws):
                # every sync so far was killed before the accounts arrived, so nobody can sign in
                # here yet: the next sync must bring them
                ws.close()
                finished = ws.run(*sync_args(proxy.url))
                assert finished.returncode == 0, finished.stderr
                assert holds_accounts(ws)
            ws.cache.sign_in("op-1", PASSWORD)
            records = [call_record("op-1", rng) for _ in range(700)]  # two push batches and more
            ws.cache.log_calls(records)
            logged += [r["call_id"] for r in records]
        ws.close()
        proxy.connected.clear()
        child = ws.start(*sync_args(proxy.url))
        try:
            assert proxy.connected.wait(CONNECT_SECONDS), "the sync never reached the hub"
            time.sleep(rng.uniform(0, 0.8))  # a random moment of the sync, from its first request on
        finally:
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                killed += 1
            child.wait()
    for _ in range(2):  # the second finds nothing left to do
        finished = ws.run(*sync_args(proxy.url))
        assert finished.returncode == 0, finished.stderr
    assert_in_step_with_the_hub(ws, hub, logged)
    assert killed >= 5, "most syncs must have been killed part-way for this test to mean anything"
