"""POST /v1/cti/{token}, GET /v1/queue and /v1/missed-callers on both backends."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from console.core.telephony import day_bounds, queue_figures, tally_calls, traces
from console.core.timeutil import now as now_in_helpline
from console.hub import telephony
from tests.hub.bodies import call_item


def event(kind, call_id, frm="+6421555001", **extra):
    return {"event": kind, "callId": call_id, "from": frm, "to": "0800111222", "direction": "in",
            "queue": "helpline", **extra}


@pytest.fixture
def pbx(hub):
    return "/v1/cti/" + telephony.add_pbx(hub.db, "pbx-1")


def test_each_event_is_stored_once_and_repeats_are_answered_without_counting(hub, pbx):
    assert hub.client.post(pbx, json=event("newCall", "c1")).json() == {"stored": True}
    assert hub.client.post(pbx, json=event("newCall", "c1")).json() == {"stored": False}
    assert hub.client.post(pbx, data={**event("answer", "c1"), "user": "Anna"}).json() == {"stored": True}
    assert hub.client.post(pbx, json=event("hangup", "c1", cause="normalClearing")).json() == {"stored": True}
    with hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM cti_events") == 3
        assert tx.one("SELECT outcome, cause FROM cti_calls") == ("answered", "normalClearing")


def test_bad_input_is_a_4xx_with_a_sentence_never_a_5xx(hub, pbx):
    bad = [
        (dict(content=b"{not json", headers={"content-type": "application/json"}), 400, "could not be read"),
        (dict(content=b"\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"}), 400, "UTF-8"),
        (dict(json=[1, 2]), 400, "JSON object"),
        (dict(json=event("hangup", "c2")), 400, "The field cause is missing."),
        (dict(json=event("newCall", "x" * 251)), 400, "at most 250"),
        (dict(json=event("newCall", "c3", frm="a\u0000b")), 400, "not storable"),
        (dict(content=b"x", headers={"content-type": "text/plain"}), 415, "JSON or form data"),
    ]
    for kwargs, status, words in bad:
        answer = hub.client.post(pbx, **kwargs)
        assert answer.status_code == status and words in answer.json()["error"], answer.text
    unknown = hub.client.post("/v1/cti/not-a-token", json=event("newCall", "c4"))
    assert unknown.status_code == 404 and "No PBX has this address" in unknown.json()["error"]
    with hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM cti_events") == 0


def test_a_revoked_token_stops_working_and_tokens_are_stored_hashed(hub, pbx):
    token = pbx.rsplit("/", 1)[1]
    with hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM pbxs WHERE token_sha256 = ?", [token]) == 0
    telephony.revoke_pbx(hub.db, "pbx-1")
    assert hub.client.post(pbx, json=event("newCall", "c1")).status_code == 404


def test_a_blocked_number_is_rejected_as_zammad_says(hub, pbx):
    telephony.block_number(hub.db, "021 555 666")
    assert hub.client.post(pbx, json=event("newCall", "b1", frm="+6421555666")).json() == {
        "stored": True, "action": "reject"}
    assert "action" not in hub.client.post(pbx, json=event("newCall", "b2", frm="+6421555667")).json()
    telephony.unblock_number(hub.db, "+6421555666")
    assert "action" not in hub.client.post(pbx, json=event("newCall", "b3", frm="+6421555666")).json()


def test_queue_and_missed_callers_for_supervisors_only_and_equal_to_the_event_log(hub, pbx):
    now = datetime.now(timezone.utc)
    # half an hour ago, or the helpline day's first second when it began less than that ago
    base = max(now - timedelta(minutes=30), day_bounds(now_in_helpline().date())[0] + timedelta(seconds=1))
    for i in range(12):
        at = base + timedelta(seconds=10 * i)
        frm = f"+64215550{i % 5:02d}"
        hub.client.post(pbx, json=event("newCall", f"q{i}", frm=frm, at=at.isoformat()))
        if i % 4 == 0:
            hub.client.post(pbx, json=event("hangup", f"q{i}", frm=frm, cause="cancel",
                                            at=(at + timedelta(seconds=i)).isoformat()))
        elif i % 4 != 3:
            hub.client.post(pbx, json=event("answer", f"q{i}", frm=frm, at=(at + timedelta(seconds=7 * i)).isoformat()))
            hub.client.post(pbx, json=event("hangup", f"q{i}", frm=frm, cause="normalClearing",
                                            at=(at + timedelta(seconds=200)).isoformat()))
    operator = hub.token("op-1")
    assert hub.client.get("/v1/queue", headers=operator).status_code == 403
    assert hub.client.get("/v1/missed-callers", headers=operator).status_code == 403
    supervisor = hub.token("sup-1", "supervisor")
    day = now_in_helpline().date()
    figures = hub.client.get("/v1/queue", headers=supervisor, params={"day": day.isoformat()}).json()
    logged = telephony.events_of_day(hub.db, day)
    expected = queue_figures(tally_calls(traces((e, at) for _, e, at in logged).values(), day))
    assert figures["overall"]["offered"] == 12
    for name in ("offered", "answered", "abandoned", "short_abandoned", "service_level",
                 "average_speed_of_answer_seconds", "average_handle_seconds"):
        assert figures["overall"][name] == expected["overall"][name], name
    assert figures["overall"]["waiting_now"] == 3 and abs(
        figures["overall"]["longest_wait_seconds"] - ((now - base).total_seconds() - 30)) < 60  # i = 3, at base + 30 s
    missed = hub.client.get("/v1/missed-callers", headers=supervisor, params={"day": day.isoformat()}).json()
    # i = 0, 4, 8 abandoned, from …000, …004, …003: …000 got through at i = 5, …004 at i = 9, …003 never
    shown = [(m["number"], m["resolved"]) for m in missed["missed_callers"]]
    assert shown == [("021 555 003", False), ("021 555 004", True), ("021 555 000", True)], shown
    assert (missed["total"], missed["open"]) == (3, 1)
    bad = hub.client.get("/v1/queue", headers=supervisor, params={"day": "3 March"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]


def test_the_telephony_commands_add_list_revoke_map_and_block(hub, database_location):
    from tests.hub.conftest import location_args, run_hub_cli

    where = location_args(database_location)
    added = run_hub_cli("telephony", "add-pbx", "main-pbx", "--base-url", "https://hub.example.org", *where)
    assert added.returncode == 0, added.stderr
    url = added.stdout.splitlines()[1]
    assert url.startswith("https://hub.example.org/v1/cti/") and len(url.rsplit("/", 1)[1]) >= 43
    path = url.removeprefix("https://hub.example.org")
    assert hub.client.post(path, json=event("newCall", "k1")).json() == {"stored": True}
    again = run_hub_cli("telephony", "add-pbx", "main-pbx", *where)
    assert again.returncode == 2 and "already a PBX called main-pbx" in again.stderr
    hub.add("op-7")
    assert run_hub_cli("telephony", "map", "op-7", "1007", *where).returncode == 0
    unknown = run_hub_cli("telephony", "map", "op-404", "1008", *where)
    assert unknown.returncode == 2 and "no operator op-404" in unknown.stderr
    assert run_hub_cli("telephony", "block", "+6421555666", *where).returncode == 0
    assert hub.client.post(path, json=event("newCall", "k2", frm="021555666")).json()["action"] == "reject"
    assert run_hub_cli("telephony", "unblock", "+6421555666", *where).returncode == 0
    listed = run_hub_cli("telephony", "list", *where)
    assert "main-pbx: added" in listed.stdout and "last event" in listed.stdout
    assert run_hub_cli("telephony", "revoke", "main-pbx", *where).returncode == 0
    assert hub.client.post(path, json=event("newCall", "k3")).status_code == 404
    with hub.db.read() as tx:
        assert tx.value("SELECT operator_id FROM operator_extensions WHERE extension = '1007'") == "op-7"


def test_an_answer_and_its_hangup_reach_the_answering_operators_live_channel_only(hub, pbx, monkeypatch):
    """The screen pop's source: an inbound call answered by a mapped extension
    is published to that operator (console.hub.live's shapes), nobody else."""
    from console.hub import live

    sent = []
    monkeypatch.setattr(live, "publish", lambda operator, notice: sent.append((operator, notice)))
    hub.add("op-7")
    hub.add("op-8")
    telephony.map_extension(hub.db, "op-7", "1007")
    telephony.map_extension(hub.db, "op-8", "1008")
    at = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    hub.client.post(pbx, json=event("newCall", "p1", user=["1007", "1008"], at=at.isoformat()))
    assert sent == []  # ringing is not a pop
    hub.client.post(pbx, json=event("answer", "p1", user="1007", at=(at + timedelta(seconds=12)).isoformat()))
    hub.client.post(pbx, json=event("answer", "p1", user="1007", at=(at + timedelta(seconds=12)).isoformat()))
    hub.client.post(pbx, json=event("hangup", "p1", user="1007", cause="normalClearing",
                                    at=(at + timedelta(seconds=100)).isoformat()))
    assert [operator for operator, _ in sent] == ["op-7", "op-7"]  # the repeat popped nothing
    answer, hangup = sent[0][1], sent[1][1]
    assert answer == {"type": "answer", "callId": "p1", "from": "+6421555001", "queue": "helpline",
                      "waitSeconds": 12.0, "answeredAt": (at + timedelta(seconds=12)).isoformat()}
    assert hangup["type"] == "hangup" and hangup["cause"] == "normalClearing" and hangup["talkSeconds"] == 88.0
    from console.core.live import event_problem

    assert event_problem(answer) is None and event_problem(hangup) is None


def _today_base(minutes=30):
    now = datetime.now(timezone.utc)
    return max(now - timedelta(minutes=minutes), day_bounds(now_in_helpline().date())[0] + timedelta(seconds=1))


def test_handle_time_runs_to_the_linked_call_saved_and_the_operator_is_in_wrap_up_until_then(hub, pbx):
    operator = hub.token("op-17")
    telephony.map_extension(hub.db, "op-17", "101")
    base = _today_base()
    at = lambda s: (base + timedelta(seconds=s)).isoformat(timespec="seconds")  # noqa: E731
    for call_id, answer, hangup in (("w1", 10, 110), ("w2", 200, 260)):
        hub.client.post(pbx, json=event("newCall", call_id, at=at(answer - 10)))
        hub.client.post(pbx, json=event("answer", call_id, user="101", at=at(answer)))
        if call_id == "w1":
            hub.client.post(pbx, json=event("hangup", call_id, cause="normalClearing", at=at(hangup)))
    supervisor = hub.token("sup-1", "supervisor")
    figures = hub.client.get("/v1/queue", headers=supervisor).json()
    assert (figures["operators"]["on_call"], figures["operators"]["wrap_up"]) == (1, 0)  # w2 still on
    hub.client.post(pbx, json=event("hangup", "w2", cause="normalClearing", at=at(260)))
    figures = hub.client.get("/v1/queue", headers=supervisor).json()
    assert (figures["operators"]["on_call"], figures["operators"]["wrap_up"]) == (0, 1)  # w2 hung up, not saved
    assert figures["overall"]["average_handle_seconds"] == 80.0  # (100 + 60) / 2, both to the hangup
    assert "2 of 2" in figures["formulas"]["average_handle_time"]
    # w2 written up until 400 s: its handle time runs to the save, and the operator is free
    reply = hub.push(operator, [call_item(started=at(200), ended=at(400), pbx_call_id="w2")])
    assert reply.json()["results"][0]["status"] == "stored", reply.text
    figures = hub.client.get("/v1/queue", headers=supervisor).json()
    assert (figures["operators"]["on_call"], figures["operators"]["wrap_up"]) == (0, 0)
    assert figures["overall"]["average_handle_seconds"] == 150.0  # (100 + 200) / 2
    assert figures["overall"]["handled_to_hangup"] == 1 and "1 of 2" in figures["formulas"]["average_handle_time"]
    # a call saved before its events arrive (a relay catching up) is linked when they do
    hub.push(operator, [call_item(started=at(500), ended=at(800), pbx_call_id="w3")])
    for kind, s in (("newCall", 490), ("answer", 500), ("hangup", 700)):
        hub.client.post(pbx, json=event(kind, "w3", user="101", at=at(s), **({"cause": "normalClearing"}
                                                                               if kind == "hangup" else {})))
    figures = hub.client.get("/v1/queue", headers=supervisor).json()
    assert figures["overall"]["average_handle_seconds"] == 200.0  # (100 + 200 + 300) / 3
    assert figures["formulas"]["average_handle_time"].startswith("answer → call saved (1 of 3")
    with hub.db.write() as tx:  # a database from before the sums were kept: migration m012 links and counts
        for statement in ("DELETE FROM cti_tallies", "DELETE FROM cti_answer_waits",
                          "UPDATE cti_calls SET saved_at = NULL, handle_seconds = NULL"):
            tx.execute(statement)
        telephony.rebuild_tallies(tx)
    assert hub.client.get("/v1/queue", headers=supervisor).json() == figures


def test_the_kept_tallies_equal_a_recount_from_the_event_log_whatever_the_order_and_repeats(hub, pbx):
    base = _today_base()
    posts = []
    for i in range(30):
        at = base + timedelta(seconds=7 * i)
        frm = f"+64215551{i % 7:02d}"
        posts.append(event("newCall", f"t{i}", frm=frm, queue=("youth" if i % 3 else "helpline"), at=at.isoformat()))
        if i % 5 == 0:
            posts.append(event("hangup", f"t{i}", frm=frm, cause="cancel", at=(at + timedelta(seconds=i)).isoformat()))
        elif i % 5 != 4:
            posts.append(event("answer", f"t{i}", frm=frm, at=(at + timedelta(seconds=3 * i)).isoformat()))
            posts.append(event("hangup", f"t{i}", frm=frm, cause="normalClearing",
                               at=(at + timedelta(seconds=300)).isoformat()))
    for body in reversed(posts):  # hangups before their newCall, each twice
        hub.client.post(pbx, json=body)
        hub.client.post(pbx, json=body)
    day = now_in_helpline().date()
    for target in (5, 20, 60, 3600):
        kept = telephony.figures_for_day(hub.db, day, target)
        logged = telephony.events_of_day(hub.db, day)
        calls = traces((e, at) for _, e, at in logged).values()
        recount = queue_figures(tally_calls(calls, day, target), target=target)
        pairs = [(name, kept[name], recount[name]) for name in ("overall", "hours")]
        pairs += [(queue, kept["queues"][queue], figures) for queue, figures in recount["queues"].items()]
        for name, got, want in pairs:
            now_only = ("waiting_now", "longest_wait_seconds")  # of today's calls waiting now, not of the sums
            assert {k: v for k, v in got.items() if k not in now_only} == \
                {k: v for k, v in want.items() if k not in now_only}, (name, target)
        assert set(kept["queues"]) == set(recount["queues"])
    with hub.db.write() as tx:  # the migration's rebuild gives the same sums
        before = tx.all("SELECT * FROM cti_tallies ORDER BY day, queue, hour, outcome")
        telephony.rebuild_tallies(tx)
        assert tx.all("SELECT * FROM cti_tallies ORDER BY day, queue, hour, outcome") == before
