"""The workstation applies the hub's enrolment rule to what it records
itself: on a workstation enrolled on a hub, a call or a check dated more than
the clock skew before its enrolment is refused at the source with the hub's
sentence, and nothing is written; a standalone workstation is unaffected."""

import uuid
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest

from console.core.attest import NotAttested
from console.core.calls import validate_call_record
from console.core.policy import CallerClaim
from console.core.timeutil import now, utc_text
from console.store import settings
from console.store.cache import Cache
from console.store.connection import write_transaction
from console.sync.device import Device, save_device

PASSWORD = "correct horse battery"
HUB = "http://127.0.0.1:8765"
HUB_SENTENCE = "before its workstation was enrolled"  # console.core.attest.enrolment_problem, as the hub answers
GUESSING = CallerClaim(family_name="Pōtae", given_name="Wiremu", date_of_birth=date(1944, 12, 24),
                       phone="021 999 8888", email="guess@example.com")


@pytest.fixture
def operator_cache(tmp_path):
    """op-1 signed in on a cache holding the sample register."""
    with closing(Cache.open(tmp_path / "c.db")) as cache:
        cache.import_register(Path(__file__).resolve().parents[2] / "resources" / "sample-register")
        cache.add_operator("admin-1", "admin", PASSWORD)
        cache.add_operator("op-1", "operator", PASSWORD)
        cache.sign_in("op-1", PASSWORD)
        yield cache


def enrolled(cache, at) -> None:
    """The cache syncs with HUB, on which this machine was first enrolled at `at`."""
    with write_transaction(cache.db):
        settings.put(cache.db, "hub_url", HUB)
    device = Device.generate()
    device.workstation, device.enrolled_at = "ws-enrolled", utc_text(at)
    save_device(HUB, device)


def call(at):
    text = at.isoformat(timespec="seconds")
    return validate_call_record({
        "call_id": str(uuid.uuid4()), "started_at": text, "ended_at": text, "operator": "op-1",
        "caller_type": "patient", "person_id": None, "verification": "not_verified", "assurance": None,
        "disclosed_status": None, "guidance_delivered": [], "topics": [], "flags": [], "outcome": "resolved",
        "region": None, "notes": None})


def written(cache) -> dict:
    return {table: cache.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("calls", "failed_attempts", "outbox", "audit")}


def test_a_back_dated_call_or_check_before_the_enrolment_is_refused_at_the_source(operator_cache):
    enrolled(operator_cache, now() - timedelta(hours=1))
    two_hours_ago = now() - timedelta(hours=2)
    before = written(operator_cache)
    with pytest.raises(NotAttested, match=HUB_SENTENCE) as refused_call:
        operator_cache.log_calls([call(two_hours_ago)])
    assert "a workstation records nothing before its enrolment" in str(refused_call.value)
    with pytest.raises(NotAttested, match=HUB_SENTENCE):
        operator_cache.verify_caller(GUESSING, two_hours_ago)  # would have recorded a failed attempt
    assert written(operator_cache) == before
    # within the clock skew of the enrolment, and after it, both are recorded
    assert operator_cache.log_calls([call(now() - timedelta(hours=1, minutes=4))]) == [True]
    assert operator_cache.verify_caller(GUESSING, now() - timedelta(minutes=30)).decision.reason == "insufficient"


def test_a_standalone_or_not_yet_enrolled_workstation_is_unaffected(operator_cache):
    two_hours_ago = now() - timedelta(hours=2)
    assert operator_cache.log_calls([call(two_hours_ago)]) == [True]  # standalone: no hub at all
    with write_transaction(operator_cache.db):
        settings.put(operator_cache.db, "hub_url", HUB)  # a hub, but this machine not enrolled on it yet
    assert operator_cache.log_calls([call(two_hours_ago)]) == [True]
