"""The role matrix: every guarded operation called with each role, enforced
in the store itself, not only hidden in the window."""

from datetime import date

import pytest

from console.core.policy import CallerClaim
from console.core.roles import PERMISSIONS, ROLES, NotPermitted
from console.store.cache import Cache
from console.store.operators import AccountError
from console.store.search import SearchQuery

PASSWORD = "correct horse battery"
CLAIM = CallerClaim("Pōtae", "Wiremu", date(1944, 12, 24), code="BILL-2024")

CALLS = {
    "verify_caller": lambda c: c.verify_caller(CLAIM),
    "log_calls": lambda c: c.log_calls([]),
    "book_callback": lambda c: c.book_callback(CLAIM),
    "complete_callback": lambda c: c.complete_callback("no-such-callback", "answered"),
    "list_callbacks": lambda c: c.list_callbacks(),
    "call_history": lambda c: c.call_history("S0008"),
    "sync": lambda c: c.sync_status(),
    "search": lambda c: c.search(SearchQuery(name="Wiremu Potae")),
    "read_audit": lambda c: c.verify_audit(),
    "unlock": lambda c: c.unlock("S0008"),
    "stats": lambda c: c.stats(),
    "export": lambda c: c.export_calls(),
    "assign_callback": lambda c: c.assign_callback("no-such-callback", "op-2"),
    "dashboard": lambda c: c.dashboard(),
    "acknowledge_escalation": lambda c: c.acknowledge_escalation("no-such-call"),
    "manage_operators": lambda c: c.list_operators(),
    "import_register": lambda c: c.import_register(c.sample_register),
    "change_settings": lambda c: c.set_setting("idle_lock_minutes", "5"),
}


@pytest.fixture(scope="module")
def accounts(tmp_path_factory, module_keystore):
    """One cache for the module, as argon2 is slow on purpose."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "resources" / "sample-register"
    path = tmp_path_factory.mktemp("roles") / "c.db"
    cache = Cache.open(path)
    cache.import_register(sample)  # setup mode: no accounts yet
    cache.add_operator("admin-1", "admin", PASSWORD)
    for role in ("operator", "supervisor"):
        cache.add_operator(f"{role}-1", role, PASSWORD)
    cache.close()
    return path


def test_every_guarded_operation_is_in_the_matrix():
    assert set(CALLS) == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(PERMISSIONS))
def test_role_matrix(accounts, sample_register, role, operation):
    cache = Cache.open(accounts)
    cache.sign_in(f"{role}-1", PASSWORD)
    cache.sample_register = sample_register
    allowed = ROLES.index(role) >= ROLES.index(PERMISSIONS[operation])
    try:
        if allowed:
            try:
                CALLS[operation](cache)
            except ValueError as refused_for_its_input:  # e.g. no such callback: past the guard
                assert "no-such-call" in str(refused_for_its_input)
        else:
            audit_before = cache.db.execute("SELECT count(*) FROM audit").fetchone()[0]
            with pytest.raises(NotPermitted, match=f"Only an? {PERMISSIONS[operation]} or above"):
                CALLS[operation](cache)
            assert cache.db.execute("SELECT count(*) FROM audit").fetchone()[0] == audit_before
    finally:
        cache.close()


def test_nobody_signed_in_may_do_nothing_once_accounts_exist(accounts, sample_register):
    cache = Cache.open(accounts, operator="claims-to-be-admin")
    cache.sample_register = sample_register
    for operation in PERMISSIONS:
        with pytest.raises(NotPermitted):
            CALLS[operation](cache)
    cache.close()


def test_sign_in_refuses_wrong_password_unknown_and_disabled(accounts):
    cache = Cache.open(accounts)
    for who, password in (("operator-1", "wrong password!"), ("ghost", PASSWORD)):
        with pytest.raises(AccountError, match="Sign-in failed"):
            cache.sign_in(who, password)
    cache.sign_in("admin-1", PASSWORD)
    cache.add_operator("leaver-1", "operator", PASSWORD)
    cache.disable_operator("leaver-1")
    with pytest.raises(AccountError, match="Sign-in failed"):
        Cache.open(accounts).sign_in("leaver-1", PASSWORD)
    cache.close()


def test_first_account_must_be_an_admin_and_passwords_are_hashed(tmp_path):
    cache = Cache.open(tmp_path / "c.db")
    with pytest.raises(AccountError, match="first account must be an admin"):
        cache.add_operator("op-1", "operator", PASSWORD)
    cache.add_operator("admin-1", "admin", PASSWORD)
    stored = cache.db.execute("SELECT password_hash FROM operators").fetchone()[0]
    assert stored.startswith("$argon2") and PASSWORD not in stored
    cache.close()
