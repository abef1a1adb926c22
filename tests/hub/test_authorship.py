"""Policy v2's "Who may attest what" at the hub, against a real `python -m
console.hub serve` on both backends: an operator's token cannot store or fan
out what an operator may not make; a supervisor's can where the policy allows;
every refusal is a sentence, kept for supervisors, never fed to anyone."""

from datetime import timedelta

import httpx
import pytest

from console.core import authorship
from console.core.timeutil import now, utc_text

from tests.hub.bodies import attempt_item, call_item, callback_item, unlock_item
from tests.hub.conftest import PASSWORD, WORKSTATION
from tests.support.hub import backdate_enrolment


@pytest.fixture
def running(hub_process, hub_db):
    """The hub process, and a way to sign in accounts added to its database."""
    from console.hub.accounts import add_operator

    def client(operator_id: str, role: str = "operator", workstation: str = WORKSTATION) -> httpx.Client:
        add_operator(hub_db, operator_id, role, PASSWORD, created_by="test")
        reply = httpx.post(f"{hub_process.url}/v1/sessions", timeout=10, auth=hub_process.auth,
                           json={"operator_id": operator_id, "password": PASSWORD, "workstation": workstation})
        assert reply.status_code == 200, reply.text
        return httpx.Client(base_url=hub_process.url, timeout=30, auth=hub_process.auth,
                            headers={"Authorization": f"Bearer {reply.json()['token']}"})

    return client


def push(client: httpx.Client, *items, workstation: str = WORKSTATION) -> list[dict]:
    reply = client.post("/v1/push", json={"workstation": workstation, "items": list(items), "audit_head": None})
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def escalation_ack_item(call_id="c-esc", operator="op-17", at="2026-01-06T09:30:00.000000+00:00") -> dict:
    return {"kind": "escalation_ack", "id": call_id, "body": {"call_id": call_id, "at": at, "operator": operator,
                                                             "workstation": WORKSTATION, "note": None}}


def as_author(item: dict, operator: str) -> dict:
    return dict(item, body=dict(item["body"], operator=operator))


def fed(client: httpx.Client) -> list[tuple[str, str]]:
    return [(c["kind"], c["id"]) for c in client.get("/v1/changes").json()["changes"]]


def held(hub_db, table: str) -> int:
    with hub_db.read() as tx:
        return tx.value(f"SELECT count(*) FROM {table}")


def ten_minutes_ahead() -> str:
    return utc_text(now() + timedelta(minutes=10))


