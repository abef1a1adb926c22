"""The hub stores attempts and unlocks by the same rules as the workstation
(console.core.attest): an operator's unlock only as the record of a
verification by possession, nothing dated in the future."""

from datetime import datetime, timedelta, timezone

from console.core.records import POSSESSION_UNLOCK
from console.hub.changes import changes_after

from tests.hub.bodies import attempt_item, unlock_item


def results(reply) -> list[tuple[str, str]]:
    assert reply.status_code == 200, reply.text
    return [(r["status"], r.get("message", "")) for r in reply.json()["results"]]


def fed(hub, kind: str) -> list[str]:
    return [c["id"] for c in changes_after(hub.db, 0, 1000)["changes"] if c["kind"] == kind]


def by(item: dict, operator: str, **body) -> dict:
    return dict(item, body=dict(item["body"], operator=operator, **body))


def test_an_operators_unlock_is_refused_unless_it_records_a_verification_by_possession(hub):
    headers = hub.token("op-17", "operator")
    hub.add("op-18", "operator")
    forged = by(unlock_item("u-forged"), "op-17")
    (status, message), = results(hub.push(headers, [forged]))
    assert status == "refused" and message.startswith("Only a supervisor may unlock")
    unknown = by(unlock_item("u-unknown"), "nobody-here")
    assert results(hub.push(headers, [unknown]))[0][0] == "refused"
    possession = by(unlock_item("u-code"), "op-17", reason=POSSESSION_UNLOCK)
    assert results(hub.push(headers, [possession])) == [("stored", "")]
    assert fed(hub, "unlock") == ["u-code"]
    with hub.db.read() as tx:
        assert [row[0] for row in tx.all("SELECT unlock_id FROM unlocks")] == ["u-code"]


def test_an_attempt_or_unlock_dated_in_the_future_is_refused_and_never_fed(hub):
    headers = hub.token("op-17", "operator")
    hub.add("sup-1", "supervisor")
    soon = datetime.now(timezone.utc) + timedelta(minutes=4)
    later = datetime.now(timezone.utc) + timedelta(minutes=10)
    items = [attempt_item("a-soon", at=soon.isoformat()), attempt_item("a-later", at=later.isoformat()),
             by(unlock_item("u-later", at=later.isoformat()), "op-17", reason=POSSESSION_UNLOCK)]
    replied = results(hub.push(headers, items))
    assert [status for status, _ in replied] == ["stored", "refused", "refused"]
    assert all("in the future" in message for _, message in replied[1:])
    # attempts travel as lock states, never themselves; only the one in time is held
    assert fed(hub, "attempt") == [] and fed(hub, "unlock") == []
    with hub.db.read() as tx:
        assert [row[0] for row in tx.all("SELECT attempt_id FROM attempts")] == ["a-soon"]
