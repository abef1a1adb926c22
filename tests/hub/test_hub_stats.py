"""GET /v1/stats and `hub stats`: cli.md's definitions over every workstation's
calls, checked against a computation straight from the records."""

import json
import random
import statistics
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from console.core.calls import OUTCOMES
from console.core.policy import CALLER_TYPES

from tests.hub.bodies import call_item
from tests.hub.conftest import location_args, run_hub_cli

START = datetime(2026, 1, 5, 18, 0, tzinfo=timezone(timedelta(hours=13)))


def make_calls(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        started = START + timedelta(minutes=rng.randrange(0, 3 * 24 * 60), seconds=rng.randrange(60))
        ended = started + timedelta(seconds=rng.choice([rng.randrange(30, 1800), 90, 90, 300]),
                                    microseconds=rng.choice([0, 0, 500_000, 250_000]))
        verification = rng.choice(["verified", "not_verified", "not_attempted"])
        verified = verification == "verified"
        items.append(call_item(
            f"call-{seed}-{i}", started=started.isoformat(), ended=ended.isoformat(),
            workstation=f"ws-{i % 3}", operator=rng.choice(["op-1", "op-2", "sup-1"]),
            caller_type=rng.choice(CALLER_TYPES), verification=verification,
            assurance=rng.choice(["possession", "knowledge"]) if verified else None,
            disclosed_status=rng.choice(["affected", "not_affected", None]) if verified else None,
            outcome=rng.choice(OUTCOMES), region=rng.choice(["Northland", "Auckland", "Waikato", None, ""]),
        ))
    return [item["body"] for item in items]


def expected_stats(records: list[dict], since=None, until=None) -> dict:
    """cli.md's `stats`, from the records themselves."""
    chosen = [r for r in records
              if (since is None or datetime.fromisoformat(r["started_at"]) >= since)
              and (until is None or datetime.fromisoformat(r["started_at"]) < until)]
    seconds = [(datetime.fromisoformat(r["ended_at"]) - datetime.fromisoformat(r["started_at"])).total_seconds()
               for r in chosen]

    def tally(key):
        return dict(sorted(Counter(r[key] for r in chosen if r[key]).items()))

    return {
        "calls": len(chosen),
        "by_outcome": tally("outcome"), "by_caller_type": tally("caller_type"),
        "by_region": tally("region"), "by_operator": tally("operator"),
        "verification": {k: sum(r["verification"] == k for r in chosen)
                         for k in ("verified", "not_verified", "not_attempted")},
        "disclosed": {k: sum(r["disclosed_status"] == k for r in chosen) for k in ("affected", "not_affected")},
        "handle_time_seconds": {
            "median": statistics.median(seconds) if seconds else None,
            "p90": statistics.quantiles(seconds, n=10, method="inclusive")[8] if len(seconds) >= 2 else None,
        },
        "escalations": sum(r["outcome"] == "escalated" for r in chosen),
    }


@pytest.fixture
def calls_on_the_hub(hub):
    records = make_calls(240, seed=7)
    for workstation in ("ws-0", "ws-1", "ws-2"):
        # calls credited to several operators: entered by a supervisor (policy v2 allows no one else)
        headers = hub.token(f"sup-{workstation}", "supervisor", workstation=workstation)
        items = [{"kind": "call", "id": r["call_id"], "body": r} for r in records if r["workstation"] == workstation]
        reply = hub.push(headers, items, workstation=workstation)
        assert reply.status_code == 200, reply.text
    return records


WINDOWS = [
    (None, None),
    ("2026-01-06T00:00:00+13:00", None),
    (None, "2026-01-07T12:30:00+13:00"),
    ("2026-01-06T09:17:00+13:00", "2026-01-06T09:17:01+13:00"),  # a window of one call or none
    ("2026-01-06T03:00:00-05:00", "2026-01-07T10:45:30Z"),  # other offsets
    ("2030-01-01T00:00:00+13:00", None),  # no calls
]


def test_stats_equal_the_definitions_computed_from_the_records(hub, calls_on_the_hub):
    supervisor = hub.token("sup-1", "supervisor")
    for since, until in WINDOWS:
        params = {k: v for k, v in (("since", since), ("until", until)) if v}
        reply = hub.client.get("/v1/stats", headers=supervisor, params=params)
        assert reply.status_code == 200, reply.text
        expected = expected_stats(calls_on_the_hub, since and datetime.fromisoformat(since),
                                  until and datetime.fromisoformat(until))
        assert reply.json() == expected, (since, until)


def test_one_call_has_a_median_and_no_p90(hub):
    headers = hub.token("op-17")  # the operator call_item credits
    hub.push(headers, [call_item("only", started="2026-01-06T09:00:00+13:00", ended="2026-01-06T09:02:03+13:00")])
    stats = hub.client.get("/v1/stats", headers=hub.token("sup-1", "supervisor")).json()
    assert stats["handle_time_seconds"] == {"median": 123.0, "p90": None}
    assert stats["calls"] == 1 and stats["by_region"] == {"Northland": 1}


def test_stats_refuse_bad_times_with_a_sentence(hub):
    supervisor = hub.token("sup-1", "supervisor")
    for params, problem in (({"since": "yesterday"}, "since 'yesterday' is not an ISO 8601 time"),
                            ({"until": "2026-01-06T09:00:00"}, "has no UTC offset"),
                            ({"since": "0001-01-01T00:00:00+05:00"}, "outside the calendar")):
        reply = hub.client.get("/v1/stats", headers=supervisor, params=params)
        assert reply.status_code == 400
        assert problem in reply.json()["error"]


def test_the_command_line_prints_the_same_json(hub, calls_on_the_hub, database_location):
    supervisor = hub.token("sup-1", "supervisor")
    window = {"since": "2026-01-06T00:00:00+13:00", "until": "2026-01-07T00:00:00+13:00"}
    served = hub.client.get("/v1/stats", headers=supervisor, params=window).json()
    done = run_hub_cli("stats", "--since", window["since"], "--until", window["until"],
                       *location_args(database_location))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == served
    refused = run_hub_cli("stats", "--since", "soon", *location_args(database_location))
    assert refused.returncode == 2 and "--since 'soon'" in refused.stderr