FORGERIES = {
    "an unlock": (as_author(unlock_item("u-forged"), "op-17"), "unlocks", "Only a supervisor may unlock"),
    "an escalation taken up": (escalation_ack_item(), "escalation_acks", "needs a supervisor's session"),
    "an attempt for another workstation": (attempt_item("a-other", workstation="ws-south-2"), "attempts",
                                           "pushes only its own records"),
    "a call credited to someone else": (as_author(call_item("c-credited"), "op-99"), "calls",
                                        "is credited to op-99, but op-17 is pushing it"),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_an_operator_token_cannot_store_or_fan_out(running, hub_db, forgery):
    item, table, sentence = FORGERIES[forgery]
    operator = running("op-17")
    results = push(operator, item)
    assert [r["status"] for r in results] == ["refused"]
    assert sentence in results[0]["message"]
    assert held(hub_db, table) == 0
    assert (item["kind"], item["id"]) not in fed(operator)
    supervisor = running("sup-1", "supervisor", workstation="ws-office")
    listed = supervisor.get("/v1/refused").json()["refused"]
    assert [(r["operator_id"], r["workstation"], r["kind"], r["id"]) for r in listed] == [
        ("op-17", WORKSTATION, item["kind"], item["id"])]
    assert listed[0]["message"] == results[0]["message"]
    assert operator.get("/v1/refused").status_code == 403


def test_a_future_dated_attempt_is_refused_and_one_within_the_clock_skew_is_stored(running, hub_db):
    operator = running("op-17")
    future = attempt_item("a-future", at=ten_minutes_ahead())
    skewed = attempt_item("a-skewed", at=utc_text(now() + authorship.CLOCK_SKEW - timedelta(seconds=30)))
    results = push(operator, future, skewed)
    assert [r["status"] for r in results] == ["refused", "stored"]
    assert "never in the future" in results[0]["message"]
    assert ("attempt", "a-future") not in fed(operator)
    with hub_db.read() as tx:
        assert tx.all("SELECT attempt_id FROM attempts") == [("a-skewed",)]


def test_records_dated_before_the_workstation_was_enrolled_are_refused_and_never_fed(running, hub_db):
    enrolled = now() - timedelta(hours=1)
    backdate_enrolment(hub_db, WORKSTATION, utc_text(enrolled))
    operator = running("op-17")
    supervisor = running("sup-1", "supervisor")
    before = utc_text(enrolled - authorship.CLOCK_SKEW - timedelta(minutes=1))
    within_skew = utc_text(enrolled - authorship.CLOCK_SKEW + timedelta(minutes=1))
    results = push(operator, attempt_item("a-before", at=before), attempt_item("a-skewed", at=within_skew),
                   as_author(call_item("c-before", started=before, ended=within_skew), "op-17"),
                   callback_item("cb-before", booked_at=before, booked_by="op-17"))
    assert [r["status"] for r in results] == ["refused", "stored", "refused", "refused"]
    assert all("before its workstation was enrolled" in r["message"] for r in results if r["status"] == "refused")
    unlock = push(supervisor, as_author(unlock_item("u-before", at=before), "sup-1"))
    assert [r["status"] for r in unlock] == ["refused"]
    with hub_db.read() as tx:
        assert tx.all("SELECT attempt_id FROM attempts") == [("a-skewed",)]
        assert tx.value("SELECT count(*) FROM calls") + tx.value("SELECT count(*) FROM callbacks") == 0
        assert tx.value("SELECT count(*) FROM unlocks") == 0
    assert not {("attempt", "a-before"), ("unlock", "u-before"), ("callback", "cb-before")} & set(fed(supervisor))
    listed = supervisor.get("/v1/refused").json()["refused"]
    assert sorted(r["id"] for r in listed) == sorted(["a-before", "c-before", "cb-before@1", "u-before"])


def test_records_naming_a_person_of_no_register_the_hub_served_are_refused_and_never_fed(running, hub_db):
    operator = running("op-17")
    supervisor = running("sup-1", "supervisor")
    results = push(operator, as_author(call_item("c-ghost", person_id="P4242"), "op-17"),
                   attempt_item("a-ghost", person_id="P4242"), attempt_item("a-real", person_id="P0001"),
                   callback_item("cb-ghost", person_ids=["P0001", "P4242"], booked_by="op-17"))
    assert [r["status"] for r in results] == ["refused", "refused", "stored", "refused"]
    assert all(r["message"] == "The person P4242 is not in any register this hub has served."
               for r in results if r["status"] == "refused")
    unlock = push(supervisor, as_author(unlock_item("u-ghost", person_id="P4242"), "sup-1"))
    assert [r["status"] for r in unlock] == ["refused"]
    with hub_db.read() as tx:
        assert tx.all("SELECT attempt_id FROM attempts") == [("a-real",)]
        assert tx.value("SELECT count(*) FROM calls") + tx.value("SELECT count(*) FROM callbacks") == 0
    assert not {("unlock", "u-ghost"), ("callback", "cb-ghost")} & set(fed(supervisor))
    listed = supervisor.get("/v1/refused").json()["refused"]
    assert sorted(r["id"] for r in listed) == sorted(["c-ghost", "a-ghost", "cb-ghost@1", "u-ghost"])


def test_a_supervisor_stores_what_the_role_allows_and_is_recorded_entering_paper_calls(running, hub_db):
    supervisor = running("sup-1", "supervisor")
    results = push(supervisor, as_author(unlock_item("u-1"), "sup-1"), escalation_ack_item(operator="sup-1"),
                   as_author(call_item("c-paper"), "op-17"))
    assert [r["status"] for r in results] == ["stored"] * 3
    with hub_db.read() as tx:
        assert tx.one("SELECT operator, entered_by FROM calls WHERE call_id = 'c-paper'") == ("op-17", "sup-1")
    # yet not an attempt in someone else's name, nor an unlock credited to another supervisor
    refused = push(supervisor, attempt_item("a-theirs"), as_author(unlock_item("u-2"), "sup-2"))
    assert [r["status"] for r in refused] == ["refused", "refused"]


def test_an_operator_signed_in_on_the_same_workstation_at_the_time_is_an_author(running, hub_db):
    """The outbox of a shared workstation holds every operator's records; one sync sends them all."""
    running("op-17")
    other = running("op-18")
    assert [r["status"] for r in push(other, attempt_item("a-17", at=utc_text(now())))] == ["stored"]
    absent = attempt_item("a-absent", at=utc_text(now()))
    assert [r["status"] for r in push(other, as_author(absent, "op-77"))] == ["refused"]


def test_oversized_items_are_refused_and_never_fed(running, hub_db):
    operator = running("op-17")
    long_id = attempt_item("a-long", person_id="P" * 14_000)
    many_persons = callback_item("cb-big", person_ids=[f"P{n:06d}" for n in range(8000)])
    long_notes = callback_item("cb-notes", notes="n" * (authorship.MAX_TEXT_CHARS + 1))
    results = push(operator, long_id, many_persons, long_notes)
    assert [r["status"] for r in results] == ["refused"] * 3
    assert "ids have at most 64" in results[0]["message"]
    assert f"an item has at most {authorship.MAX_ITEM_BYTES:,}" in results[1]["message"]
    assert f"at most {authorship.MAX_TEXT_CHARS} are kept" in results[2]["message"]
    assert fed(operator) == [("account", "op-17")]
    assert held(hub_db, "attempts") == held(hub_db, "callbacks") == 0


def test_pushes_are_rate_limited_per_workstation(running):
    operator = running("op-17")
    statuses = []
    for _ in range(2 * authorship.PUSHES_PER_MINUTE + 1):  # at least one whole minute's worth in a minute
        reply = operator.post("/v1/push", json={"workstation": WORKSTATION, "audit_head": None, "items": []})
        statuses.append(reply.status_code)
        if reply.status_code == 429:
            assert int(reply.headers["Retry-After"]) >= 1
            assert "pushed 120 times this minute" in reply.json()["error"]
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    elsewhere = running("op-3", workstation="ws-south-2")
    assert elsewhere.post("/v1/push", json={"workstation": "ws-south-2", "audit_head": None,
                                            "items": []}).status_code == 200


def test_the_dashboard_counts_refused_pushes_and_refuses_days_out_of_range(running):
    operator = running("op-17")
    push(operator, as_author(unlock_item("u-forged"), "op-17"), attempt_item("a-future", at=ten_minutes_ahead()))
    supervisor = running("sup-1", "supervisor", workstation="ws-office")
    assert supervisor.get("/v1/dashboard").json()["refused_pushes"] == 2
    for day in ("0001-01-01", "9999-12-31"):
        reply = supervisor.get("/v1/dashboard", params={"day": day})
        assert reply.status_code == 400
        assert reply.json()["error"] == (f"The query parameter day must be a day between 1900 and 3000, "
                                         f"not {day}.")
