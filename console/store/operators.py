"""Operator accounts: who may sign in, with which role. Passwords are kept
only as argon2 hashes; the first admin is created without sign-in."""

from console.core.accounts import MIN_PASSWORD, AccountError, check_new_account, check_new_password, password_hasher
from console.core.timeutil import now, utc_text

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


def check_password(db, operator_id: str, password: str) -> str:
    """The operator's role if the password is theirs and the account is active."""
    from argon2.exceptions import VerificationError

    row = db.execute("SELECT role, password_hash, disabled, must_change FROM operators WHERE operator_id = ?",
                     [operator_id or ""]).fetchone()
    refused = AccountError("Sign-in failed: the operator id or password is wrong, or the account is disabled.")
    if row is None:
        password_hasher().hash(password or "x")  # the same time whether or not the id exists
        raise refused
    role, password_hash, disabled, must_change = row
    try:
        password_hasher().verify(password_hash, password or "")
    except VerificationError:
        raise refused from None
    if disabled:
        raise refused
    if must_change:
        raise PasswordChangeDue(f"The password of {operator_id} was reset by an administrator: choose a new one "
                                f"first (helpline-console operators passwd --operator {operator_id}).")
    return role


def _set_password(db, operator_id: str, new_password: str, *, must_change: bool) -> None:
    row = db.execute("SELECT role FROM operators WHERE operator_id = ?", [operator_id]).fetchone()
    if row is None:
        raise AccountError(f"There is no operator {operator_id}.")
    check_new_password(operator_id, new_password, row[0])
    db.execute("UPDATE operators SET password_hash = ?, must_change = ? WHERE operator_id = ?",
               [password_hasher().hash(new_password), int(must_change), operator_id])


def change_password(db, operator_id: str, current_password: str, new_password: str) -> None:
    """The operator's own change; the current password proves it is them (a reset one included)."""
    try:
        check_password(db, operator_id, current_password)
    except PasswordChangeDue:
        pass
    if new_password == current_password:
        raise AccountError("The new password must differ from the current one.")
    _set_password(db, operator_id, new_password, must_change=False)


def reset_password(db, operator_id: str, temporary_password: str) -> None:
    """An admin's reset: the account must change `temporary_password` at its next sign-in."""
    _set_password(db, operator_id, temporary_password, must_change=True)
