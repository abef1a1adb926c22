"""The hub's dashboard over every workstation's calls: the same figures the
workstations compute, and only for supervisors."""

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import httpx

from console.core.dashboard import helpline_day
from console.store.dashboard import dashboard as local_dashboard
from tests.sync.test_sync_hub import call_record


def verify_during(ws, person_id: str, start: datetime) -> dict:
    """Check the caller as the person (by the knowledge the register holds) a minute into the call."""
    from console.core.policy import CallerClaim

    family, given, born, nhi, phones = ws.cache.db.execute(
        "SELECT family_name, given_names, date_of_birth, nhi, phones FROM persons WHERE person_id = ?",
        [person_id]).fetchone()
    claim = CallerClaim(family, given, date.fromisoformat(born), nhi=nhi, phone=phones.split(";")[0])
    shown = ws.cache.verify_caller(claim, start + timedelta(minutes=1)).as_json()
    assert shown["outcome"] == "verified", person_id
    return shown


def test_the_hubs_figures_equal_the_workstations_and_an_independent_count(hub, workstations):
    a = workstations("ws-a", "op-1", hub.url)
    b = workstations("ws-b", "op-2", hub.url)
    a.sync(), b.sync()
    rng = random.Random(3)
    person_ids = [row[0] for row in a.cache.db.execute(
        "SELECT person_id FROM persons WHERE date_of_birth IS NOT NULL AND nhi IS NOT NULL AND phones != '' LIMIT 50")]
    at = datetime.now(timezone.utc)
    records = []
    for ws in (a, b):
        for n in range(40):
            record = call_record(ws.operator, rng)
            start = at - timedelta(minutes=rng.randrange(1, 300))
            length = timedelta(seconds=rng.randrange(60, 1200))
            record.update(started_at=start.isoformat(), ended_at=(start + length).isoformat())
            if n % 3 == 0:  # verified by a check during the call, as a verified call must be (policy v2)
                shown = verify_during(ws, rng.choice(person_ids), start)
                record.update(person_id=shown["person_id"], verification="verified", assurance=shown["assurance"],
                              disclosed_status=shown["affected_status"])
            if n % 7 == 0:
                record["flags"] = ["extortion"]
            ws.cache.log_calls([record])
            records.append(record)
    a.sync(), b.sync()
    day = helpline_day(at)
    figures = httpx.get(hub.url + "/v1/dashboard", params={"day": day.isoformat()}, headers=hub.admin_headers(),
                        timeout=30, auth=hub.auth).json()
    today = [r for r in records if helpline_day(datetime.fromisoformat(r["started_at"])) == day]
    assert figures["calls"] == len(today)
    assert figures["by_outcome"] == dict(Counter(r["outcome"] for r in today))
    assert figures["by_operator"] == dict(Counter(r["operator"] for r in today))
    # every workstation's calls: the sum of what each computes over its own
    mine = [local_dashboard(ws.cache.db, day, datetime.now(timezone.utc)) for ws in (a, b)]
    assert figures["calls"] == sum(f["calls"] for f in mine)
    for key in ("by_region", "by_caller_type", "by_practice"):
        assert figures[key] == dict(sum((Counter(f[key]) for f in mine), Counter())), key
    assert figures["source"] == "hub"
    # an operator is refused, with a sentence
    token = httpx.post(hub.url + "/v1/sessions", json={"operator_id": "op-1", "password": "a long hub password",
                                                       "workstation": "x"}, timeout=10, auth=hub.auth).json()["token"]
    refused = httpx.get(hub.url + "/v1/dashboard", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                        auth=hub.auth)
    assert refused.status_code == 403 and refused.json()["error"].endswith(".")
    bad = httpx.get(hub.url + "/v1/dashboard", params={"day": "tuesday"}, headers=hub.admin_headers(), timeout=10,
                    auth=hub.auth)
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]


def test_an_escalation_taken_up_on_one_workstation_leaves_the_hubs_queue(hub, workstations):
    from console.store.dashboard import acknowledge_escalation

    a = workstations("ws-a", "op-1", hub.url)
    b = workstations("ws-b", "op-2", hub.url)
    a.sync(), b.sync()
    rng = random.Random(4)
    records = []
    for _ in range(3):
        record = call_record("op-1", rng)
        start = datetime.now(timezone.utc) - timedelta(minutes=5)
        record.update(started_at=start.isoformat(), ended_at=(start + timedelta(minutes=3)).isoformat(),
                      outcome="escalated")
        records.append(record)
    a.cache.log_calls(records)
    a.sync()

    def awaiting():
        return httpx.get(hub.url + "/v1/dashboard", headers=hub.admin_headers(), timeout=30,
                         auth=hub.auth).json()[
            "escalations_awaiting"]

    assert awaiting() == 3
    acknowledge_escalation(a.cache.db, records[0]["call_id"], operator="sup-1", workstation=a.cache.workstation,
                           note="rang the practice")
    a.operator = "sup-1"  # taken up by a supervisor, who syncs it (an operator's token may not: issue 13)
    a.sync()
    assert awaiting() == 2
    b.sync()  # every workstation learns it was taken up
    assert b.cache.db.execute("SELECT operator FROM escalation_acks WHERE call_id = ?",
                              [records[0]["call_id"]]).fetchone()[0] == "sup-1"
