"""Audit anchors: the hub signs its chains' heads, `hub audit anchor` appends them
to a file kept off the server, and `hub audit verify --anchors` proves the trail
against them; a trail rewritten or truncated afterwards fails."""

import json
import os
import stat

import pytest

from console.hub.anchors import read_anchors, sign_heads, verify_against
from tests.hub.bodies import Chain, audit_item
from tests.hub.conftest import location_args, run_hub_cli


@pytest.fixture
def chained(hub):
    headers = hub.token("op-1")
    chain = Chain()
    for _ in range(3):
        chain.append("disclosure", person_id="P0001")
    reply = hub.push(headers, [audit_item(e) for e in chain.entries], audit_head=chain.head)
    assert reply.status_code == 200, reply.text
    return hub, chain, headers


def test_heads_are_signed_and_the_trail_proves_against_them(chained):
    hub, chain, _ = chained
    anchor = sign_heads(hub.db)
    assert json.loads(anchor["body"])["heads"] == {"ws-north-1": chain.head}
    assert sign_heads(hub.db)["anchor_id"] == anchor["anchor_id"]  # nothing moved: no new anchor
    assert verify_against(hub.db, [anchor]) == []
    forged = dict(anchor, body=anchor["body"].replace('"seq":3', '"seq":2'))
    assert verify_against(hub.db, [forged]) == [f"Anchor {anchor['anchor_id']} is not signed by this hub's key."]


def test_a_truncated_trail_fails(chained):
    hub, _, _ = chained
    anchor = sign_heads(hub.db)
    with hub.db.write() as tx:
        tx.execute("DELETE FROM audit WHERE seq = 3")
        tx.execute("UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit WHERE seq = 2)")
    assert any("no longer on the hub: the trail was cut short" in p for p in verify_against(hub.db, [anchor]))


def test_a_rewritten_and_rehashed_trail_fails(chained):
    """Entry 2 deleted and the chain recomputed from there: every link holds, the anchor does not."""
    hub, chain, headers = chained
    anchor = sign_heads(hub.db)
    with hub.db.write() as tx:
        tx.execute("DELETE FROM audit")
        tx.execute("DELETE FROM audit_heads")
    rewritten = Chain()
    rewritten.append("disclosure", person_id="P0001")
    rewritten.append("search")
    rewritten.append("search")
    assert hub.push(headers, [audit_item(e) for e in rewritten.entries]).status_code == 200
    problems = verify_against(hub.db, [anchor])
    assert problems == [f"Workstation ws-north-1's entry 3 is not the one anchored at "
                        f"{json.loads(anchor['body'])['at']}: the trail was rewritten."]


@pytest.mark.parametrize("backend", ["sqlite"])  # the commands' work is the library's, tested on both
def test_anchor_and_verify_on_the_command_line(chained, database_location, tmp_path):
    hub, chain, headers = chained
    where = location_args(database_location)
    out = tmp_path / "offsite" / "anchors.jsonl"
    out.parent.mkdir()
    first = run_hub_cli("audit", "anchor", "--out", out, *where)
    assert first.returncode == 0 and "Appended 1 signed anchor" in first.stdout, first.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert run_hub_cli("audit", "anchor", "--out", out, *where).stdout.startswith("Appended 0 ")
    chain.append("search")
    assert hub.push(headers, [audit_item(chain.entries[-1])]).status_code == 200
    assert run_hub_cli("audit", "anchor", "--out", out, *where).stdout.startswith("Appended 1 ")
    assert len(read_anchors(out)) == 2
    intact = run_hub_cli("audit", "verify", "--anchors", out, *where)
    assert intact.returncode == 0 and "holds every one of the 2 anchors" in intact.stdout, intact.stderr
    with hub.db.write() as tx:
        tx.execute("DELETE FROM audit WHERE seq = 4")
    broken = run_hub_cli("audit", "verify", "--anchors", out, *where)
    assert broken.returncode == 1
    assert "does not match its anchors" in broken.stdout and "entry 4" in broken.stdout
    missing = run_hub_cli("audit", "verify", "--anchors", tmp_path / "nowhere", *where)
    assert missing.returncode == 2 and "cannot be read" in missing.stderr
