"""Issue 16's done-when: an attested callback verifies by possession and an
unattested one does not. Real SIP calls through the shipped Kamailio, placed
by SIPp from an operator's extension to the number on file: the hub matches
the PBX's answered outbound call to the operator's dial intent, synced from
their workstation, and feeds the attestation back. A handful of calls: the
same callback dialled from another operator's extension and given up while
ringing, a callback never dialled from the console, then the real dial."""

from datetime import date

import pytest

from console.core.contact import phone_e164
from console.core.policy import CallerClaim
from tests.conftest import SAMPLE_REGISTER
from tests.support.hub import PASSWORD
from tests.support.sip import Line, require_tools
from tests.support.workstation import Workstation

POTAE = CallerClaim(family_name="Pōtae", given_name="Wiremu", date_of_birth=date(1944, 12, 24))
OCONNOR = CallerClaim(family_name="O'Connor", given_name="Paddy", date_of_birth=date(1952, 11, 3))
EXTENSIONS = {"op-1": "1001", "op-2": "1002"}


@pytest.fixture
def line(tmp_path):
    """A SQLite hub holding the sample register, Kamailio and SIPp; op-1 and op-2 on their extensions."""
    require_tools()
    from console.hub.telephony import map_extension

    running = Line({"data": str(tmp_path / "hub-data")}, tmp_path, register=SAMPLE_REGISTER,
                   operators=[("op-1", "operator"), ("op-2", "operator"), ("sup-1", "supervisor")])
    db = running.hub.database()
    try:
        for operator, extension in EXTENSIONS.items():
            map_extension(db, operator, extension)
    finally:
        db.close()
    yield running
    running.stop()


def signed_in(tmp_path, url, operator) -> Workstation:
    ws = Workstation(tmp_path / f"{operator}.db", operator, url)
    ws.sync()
    ws.cache.sign_in(operator, PASSWORD)
    return ws


def number_on_file(ws, family_name) -> str:
    (phones,) = ws.cache.db.execute("SELECT phones FROM persons WHERE family_name = ?", [family_name]).fetchone()
    return phone_e164(phones.split(";")[0])


def attestations(ws) -> int:
    ws.sync()
    return ws.cache.db.execute("SELECT count(*) FROM callback_attestations").fetchone()[0]


def test_a_dialled_callback_the_pbx_answered_verifies_by_possession_and_no_other_call_attests(line, tmp_path):
    op, sup = signed_in(tmp_path, line.hub.url, "op-1"), signed_in(tmp_path, line.hub.url, "sup-1")
    dialled, undialled = op.cache.book_callback(POTAE)["callback_id"], op.cache.book_callback(OCONNOR)["callback_id"]
    op.sync()
    sup.sync()
    for callback_id in (dialled, undialled):
        sup.cache.assign_callback(callback_id, "op-1")
    sup.sync()
    op.sync()
    potae, oconnor = number_on_file(op, "Pōtae"), number_on_file(op, "O'Connor")

    assert op.cache.dial_callback(dialled, 0)["uri"] == f"tel:{potae}"
    op.sync()  # the dial intent reaches the hub
    delivered = 0
    for extension, number, answered in ((EXTENSIONS["op-2"], potae, True),  # another operator's extension
                                        (EXTENSIONS["op-1"], potae, False),  # given up while it rang
                                        (EXTENSIONS["op-1"], oconnor, True)):  # a callback not dialled by the console
        assert line.dial_out(extension, number, answered).successful == 1
        delivered += 3 if answered else 2
        line.kamailio.wait_delivered(delivered)
    outbound = [e for e in line.events() if e["event"] == "newCall"]
    assert {e["direction"] for e in outbound} == {"out"} and all("queue" not in e for e in outbound)
    assert attestations(op) == 0

    assert line.dial_out(EXTENSIONS["op-1"], potae).successful == 1  # the softphone's call, answered
    line.kamailio.wait_delivered(delivered + 3)
    assert attestations(op) == 1

    for callback_id in (dialled, undialled):
        op.cache.complete_callback(callback_id, "answered")
    verified = op.cache.verify_caller(POTAE, callback_person_ids=op.cache.answered_callback_persons(dialled))
    assert verified.decision.verified and verified.decision.assurance == "possession"
    assert op.cache.answered_callback_persons(undialled) == frozenset()  # the operator's word alone
    unattested = op.cache.verify_caller(OCONNOR, callback_person_ids=op.cache.answered_callback_persons(undialled))
    assert not unattested.decision.verified
