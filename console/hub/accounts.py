"""Operator accounts on the hub, their source of truth.

Accounts are made and disabled here (by the hub's command line) and reach the
workstations through the change feed as `account` changes carrying the argon2
verifier, so an operator can sign in on a workstation that is offline. The
hasher and the id and password rules are the workstation's own
(console/core/accounts.py), so an account is valid on both.
"""

from console.core.accounts import AccountError, check_new_account, password_hasher
from console.core.timeutil import now, utc_text
from console.hub import audit_log
from console.hub.changes import append_change

__all__ = ["AccountError", "add_operator", "disable_operator", "list_operators", "password_hasher"]


def _account_change(tx, operator_id: str) -> None:
    role, password_hash, disabled = tx.one(
        "SELECT role, password_hash, disabled FROM operators WHERE operator_id = ?", [operator_id])
    append_change(tx, "account", operator_id, {"operator_id": operator_id, "role": role,
                                               "password_hash": password_hash, "disabled": bool(disabled)})


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


def list_operators(db) -> list[dict]:
    with db.read() as tx:
        rows = tx.all("SELECT operator_id, role, disabled, created_at FROM operators ORDER BY operator_id")
    return [{"operator_id": i, "role": r, "disabled": bool(d), "created_at": c} for i, r, d, c in rows]
