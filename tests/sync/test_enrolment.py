"""Enrolled workstations against a real hub process, on both backends: only
an enrolled, unrevoked workstation signs in, syncs and gets the register;
a token is nothing without its workstation's key; sign-in is throttled per
account whatever the address claims; every register download is audited."""

import httpx
import pytest

from console.sync.client import HubClient, HubRefused
from console.sync.device import Device
from console.sync.protocol import SIGN_IN_FAILURES

from tests.support.hub import PASSWORD


def _hub_audit(hub, kind):
    from console.hub.audit_log import entries

    db = hub.database()
    try:
        return entries(db, kind)
    finally:
        db.close()


def _sign_in(hub, operator, password=PASSWORD, auth=None, headers=None):
    return httpx.post(hub.url + "/v1/sessions", json={"operator_id": operator, "password": password,
                                                      "workstation": "desk-9"},
                      auth=auth or hub.auth, headers=headers, timeout=10)


def test_a_workstation_not_enrolled_gets_no_session_no_register_and_cannot_push(hub):
    stranger = Device.generate()
    stranger.workstation = "never-enrolled"
    refused = _sign_in(hub, "op-1", auth=stranger.auth())
    assert refused.status_code == 403 and "not enrolled" in refused.json()["error"]
    unsigned = httpx.post(hub.url + "/v1/sessions", json={"operator_id": "op-1", "password": PASSWORD,
                                                          "workstation": "desk-9"}, timeout=10)
    assert unsigned.status_code == 403
    token = _sign_in(hub, "op-1").json()["token"]
    with HubClient(hub.url, token) as bare:  # the token, without the workstation's key
        for call in (bare.register, lambda: bare.push("desk-9", [], None), lambda: bare.snapshot_chunk(1, 0)):
            with pytest.raises(HubRefused) as refusal:
                call()
            assert refusal.value.status == 401


def test_a_token_used_from_another_device_is_refused(hub):
    token = _sign_in(hub, "op-1").json()["token"]
    thief = Device.generate()
    thief.workstation = hub.device.workstation  # claims to be the enrolled workstation, without its key
    with HubClient(hub.url, token, auth=thief.auth()) as client:
        with pytest.raises(HubRefused) as refusal:
            client.changes(0)
    assert refusal.value.status == 401 and "signature" in str(refusal.value)
    with HubClient(hub.url, token, auth=hub.auth) as client:
        assert client.changes(0)["changes"]


def test_a_revoked_workstation_gets_nothing_more(hub, workstations):
    ws = workstations("desk", "op-1", hub.url)
    ws.sync()
    done = hub.cli("workstations", "revoke", hub.device.workstation)
    assert "Revoked" in done.stdout
    with pytest.raises(HubRefused) as refusal:
        ws.sync()
    assert refusal.value.status in (401, 403)
    assert _sign_in(hub, "op-1").status_code == 403
    listed = hub.cli("workstations", "list").stdout
    assert f"{hub.device.workstation}: revoked" in listed
    assert [e["workstation"] for e in _hub_audit(hub, "workstation_revoked")] == [hub.device.workstation]


def test_a_disabled_account_with_the_right_password_is_answered_as_a_wrong_one(hub):
    hub.cli("operators", "disable", "op-2")
    right = _sign_in(hub, "op-2")
    wrong = _sign_in(hub, "op-2", "not the password")
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()


def test_rotating_x_forwarded_for_does_not_bypass_the_limits(hub):
    answers = [_sign_in(hub, "op-1", "wrong guess", headers={"X-Forwarded-For": f"10.9.0.{n}"}).status_code
               for n in range(SIGN_IN_FAILURES + 2)]
    assert answers[:SIGN_IN_FAILURES] == [401] * SIGN_IN_FAILURES
    assert answers[SIGN_IN_FAILURES:] == [429, 429]
    throttled = _sign_in(hub, "op-1", headers={"X-Forwarded-For": "10.9.9.9"})  # even the right password waits
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    failed = _hub_audit(hub, "sign_in_failed")
    assert len(failed) == SIGN_IN_FAILURES + 3 and {e["operator_id"] for e in failed} == {"op-1"}


def test_per_account_throttle_holds_back_every_address_but_not_other_accounts(hub):
    for _ in range(SIGN_IN_FAILURES):
        assert _sign_in(hub, "op-1", "wrong guess").status_code == 401
    assert _sign_in(hub, "op-1").status_code == 429
    assert _sign_in(hub, "op-2").status_code == 200
    assert [e["operator_id"] for e in _hub_audit(hub, "sign_in")] == ["op-2"]


