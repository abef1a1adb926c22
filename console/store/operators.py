"""Operator accounts: who may sign in, with which role. Passwords are kept
only as argon2 hashes; the first admin is created without sign-in.

Every sign-in, right or wrong, is in the audit (`sign_in`, `sign_in_failed`;
an id is named only when it is an account: people type passwords into id
fields). An account's failures slow its next sign-ins down: after
FREE_FAILURES within FAILURE_WINDOW, each try waits twice as long as the one
before (up to MAX_DELAY_SECONDS), as on the hub.
"""

import math
from datetime import datetime, timedelta

from console.core.accounts import MIN_PASSWORD, AccountError, check_new_account, check_new_password, password_hasher
from console.core.timeutil import now, utc_text
from console.store.audit import append_audit
from console.store.connection import write_transaction

FREE_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MAX_DELAY_SECONDS = 300
WRONG = "Sign-in failed: the operator id or password is wrong, or the account is disabled."

__all__ = ["MIN_PASSWORD", "AccountError", "PasswordChangeDue", "accounts_exist", "active_role", "add_operator",
           "change_password", "disable_operator", "check_password", "list_operators", "reset_password"]


class PasswordChangeDue(AccountError):
    """The password is right, but an admin reset it: the operator must choose a new one before signing in."""


def accounts_exist(db) -> bool:
    return db.execute("SELECT 1 FROM operators LIMIT 1").fetchone() is not None


def add_operator(db, operator_id: str, role: str, password: str, *, created_by: str | None) -> dict:
    check_new_account(operator_id, role, password)
    if db.execute("SELECT 1 FROM operators WHERE operator_id = ?", [operator_id]).fetchone():
        raise AccountError(f"There is already an operator {operator_id}.")
    row = {"operator_id": operator_id, "role": role, "password_hash": password_hasher().hash(password),
           "disabled": 0, "created_at": utc_text(now()), "created_by": created_by}
    db.execute("INSERT INTO operators (operator_id, role, password_hash, disabled, created_at, created_by) "
               "VALUES (:operator_id, :role, :password_hash, :disabled, :created_at, :created_by)", row)
    return {"operator_id": operator_id, "role": role}


def disable_operator(db, operator_id: str) -> None:
    if db.execute("UPDATE operators SET disabled = 1 WHERE operator_id = ?", [operator_id]).rowcount == 0:
        raise AccountError(f"There is no operator {operator_id}.")


def list_operators(db) -> list[dict]:
    return [{"operator_id": i, "role": r, "disabled": bool(d), "created_at": c}
            for i, r, d, c in db.execute(
                "SELECT operator_id, role, disabled, created_at FROM operators ORDER BY operator_id")]


def active_role(db, operator_id: str | None) -> str | None:
    row = db.execute("SELECT role FROM operators WHERE operator_id = ? AND disabled = 0", [operator_id or ""]).fetchone()
    return row[0] if row else None


def _workstation(db) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'workstation'").fetchone()
    return row[0] if row else None


def _audit_sign_in(db, kind: str, operator_id: str | None, **detail) -> None:
    with write_transaction(db):
        append_audit(db, kind, operator=operator_id, workstation=_workstation(db), detail=detail)


def sign_in_delay(db, operator_id: str, moment: datetime | None = None) -> int:
    """Seconds the account must still wait before its next sign-in, from its
    failures since its last right one (within FAILURE_WINDOW)."""
    moment = moment or now()
    since = utc_text(moment - FAILURE_WINDOW)
    last_right = db.execute("SELECT max(at) FROM audit WHERE kind = 'sign_in' AND operator = ?",
                            [operator_id]).fetchone()[0]
    count, latest = db.execute("SELECT count(*), max(at) FROM audit WHERE kind = 'sign_in_failed' AND operator = ? "
                               "AND at >= ?", [operator_id, max(since, last_right or "")]).fetchone()
    if count < FREE_FAILURES:
        return 0
    delay = min(MAX_DELAY_SECONDS, 2 ** (count - FREE_FAILURES))
    waited = (moment - datetime.fromisoformat(latest)).total_seconds()
    return max(0, math.ceil(delay - waited))


def check_password(db, operator_id: str, password: str) -> str:
    """The operator's role if the password is theirs and the account is active;
    audited either way."""
    from argon2.exceptions import VerificationError

    row = db.execute("SELECT role, password_hash, disabled, must_change FROM operators WHERE operator_id = ?",
                     [operator_id or ""]).fetchone()
    if row is None:
        password_hasher().hash(password or "x")  # the same time whether or not the id exists
        _audit_sign_in(db, "sign_in_failed", None, reason="no such account")
        raise AccountError(WRONG)
    wait = sign_in_delay(db, operator_id)
    if wait:
        _audit_sign_in(db, "sign_in_failed", operator_id, reason="throttled")
        raise AccountError(f"Sign-ins for {operator_id} failed several times: wait {wait} second"
                           f"{'s' if wait != 1 else ''} before the next try.")
    role, password_hash, disabled, must_change = row
    try:
        password_hasher().verify(password_hash, password or "")
    except VerificationError:
        _audit_sign_in(db, "sign_in_failed", operator_id, reason="wrong password")
        raise AccountError(WRONG) from None
    if disabled:
        _audit_sign_in(db, "sign_in_failed", operator_id, reason="disabled account")
        raise AccountError(WRONG)
    if must_change:
        _audit_sign_in(db, "sign_in_failed", operator_id, reason="password change due")
        raise PasswordChangeDue(f"The password of {operator_id} was reset by an administrator: choose a new one "
                                f"first (helpline-console operators passwd --operator {operator_id}).")
    _audit_sign_in(db, "sign_in", operator_id)
    return role


def _set_password(db, operator_id: str, new_password: str, *, must_change: bool) -> None:
    row = db.execute("SELECT role FROM operators WHERE operator_id = ?", [operator_id]).fetchone()
    if row is None:
        raise AccountError(f"There is no operator {operator_id}.")
    check_new_password(operator_id, new_password, row[0])
    db.execute("UPDATE operators SET password_hash = ?, must_change = ? WHERE operator_id = ?",
               [password_hasher().hash(new_password), int(must_change), operator_id])


def check_current_password(db, operator_id: str, current_password: str) -> None:
    """Before an operator's own change, outside any transaction (the check is
    audited as a sign-in): the current password proves it is them, a reset
    one included; AccountError otherwise."""
    try:
        check_password(db, operator_id, current_password)
    except PasswordChangeDue:
        pass


def change_password(db, operator_id: str, current_password: str, new_password: str) -> None:
    """The operator's own change, once check_current_password has passed."""
    if new_password == current_password:
        raise AccountError("The new password must differ from the current one.")
    _set_password(db, operator_id, new_password, must_change=False)


def reset_password(db, operator_id: str, temporary_password: str) -> None:
    """An admin's reset: the account must change `temporary_password` at its next sign-in."""
    _set_password(db, operator_id, temporary_password, must_change=True)
