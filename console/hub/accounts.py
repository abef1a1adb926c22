"""Operator accounts on the hub, their source of truth.

Accounts are made and disabled here (by the hub's command line) and reach the
workstations through the change feed as `account` changes carrying the argon2
verifier, so an operator can sign in on a workstation that is offline. The
hasher and the id and password rules are the workstation's own
(console/core/accounts.py), so an account is valid on both.

Only the accounts that may sign in on a workstation (WORKSTATION_ROLES)
carry their verifier there. An admin's change carries the verifier of a
random secret nobody knows, disabled: a workstation that held the admin's real
verifier from an earlier hub has it replaced, and the hub's admins sign in on
the hub only.

An operator changes their own password (the old one proves it is them); an
admin resets one, with a temporary password the account must change at its
next sign-in (must_change). Both are logged as audit lines.
"""

import logging
import secrets

from console.core.accounts import (WORKSTATION_ROLES, AccountError, check_new_account, check_new_password,
                                   password_hasher)
from console.core.timeutil import now, utc_text
from console.hub import audit_log
from console.hub.changes import append_change

__all__ = ["AccountError", "add_operator", "change_password", "disable_operator", "list_operators",
           "password_hasher", "reset_password"]

log = logging.getLogger("console.hub.accounts")


def _account_change(tx, operator_id: str) -> None:
    role, password_hash, disabled, must_change = tx.one(
        "SELECT role, password_hash, disabled, must_change FROM operators WHERE operator_id = ?", [operator_id])
    if role not in WORKSTATION_ROLES:
        password_hash, disabled = password_hasher().hash(secrets.token_urlsafe(32)), True
    append_change(tx, "account", operator_id, {"operator_id": operator_id, "role": role,
                                               "password_hash": password_hash, "disabled": bool(disabled),
                                               "must_change": bool(must_change)})


def add_operator(db, operator_id: str, role: str, password: str, *, created_by: str | None) -> dict:
    check_new_account(operator_id, role, password)
    password_hash = password_hasher().hash(password)  # slow on purpose: outside the write lock
    with db.write() as tx:
        if tx.one("SELECT 1 FROM operators WHERE operator_id = ?", [operator_id]):
            raise AccountError(f"There is already an operator {operator_id}.")
        tx.execute("INSERT INTO operators (operator_id, role, password_hash, disabled, created_at, created_by) "
                   "VALUES (?, ?, ?, 0, ?, ?)", [operator_id, role, password_hash, utc_text(now()), created_by])
        _account_change(tx, operator_id)
        audit_log.record(tx, "operator_added", operator_id=created_by, account=operator_id, role=role)
    return {"operator_id": operator_id, "role": role}


def disable_operator(db, operator_id: str, *, disabled_by: str | None = None) -> int:
    """Disable the account and end every session it has; returns the sessions ended."""
    with db.write() as tx:
        if tx.execute("UPDATE operators SET disabled = 1 WHERE operator_id = ?", [operator_id]).rowcount == 0:
            raise AccountError(f"There is no operator {operator_id}.")
        revoked = tx.execute("DELETE FROM tokens WHERE operator_id = ?", [operator_id]).rowcount
        _account_change(tx, operator_id)
        audit_log.record(tx, "operator_disabled", operator_id=disabled_by, account=operator_id, sessions_ended=revoked)
    return revoked


def _set_password(db, operator_id: str, new_password: str, *, must_change: bool, by: str) -> None:
    with db.read() as tx:
        row = tx.one("SELECT role FROM operators WHERE operator_id = ?", [operator_id])
    if row is None:
        raise AccountError(f"There is no operator {operator_id}.")
    check_new_password(operator_id, new_password, row[0])
    password_hash = password_hasher().hash(new_password)  # slow on purpose: outside the write lock
    with db.write() as tx:
        tx.execute("UPDATE operators SET password_hash = ?, must_change = ? WHERE operator_id = ?",
                   [password_hash, int(must_change), operator_id])
        tx.execute("DELETE FROM tokens WHERE operator_id = ?", [operator_id])  # every session signs in again
        _account_change(tx, operator_id)
        audit_log.record(tx, "password_reset" if must_change else "password_changed", operator_id=by,
                         account=operator_id)


def change_password(db, operator_id: str, current_password: str, new_password: str) -> None:
    """The operator's own change: `current_password` proves it is them; AccountError otherwise."""
    from argon2.exceptions import VerificationError

    with db.read() as tx:
        row = tx.one("SELECT password_hash, disabled FROM operators WHERE operator_id = ?", [operator_id])
    refused = AccountError("The password was not changed: the operator id or current password is wrong, "
                           "or the account is disabled.")
    try:
        if row is None or row[1] or not password_hasher().verify(row[0], current_password or ""):
            raise refused
    except VerificationError:
        raise refused from None
    if new_password == current_password:
        raise AccountError("The new password must differ from the current one.")
    _set_password(db, operator_id, new_password, must_change=False, by=operator_id)
    log.info("audit: password changed by %s", operator_id)


def reset_password(db, operator_id: str, temporary_password: str, *, reset_by: str) -> None:
    """An admin's reset: the account signs in with `temporary_password` once, and must change it then."""
    _set_password(db, operator_id, temporary_password, must_change=True, by=reset_by)
    log.info("audit: password of %s reset by %s; a change is due at its next sign-in", operator_id, reset_by)


def list_operators(db) -> list[dict]:
    with db.read() as tx:
        rows = tx.all("SELECT operator_id, role, disabled, created_at FROM operators ORDER BY operator_id")
    return [{"operator_id": i, "role": r, "disabled": bool(d), "created_at": c} for i, r, d, c in rows]