def test_signing_out_revokes_the_token_on_the_hub_and_here(hub, workstations):
    from console.sync.tokens import load_token, sign_out

    ws = workstations("desk", "op-1", hub.url)
    ws.sync()
    token = load_token(hub.url, "op-1", ws.cache.workstation)
    assert token
    sign_out(hub.url, "op-1", ws.cache.workstation)
    assert load_token(hub.url, "op-1", ws.cache.workstation) is None
    with HubClient(hub.url, token, auth=hub.auth) as client:
        with pytest.raises(HubRefused) as refusal:
            client.changes(0)
    assert refusal.value.status == 401
    assert [e["operator_id"] for e in _hub_audit(hub, "sign_out")] == ["op-1"]


def test_a_replaced_cache_on_an_enrolled_machine_syncs_at_once(hub, workstations):
    first = workstations("desk", "op-1", hub.url)
    first.sync()
    first.close()
    replaced = workstations("desk-again", "op-1", hub.url)  # a new cache on the same machine
    report = replaced.sync()
    assert report.register != "none"
    assert replaced.cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 1500


def test_register_downloads_are_audited_on_the_hub(hub, workstations):
    ws = workstations("desk", "op-1", hub.url)
    ws.sync()
    downloads = _hub_audit(hub, "register_download")
    assert downloads and {(e["operator_id"], e["workstation"]) for e in downloads} == {
        ("op-1", hub.device.workstation)}
    assert sum(e["detail"]["bytes"] for e in downloads) == hub.register()["size"]
    assert all(e["detail"]["register"] == 1 and e["at"] for e in downloads)


def test_a_workstation_ten_minutes_fast_is_warned_and_keeps_the_hubs_offset(hub, workstations, monkeypatch):
    from datetime import timedelta

    from console.core.clock import skew_warning
    from console.core.timeutil import now
    from console.store.clock import clock_offset, hub_now, record_offset
    from console.store.connection import write_transaction
    from console.sync import device
    from console.sync.engine import sync_cache
    from console.sync.tokens import hub_client

    ws = workstations("desk", "op-1", hub.url)
    monkeypatch.setattr(device, "now", lambda: now() + timedelta(minutes=10))  # this machine's clock runs fast
    with hub_client(hub.url, "op-1", ws.cache.workstation, PASSWORD) as client:
        sync_cache(ws.cache, client)
        offset = client.device_auth.clock_offset
    assert -620 < offset < -580
    assert "10 minutes ahead of the hub's" in skew_warning(offset)
    with write_transaction(ws.cache.db):
        record_offset(ws.cache.db, offset)
    assert clock_offset(ws.cache.db) == pytest.approx(offset, abs=0.01)
    assert abs((hub_now(ws.cache.db) - now()).total_seconds() - offset) < 5
    assert skew_warning(30.0) is None


def test_a_second_register_a_day_needs_an_admin_and_old_snapshots_are_retired(hub, workstations, second_register):
    from console.sync.tokens import hub_client

    first = workstations("desk", "op-1", hub.url)
    first.sync()
    hub.import_register(second_register)  # as `hub import-register` does; that command has its tests
    replaced = workstations("desk-new", "op-1", hub.url)  # a new cache on the machine needs register 2 whole
    with hub_client(hub.url, "op-1", replaced.cache.workstation, PASSWORD) as client:
        with pytest.raises(HubRefused) as refusal:
            client.snapshot_chunk(2, 0)
        assert refusal.value.status == 403 and "needs an administrator" in str(refusal.value)
        assert client.snapshot_chunk(1, 0)  # the register it took today, again: nothing new leaves the hub
    allowed = hub.cli("workstations", "allow-download", hub.device.workstation)
    assert "one more full register today" in allowed.stdout
    with hub_client(hub.url, "op-1", replaced.cache.workstation, PASSWORD) as client:
        assert client.snapshot_chunk(2, 0)  # IT let it take one more
    first.sync()  # the delta to register 2: no enrolled workstation holds register 1 any more
    with hub_client(hub.url, "op-1", first.cache.workstation, PASSWORD) as client:
        with pytest.raises(HubRefused) as refusal:
            client.snapshot_chunk(1, 0)
    assert refusal.value.status == 410 and "no longer keeps" in str(refusal.value)


def test_a_snapshot_left_part_way_does_not_count_as_the_days_register(hub, workstations, second_register):
    """A workstation interrupted while fetching a register, when a new one is
    published, takes the new one whole: it never held the first."""
    from console.sync.tokens import hub_client

    ws = workstations("desk", "op-1", hub.url)
    with hub_client(hub.url, "op-1", ws.cache.workstation, PASSWORD) as client:
        assert client.snapshot_chunk(1, 0, 1024)  # the first slice only, then the sync was cut off
    hub.import_register(second_register)  # as `hub import-register` does; that command has its tests
    with hub_client(hub.url, "op-1", ws.cache.workstation, PASSWORD) as client:
        assert client.snapshot_chunk(2, 0)
