"""Sign-in on the workstation itself: every sign-in, right or wrong, in its
audit chain (which reaches the hub), and an account's failures slowing its
next sign-ins down, as on the hub."""

from datetime import timedelta

import pytest

from console.core.timeutil import now
from console.store import operators
from console.store.audit import list_audit
from console.store.cache import Cache

PASSWORD = "a long workstation password"


@pytest.fixture
def cache(tmp_path):
    cache = Cache.open(tmp_path / "ws.db")
    cache.add_operator("admin-1", "admin", PASSWORD)
    yield cache
    cache.close()


def _sign_ins(cache) -> list[tuple]:
    return [(e["kind"], e["operator"], e["detail"].get("reason"))
            for e in list_audit(cache.db) if e["kind"].startswith("sign_in")]


def test_every_sign_in_is_audited(cache):
    with pytest.raises(operators.AccountError):
        cache.sign_in("admin-1", "not the password")
    with pytest.raises(operators.AccountError):
        cache.sign_in("nobody", PASSWORD)
    assert cache.sign_in("admin-1", PASSWORD) == "admin"
    assert _sign_ins(cache) == [("sign_in_failed", "admin-1", "wrong password"),
                                ("sign_in_failed", None, "no such account"),
                                ("sign_in", "admin-1", None)]


def test_an_accounts_failures_make_it_wait_even_for_the_right_password(cache):
    for _ in range(operators.FREE_FAILURES):
        with pytest.raises(operators.AccountError, match="wrong"):
            cache.sign_in("admin-1", "a wrong guess")
    with pytest.raises(operators.AccountError, match="wait 1 second"):
        cache.sign_in("admin-1", PASSWORD)
    assert operators.sign_in_delay(cache.db, "admin-1", now() + timedelta(seconds=2)) == 0
    # the delay grows: the refused try counted too
    assert operators.sign_in_delay(cache.db, "admin-1") == 2
