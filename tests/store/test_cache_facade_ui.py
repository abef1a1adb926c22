"""What the window reads and writes goes through the Cache facade: each of its
methods checks the signed-in role, and those that reveal data audit it."""

import csv
import uuid
from datetime import date

import pytest

from console.core.calls import validate_call_record
from console.core.policy import CallerClaim
from console.core.roles import NotPermitted
from console.core.timeutil import now
from console.store.cache import Cache

PASSWORD = "correct horse battery"
CLAIM = CallerClaim("Pōtae", "Wiremu", date(1944, 12, 24), code="BILL-2024")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory, module_keystore):
    """One cache for the module, as argon2 is slow on purpose."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "resources" / "sample-register"
    path = tmp_path_factory.mktemp("facade") / "c.db"
    cache = Cache.open(path)
    cache.import_register(sample)
    cache.add_operator("admin-1", "admin", PASSWORD)
    for role in ("operator", "supervisor"):
        cache.add_operator(f"{role}-1", role, PASSWORD)
    cache.close()
    return path


@pytest.fixture
def signed_in(accounts):
    opened = []

    def sign_in(who):
        cache = Cache.open(accounts)
        cache.sign_in(who, PASSWORD)
        opened.append(cache)
        return cache

    yield sign_in
    for cache in opened:
        cache.close()


def audit_count(cache) -> int:
    return len(cache.db.execute("SELECT seq FROM audit").fetchall())


def record(operator: str, person_id: str) -> dict:
    at = now().isoformat(timespec="seconds")
    return validate_call_record({
        "call_id": str(uuid.uuid4()), "started_at": at, "ended_at": at,
        "operator": operator, "caller_type": "patient", "person_id": person_id, "verification": "verified",
        "assurance": "possession", "disclosed_status": "affected", "guidance_delivered": [], "topics": [],
        "flags": [], "outcome": "resolved", "region": None, "notes": None})


def test_what_the_window_reads_before_sign_in_needs_no_role(accounts):
    cache = Cache.open(accounts, operator="nobody-yet")
    try:
        from console.store.settings import LINE_SETTINGS

        assert set(cache.window_settings()) == {"idle_lock_minutes", "sync_interval_seconds", "high_contrast",
                                                *LINE_SETTINGS}
        assert cache.synced_content() is None
        assert cache.calls_not_synced() == 0
    finally:
        cache.close()


def test_a_verified_callers_context_needs_a_role_and_holds_their_calls_and_callbacks(signed_in, accounts):
    cache = signed_in("operator-1")
    verification = cache.verify_caller(CLAIM)
    assert verification.decision.verified
    person_id = verification.decision.person.person_id
    cache.log_calls([record("operator-1", person_id)])
    cache.book_callback(CLAIM)
    assert cache.calls_not_synced() == 1
    shown = cache.verified_caller_context(person_id)
    assert shown["region"]
    assert [c["person_id"] for c in shown["calls"]] == [person_id]
    assert len(shown["open_callbacks"]) == 1
    nobody = Cache.open(accounts, operator="claims-to-be-operator")
    try:
        with pytest.raises(NotPermitted):
            nobody.verified_caller_context(person_id)
    finally:
        nobody.close()


def test_exports_to_a_file_are_audited_and_refused_below_supervisor(signed_in, tmp_path):
    operator = signed_in("operator-1")
    before = audit_count(operator)
    for export in (lambda: operator.export_calls_to(tmp_path / "calls.csv"),
                   lambda: operator.export_figures_to(tmp_path / "figures.csv", operator_figures())):
        with pytest.raises(NotPermitted):
            export()
    assert audit_count(operator) == before
    assert not (tmp_path / "calls.csv").exists() and not (tmp_path / "figures.csv").exists()

    supervisor = signed_in("supervisor-1")
    before = audit_count(supervisor)
    written = supervisor.export_calls_to(tmp_path / "calls.csv", day="2026-01-05")
    with open(tmp_path / "calls.csv", encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.DictReader(f))) == written
    figures = supervisor.dashboard()
    rows = supervisor.export_figures_to(tmp_path / "figures.csv", figures)
    assert rows > 0
    # they hold personal data: owner-only from the moment they exist
    assert [(tmp_path / name).stat().st_mode & 0o777 for name in ("calls.csv", "figures.csv")] == [0o600, 0o600]
    exports = supervisor.audit_entries(kind="export", newest_first=True, limit=2)
    assert [e["detail"]["what"] for e in exports] == ["dashboard_figures", "calls"]
    assert exports[1]["detail"] == {"what": "calls", "rows": written, "format": "csv", "day": "2026-01-05"}
    assert audit_count(supervisor) == before + 3  # the two exports, then the reading of the audit itself


def operator_figures() -> dict:
    return {"day": "2026-01-05"}
