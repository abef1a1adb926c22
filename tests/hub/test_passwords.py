"""Passwords on the hub: an operator changes their own, an admin resets one
(the account must change it at its next sign-in), and an admin's verifier
never reaches a workstation."""

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from console.hub.accounts import AccountError, change_password, reset_password
from console.hub.changes import changes_after
from tests.hub.conftest import PASSWORD, run_hub_cli, location_args

NEW = "lantern orchard quietly 47"


def account_changes(db, operator_id) -> list[dict]:
    return [c["body"] for c in changes_after(db, 0, 1000)["changes"] if c["kind"] == "account" and c["id"] == operator_id]


def test_admin_verifiers_never_leave_the_hub(hub):
    hub.add("admin-1", "admin")
    hub.add("sup-1", "supervisor")
    hub.add("op-1", "operator")
    for operator_id in ("sup-1", "op-1"):
        (body,) = account_changes(hub.db, operator_id)
        assert PasswordHasher().verify(body["password_hash"], PASSWORD) and body["disabled"] is False
    (admin,) = account_changes(hub.db, "admin-1")
    with pytest.raises(VerificationError):
        PasswordHasher().verify(admin["password_hash"], PASSWORD)
    assert admin["disabled"] is True
    with hub.db.read() as tx:
        real = tx.value("SELECT password_hash FROM operators WHERE operator_id = 'admin-1'")
    assert real != admin["password_hash"]
    assert hub.sign_in("admin-1").status_code == 200  # on the hub itself the admin signs in


def test_an_operator_changes_their_own_password_and_every_session_ends(hub):
    headers = hub.token("op-1")
    weak = hub.client.post("/v1/password", headers=headers,
                           json={"current_password": PASSWORD, "new_password": "password1234"})
    assert weak.status_code == 400 and "too easy to guess" in weak.json()["error"]
    wrong = hub.client.post("/v1/password", headers=headers, json={"current_password": "not it at all", "new_password": NEW})
    assert wrong.status_code == 400 and "current password is wrong" in wrong.json()["error"]
    done = hub.client.post("/v1/password", headers=headers, json={"current_password": PASSWORD, "new_password": NEW})
    assert done.status_code == 204, done.text
    assert hub.client.get("/v1/changes", headers=headers).status_code == 401  # the old session ended
    assert hub.sign_in("op-1").status_code == 401
    assert hub.sign_in("op-1", NEW).status_code == 200
    body = account_changes(hub.db, "op-1")[-1]
    assert PasswordHasher().verify(body["password_hash"], NEW) and body["must_change"] is False


def test_an_admin_reset_forces_a_change_at_the_next_sign_in(hub, caplog):
    hub.add("op-1")
    with pytest.raises(AccountError, match="at least 12 characters"):
        reset_password(hub.db, "op-1", "short", reset_by="admin-1")
    with pytest.raises(AccountError, match="no operator"):
        reset_password(hub.db, "nobody", NEW, reset_by="admin-1")
    with caplog.at_level("INFO", logger="console.hub.accounts"):
        reset_password(hub.db, "op-1", NEW, reset_by="admin-1")
        assert account_changes(hub.db, "op-1")[-1]["must_change"] is True
        change_password(hub.db, "op-1", NEW, "brisk heron mapping 903")
    assert account_changes(hub.db, "op-1")[-1]["must_change"] is False
    lines = [r.getMessage() for r in caplog.records]
    assert "audit: password of op-1 reset by admin-1; a change is due at its next sign-in" in lines
    assert "audit: password changed by op-1" in lines
    assert not any(NEW in line for line in lines)


@pytest.mark.parametrize("backend", ["sqlite"])  # the commands' work is the library's, tested on both
def test_passwd_and_reset_on_the_hubs_command_line(hub_db, database_location):
    where = location_args(database_location)
    assert run_hub_cli("operators", "add", "op-1", "--role", "operator", *where,
                       env={"HELPLINE_CONSOLE_PASSWORD": PASSWORD}).returncode == 0
    changed = run_hub_cli("operators", "passwd", "op-1", *where,
                          env={"HELPLINE_CONSOLE_PASSWORD": PASSWORD, "HELPLINE_CONSOLE_NEW_PASSWORD": NEW})
    assert changed.returncode == 0 and "Changed the password of op-1" in changed.stdout, changed.stderr
    weak = run_hub_cli("operators", "reset", "op-1", *where, env={"HELPLINE_CONSOLE_PASSWORD": "aaaaaaaaaaaaaa"})
    assert weak.returncode == 2 and "too easy to guess" in weak.stderr
    reset = run_hub_cli("operators", "reset", "op-1", *where, env={"HELPLINE_CONSOLE_PASSWORD": PASSWORD})
    assert reset.returncode == 0 and "must be changed at the next sign-in" in reset.stdout
    assert account_changes(hub_db, "op-1")[-1]["must_change"] is True
