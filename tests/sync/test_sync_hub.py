"""Workstations and a real hub process on 127.0.0.1: offline work arrives
once, faults lose and double nothing, the lockout holds across workstations,
and every register equals the hub's."""

import random
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from console.core.calls import validate_call_record
from console.core.policy import CallerClaim
from console.store import attempts
from console.store.register.digest import register_digest
from console.sync.client import HubRefused, HubUnreachable
from console.sync.engine import Interrupted, SyncFailed
from tests.support.hub import PASSWORD
from tests.sync.faultproxy import FaultProxy

NZ = timezone(timedelta(hours=13))


def call_record(operator: str, rng: random.Random, call_id: str | None = None) -> dict:
    # within the last 10 hours: an operator may not enter a call more than 12 hours old (policy v2)
    start = datetime.now(NZ) - timedelta(minutes=rng.randrange(20, 600))
    verified = rng.random() < 0.5
    return validate_call_record({
        "call_id": call_id or str(uuid.uuid4()),
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=rng.randrange(60, 900))).isoformat(),
        "operator": operator,
        "caller_type": rng.choice(["patient", "representative", "other"]),
        "person_id": None,
        "verification": "not_verified" if not verified else "not_attempted",
        "assurance": None,
        "disclosed_status": None,
        "guidance_delivered": [{"id": "opening", "version": "1"}],
        "topics": ["am-i-affected"],
        "outcome": rng.choice(["resolved", "callback", "escalated", "referred", "abandoned"]),
        "region": rng.choice(["Northland", "Auckland", "Waikato", None]),
    })


def test_calls_logged_during_an_outage_arrive_once_when_the_hub_returns(hub, workstations):
    ws = workstations("ws-a", "op-1", hub.url, timeout=2)
    first = ws.sync()
    assert first.register.startswith("imported") and ws.cache.role == "operator"
    hub.kill()
    rng = random.Random(1)
    records = [call_record("op-1", rng) for _ in range(20)]
    for record in records:
        ws.cache.log_calls([record])  # saved at once: nothing waits for the network
        with pytest.raises(HubUnreachable):
            ws.sync()
    assert ws.cache.sync_status()["outbox_by_kind"]["call"] == 20
    hub.start()
    report = ws.sync()
    assert report.outbox == 0 and report.unpushed_audit == 0
    assert sorted(hub.call_ids()) == sorted(r["call_id"] for r in records)
    ws.sync()  # nothing is sent twice
    assert len(hub.call_ids()) == 20


def test_two_failed_attempts_on_one_workstation_and_one_on_another_lock_the_person_on_both(hub, workstations):
    a = workstations("ws-a", "op-1", hub.url)
    b = workstations("ws-b", "op-2", hub.url)
    a.sync(), b.sync()
    person = dict(zip(("person_id", "family_name", "given_names", "date_of_birth", "nhi", "phones"), a.cache.db.execute(
        "SELECT person_id, family_name, given_names, date_of_birth, nhi, phones FROM persons "
        "WHERE date_of_birth IS NOT NULL AND nhi IS NOT NULL AND phones != '' ORDER BY person_id LIMIT 1").fetchone()))
    # a check that could verify (two strong factors in a valid form, policy v2) but that are not theirs: insufficient
    claim = CallerClaim(person["family_name"], person["given_names"].split()[0],
                        date.fromisoformat(person["date_of_birth"]), phone="021 999 8888", email="guess@example.com")
    for ws in (a, a, b):
        assert ws.cache.verify_caller(claim).decision.reason == "insufficient"
    at = datetime.now(timezone.utc)
    assert not attempts.is_locked(a.cache.db, person["person_id"], at)
    assert not attempts.is_locked(b.cache.db, person["person_id"], at)
    a.sync(), b.sync(), a.sync()
    genuine = CallerClaim(claim.family_name, claim.given_name, claim.date_of_birth, nhi=person["nhi"],
                          phone=person["phones"].split(";")[0])  # by knowledge: a lock stops it
    for ws in (a, b):
        assert attempts.is_locked(ws.cache.db, person["person_id"], datetime.now(timezone.utc))
        assert ws.cache.verify_caller(genuine).decision.reason == "locked"


def test_the_same_call_id_with_a_different_body_is_a_conflict_never_an_overwrite(hub, workstations):
    a = workstations("ws-a", "op-1", hub.url)
    b = workstations("ws-b", "op-2", hub.url)
    a.sync(), b.sync()
    rng = random.Random(2)
    call_id = str(uuid.uuid4())
    a.cache.log_calls([call_record("op-1", rng, call_id)])
    b.cache.log_calls([call_record("op-2", rng, call_id)])
    a.sync()
    report = b.sync()
    assert report.pushed.get("conflict") == 1 and report.conflicts == 1
    conflict = b.cache.sync_status()["conflicts"][0]
    assert conflict["id"] == call_id and conflict["message"].endswith(".")
    assert hub.call_ids() == [call_id]
    db = hub.database()
    try:
        with db.read() as tx:
            assert tx.value("SELECT operator FROM calls WHERE call_id = ?", [call_id]) == "op-1"
    finally:
        db.close()


