"""Operator accounts: the rules of a new account and the password hasher,
the same on a workstation (console/store/operators.py) and on the hub
(console/hub/accounts.py), so an account made on one is valid on the other
and an argon2 verifier from the hub signs in offline on a workstation."""

import re

from console.core.roles import ROLES

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A refused account change or sign-in; the message is a sentence."""


def check_new_account(operator_id: str, role: str, password: str) -> None:
    """AccountError unless the id, role and password are usable (on a workstation and on the hub alike)."""
    if not _ID.fullmatch(operator_id or ""):
        raise AccountError(f"{operator_id!r} is not a usable operator id: letters, digits, . _ - (up to 64).")
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role; choose one of {', '.join(ROLES)}.")
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"The password must have at least {MIN_PASSWORD} characters.")


def password_hasher():
    """argon2-cffi's PasswordHasher with its defaults (its parameters travel inside each hash)."""
    from argon2 import PasswordHasher

    return PasswordHasher()
