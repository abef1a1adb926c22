"""Operator accounts: who may sign in, with which role. Passwords are kept
only as argon2 hashes; the first admin is created without sign-in."""

from console.core.accounts import MIN_PASSWORD, AccountError, check_new_account, password_hasher
from console.core.timeutil import now, utc_text

__all__ = ["MIN_PASSWORD", "AccountError", "accounts_exist", "active_role", "add_operator", "disable_operator",
           "check_password", "list_operators"]


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

    row = db.execute("SELECT role, password_hash, disabled FROM operators WHERE operator_id = ?",
                     [operator_id or ""]).fetchone()
    refused = AccountError("Sign-in failed: the operator id or password is wrong, or the account is disabled.")
    if row is None:
        password_hasher().hash(password or "x")  # the same time whether or not the id exists
        raise refused
    role, password_hash, disabled = row
    try:
        password_hasher().verify(password_hash, password or "")
    except VerificationError:
        raise refused from None
    if disabled:
        raise refused
    return role