def test_a_new_register_on_the_hub_reaches_every_workstation(hub, workstations, second_register):
    a = workstations("ws-a", "op-1", hub.url)
    a.sync()
    assert register_digest(a.cache.db) == hub.register()["digest"]
    hub.import_register(second_register)
    report = a.sync()
    assert report.register.startswith("imported")
    assert register_digest(a.cache.db) == hub.register()["digest"]
    assert a.cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 1600


def test_an_interrupted_first_pull_resumes_where_it_stopped(hub, workstations):
    a = workstations("ws-a", "op-1", hub.url, chunk_bytes=8192)
    chunks = []

    def progress(stage, done, total):
        if stage == "download":
            chunks.append(done)

    stop_after = 5
    with pytest.raises(Interrupted):
        a.sync(progress=progress, should_stop=lambda: len(chunks) > stop_after)
    held = a.cache.db.execute("SELECT coalesce(sum(length(data)), 0) FROM register_download").fetchone()[0]
    assert held == chunks[-1] > 0
    resumed = []
    a.sync(progress=lambda stage, done, total: resumed.append(done) if stage == "download" else None)
    assert resumed[0] == held  # it did not start again from byte 0
    assert register_digest(a.cache.db) == hub.register()["digest"]
    assert a.cache.db.execute("SELECT count(*) FROM register_download").fetchone()[0] == 0


FAULTS = ("kill_mid_push", "kill_mid_pull", "refuse", "drop_after_processing", "slow")


@pytest.mark.slow(seconds=65)
@pytest.mark.hub_serve("--pushes-per-minute", 100_000)  # its subject is faults; each workstation pushes ~150 a minute
def test_fault_injection_every_call_on_the_hub_exactly_once(hub, workstations, second_register):
    """50 runs, each with one fault while two workstations sync; after each,
    every call logged so far is on the hub once and every register equals
    the hub's."""
    proxy = FaultProxy(hub.port, slow_seconds=1.5)
    hub.enrol(proxy.url)
    rng = random.Random(20261125)
    a = workstations("ws-a", "op-1", proxy.url, timeout=0.8, chunk_bytes=8192)
    b = workstations("ws-b", "op-2", proxy.url, timeout=0.8, chunk_bytes=8192)
    logged: list[str] = []
    seen = {fault: 0 for fault in FAULTS}
    try:
        for run in range(50):
            fault = FAULTS[run % len(FAULTS)]
            seen[fault] += 1
            for ws in (a, b):
                records = [call_record(ws.operator, rng) for _ in range(rng.randrange(1, 4))]
                ws.cache.log_calls(records)
                logged.extend(r["call_id"] for r in records)
            if fault == "kill_mid_pull":  # a new register, so the hub dies during its download
                hub.import_register(second_register if seen[fault] % 2 else hub.first_register)
            _sync_under_fault(hub, proxy, rng, fault, a if run % 2 else b)
            proxy.set_mode("pass")
            if hub.process.poll() is not None:
                hub.start()
            for ws in (a, b):
                _sync_until_done(ws, f"run {run} ({fault}), hub alive: {hub.process.poll() is None}")
            on_hub = hub.call_ids()
            assert len(on_hub) == len(set(on_hub)) == len(logged), f"run {run} ({fault})"
            assert set(on_hub) == set(logged), f"run {run} ({fault})"
            digest = hub.register()["digest"]
            for ws in (a, b):
                assert register_digest(ws.cache.db) == digest, f"run {run} ({fault})"
    finally:
        proxy.close()
    assert all(n >= 10 for n in seen.values())
    assert hub.starts > 10, "the hub was hardly ever killed: the kills came too late"
    # 30 runs set a fault mode; under load a run may end before any request reaches the proxy
    assert proxy.faults >= 25, "the proxy hardly ever misbehaved"


@pytest.mark.hub_serve("--pushes-per-minute", 3)
def test_the_hub_takes_as_many_pushes_a_minute_as_it_is_told_and_what_waits_stays_queued(hub, workstations):
    ws = workstations("ws-a", "op-1", hub.url)
    rng = random.Random(3)
    refused = None
    for _ in range(2 * 3 + 1):  # each sync pushes at least once: more than 3 in one minute
        ws.cache.log_calls([call_record(ws.operator, rng)])
        try:
            ws.sync()
        except HubUnreachable as exc:
            refused = str(exc)
            break
    assert refused and "has pushed 3 times this minute, the most the hub takes" in refused
    from console.store.outbox import outbox_count, unpushed_audit

    assert outbox_count(ws.cache.db) + unpushed_audit(ws.cache.db) >= 1  # kept for the next sync


