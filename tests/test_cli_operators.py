"""Accounts and sign-in on the command line, as cli.md describes them."""

import json

ADMIN_PW = "admin password 1"
OP_PW = "operator password 1"


def test_first_admin_then_sign_in_for_everything(cli, tmp_path, sample_register):
    db = tmp_path / "c.db"
    assert cli("--db", db, "import-register", sample_register).returncode == 0  # setup mode
    refused = cli("--db", db, "operators", "add", "op-1", "--role", "operator", env={"HELPLINE_CONSOLE_PASSWORD": OP_PW})
    assert refused.returncode == 2 and "first account must be an admin" in refused.stderr
    first = cli("--db", db, "--json", "operators", "add", "admin-1", "--role", "admin",
                env={"HELPLINE_CONSOLE_PASSWORD": ADMIN_PW})
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"operator_id": "admin-1", "role": "admin"}

    no_sign_in = cli("--db", db, "stats")
    assert no_sign_in.returncode == 2 and "sign in with --operator" in no_sign_in.stderr
    wrong = cli("--db", db, "--operator", "admin-1", "stats", env={"HELPLINE_CONSOLE_PASSWORD": "nope"})
    assert wrong.returncode == 1 and "Sign-in failed" in wrong.stderr

    added = cli("--db", db, "--operator", "admin-1", "operators", "add", "op-1", "--role", "operator",
                env={"HELPLINE_CONSOLE_PASSWORD": ADMIN_PW, "HELPLINE_CONSOLE_NEW_PASSWORD": OP_PW})
    assert added.returncode == 0, added.stderr
    as_operator = {"HELPLINE_CONSOLE_PASSWORD": OP_PW}
    checked = cli("--db", db, "--json", "--operator", "op-1", "check-caller", "--family-name", "Pōtae",
                  "--given-name", "Wiremu", "--dob", "1944-12-24", "--code", "BILL-2024", env=as_operator)
    assert json.loads(checked.stdout)["outcome"] == "verified"
    searched = cli("--db", db, "--operator", "op-1", "search", "--name", "Wiremu", env=as_operator)
    assert searched.returncode == 1 and "Only a supervisor or above may search" in searched.stderr
    listed = cli("--db", db, "--json", "--operator", "admin-1", "operators", "list",
                 env={"HELPLINE_CONSOLE_PASSWORD": ADMIN_PW})
    assert [a["operator_id"] for a in json.loads(listed.stdout)["operators"]] == ["admin-1", "op-1"]
    assert "argon2" not in listed.stdout and OP_PW not in listed.stdout


def test_idle_lock_setting_is_never_off(cli, tmp_path):
    db = tmp_path / "c.db"
    cli("--db", db, "operators", "add", "admin-1", "--role", "admin", env={"HELPLINE_CONSOLE_PASSWORD": ADMIN_PW})
    off = cli("--db", db, "--operator", "admin-1", "settings", "idle_lock_minutes", "0",
              env={"HELPLINE_CONSOLE_PASSWORD": ADMIN_PW})
    assert off.returncode == 2 and "never turned off" in off.stderr
    five = cli("--db", db, "--operator", "admin-1", "settings", "idle_lock_minutes", "5",
               env={"HELPLINE_CONSOLE_PASSWORD": ADMIN_PW})
    assert five.returncode == 0, five.stderr


def test_passwd_and_reset_on_a_standalone_workstation(cli, tmp_path):
    db = tmp_path / "c.db"
    admin = {"HELPLINE_CONSOLE_PASSWORD": ADMIN_PW}
    cli("--db", db, "operators", "add", "admin-1", "--role", "admin", env=admin)
    cli("--db", db, "--operator", "admin-1", "operators", "add", "op-1", "--role", "operator",
        env={**admin, "HELPLINE_CONSOLE_NEW_PASSWORD": OP_PW})
    weak = cli("--db", db, "--operator", "op-1", "operators", "passwd",
               env={"HELPLINE_CONSOLE_PASSWORD": OP_PW, "HELPLINE_CONSOLE_NEW_PASSWORD": "password1234"})
    assert weak.returncode == 2 and "too easy to guess" in weak.stderr
    new = "lantern orchard quietly 47"
    changed = cli("--db", db, "--operator", "op-1", "operators", "passwd",
                  env={"HELPLINE_CONSOLE_PASSWORD": OP_PW, "HELPLINE_CONSOLE_NEW_PASSWORD": new})
    assert changed.returncode == 0, changed.stderr
    signed_in = cli("--db", db, "--operator", "op-1", "stats", env={"HELPLINE_CONSOLE_PASSWORD": new})
    assert "op-1 (operator) may not" in signed_in.stderr  # signed in with the new password; stats is not theirs
    old = cli("--db", db, "--operator", "op-1", "stats", env={"HELPLINE_CONSOLE_PASSWORD": OP_PW})
    assert "Sign-in failed" in old.stderr

    reset = cli("--db", db, "--operator", "admin-1", "operators", "reset", "op-1",
                env={**admin, "HELPLINE_CONSOLE_NEW_PASSWORD": OP_PW})
    assert reset.returncode == 0, reset.stderr
    due = cli("--db", db, "--operator", "op-1", "stats", env={"HELPLINE_CONSOLE_PASSWORD": OP_PW})
    assert due.returncode == 1 and "was reset by an administrator: choose a new one first" in due.stderr
    again = cli("--db", db, "--operator", "op-1", "operators", "passwd",
                env={"HELPLINE_CONSOLE_PASSWORD": OP_PW, "HELPLINE_CONSOLE_NEW_PASSWORD": "brisk heron mapping 903"})
    assert again.returncode == 0, again.stderr
    audit = cli("--db", db, "--json", "--operator", "admin-1", "audit", "list", env=admin)
    kinds = [e["kind"] for e in json.loads(audit.stdout)["entries"]]
    assert kinds.count("password_changed") == 2 and kinds.count("password_reset") == 1