def test_hub_serve_refuses_a_push_limit_out_of_range_with_a_sentence(tmp_path):
    from tests.support.hub import run_hub_cli

    for limit in ("0", "100001"):
        result = run_hub_cli("serve", "--data", tmp_path / "hub", "--pushes-per-minute", limit, "--port", "1")
        assert result.returncode != 0
        assert f"--pushes-per-minute {limit} is out of range: a workstation may be allowed 1 to 100,000" in \
            result.stderr
    assert not (tmp_path / "hub").exists()  # nothing was made


def _sync_under_fault(hub, proxy, rng, fault, ws):
    if fault in ("refuse", "drop_after_processing", "slow"):
        proxy.set_mode(fault)
        try:
            ws.sync()
        except (HubUnreachable, SyncFailed):
            pass
        return
    # kill the hub while this workstation is pushing (or pulling): at a random
    # moment, or just after the hub answered a push, before it is acknowledged
    point = "push_answered" if fault == "kill_mid_push" else "chunk_stored"
    timer = threading.Timer(rng.uniform(0, 0.05), hub.kill)
    if rng.random() < 0.5:
        timer.start()
        hook = None
    else:
        def hook(where):
            if where == point:
                hub.kill()
    try:
        _sync_with_fault(ws, hook)
    except (HubUnreachable, SyncFailed):
        pass
    finally:
        timer.cancel()
        if timer.is_alive():
            timer.join()  # a kill under way finishes before anyone asks whether the hub is up


def _sync_with_fault(ws, hook):
    from console.sync.engine import Sync
    from console.sync.tokens import hub_client

    with hub_client(ws.url, ws.operator, ws.cache.workstation, PASSWORD, timeout=ws.timeout) as client:
        Sync(ws.cache.db, client, ws.cache.workstation, ws.operator, chunk_bytes=ws.chunk_bytes, fault=hook).run()


def _sync_until_done(ws, where: str, tries: int = 20):
    problems = []
    for _ in range(tries):
        try:
            report = ws.sync()
        except (HubUnreachable, SyncFailed, HubRefused) as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.1)
            continue
        if report.outbox == 0 and report.unpushed_audit == 0:
            return report
        problems.append(f"left: {report.as_json()}")
    raise AssertionError(f"{where}: the workstation could not finish a sync after the fault: {problems[-3:]}")


@pytest.fixture
def changed_register(tmp_path, demo_register):
    """The demo register with some persons changed, removed and added, and a file removed."""
    import csv
    import hashlib
    import json
    import shutil

    folder = tmp_path / "changed-register"
    shutil.copytree(demo_register, folder)
    with open(folder / "persons.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, persons = rows[0], rows[1:]
    with open(folder / "documents.csv", encoding="utf-8", newline="") as f:
        documents = list(csv.reader(f))
    in_documents = {row[1] for row in documents[1:]}
    removable = [p for p in persons if p[0] not in in_documents][:5]
    persons = [p for p in persons if p not in removable]
    persons[10][header.index("suburb")] = "Kerikeri"
    persons[11][header.index("email")] = "new.address@example.nz"
    added = list(persons[12])
    added[0] = "ZZ-NEW-0001"
    added[header.index("nhi")] = ""
    added[header.index("notification_code")] = "NEWC-0DE1"
    persons.append(added)
    documents = documents[:-1]
    with open(folder / "persons.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *persons])
    with open(folder / "documents.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(documents)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["register_version"] = "demo-changed"
    manifest["counts"].update(persons=len(persons), documents=len(documents) - 1)
    manifest["sha256"] = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                          for name in ("persons.csv", "documents.csv", "practices.csv")}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_workstation_holding_the_register_before_fetches_only_the_changes(hub, workstations, changed_register):
    a = workstations("ws-a", "op-1", hub.url)
    a.sync()
    hub.import_register(changed_register)
    offer = hub.register()
    assert offer["delta_from"] == 1 and offer["delta_size"] < offer["size"] / 5
    fetched = []
    report = a.sync(progress=lambda stage, done, total: fetched.append(total) if stage == "download" else None)
    assert report.register == "imported demo-changed (changes only)"
    assert max(fetched) == offer["delta_size"]
    assert register_digest(a.cache.db) == offer["digest"]
    from console.core.codes import verify_code

    assert verify_code("NEWC-0DE1", a.cache.db.execute("SELECT notification_code_hash FROM persons "
                                                      "WHERE person_id = 'ZZ-NEW-0001'").fetchone()[0])
    # a new workstation (another machine: its own enrolment, kept under another address of the hub, as the
    # test keystore is this machine's) takes the whole snapshot, and arrives at the same register
    elsewhere = hub.url.replace("127.0.0.1", "localhost")
    hub.enrol(elsewhere)
    b = workstations("ws-b", "op-2", elsewhere)
    assert b.sync().register == "imported demo-changed"
    assert register_digest(b.cache.db) == offer["digest"]
