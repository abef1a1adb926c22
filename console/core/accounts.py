"""Operator accounts: the rules of a new account and the password hasher,
the same on a workstation (console/store/operators.py) and on the hub
(console/hub/accounts.py), so an account made on one is valid on the other
and an argon2 verifier from the hub signs in offline on a workstation.

A password has at least MIN_PASSWORD characters and is not common or
guessable: zxcvbn (its lists of common passwords, words, names and keyboard
patterns, with the account's id, its role and the helpline's own words added)
must score it MIN_STRENGTH or more, that is, more than about 10^8 guesses.
A verifier stolen from a workstation then costs an attacker years at argon2's
speed, not an afternoon with a short list.

Only the accounts that may sign in on a workstation (WORKSTATION_ROLES) reach
one: an admin administers on the hub, and its verifier never leaves it.
"""

import re

from console.core.roles import ROLES

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 12
MIN_STRENGTH = 3  # zxcvbn's score: 3 is "safely unguessable: moderate protection from offline slow-hash attacks"
WORKSTATION_ROLES = ("operator", "supervisor")
# words an attacker of this helpline tries first
_HELPLINE_WORDS = ("helpline", "console", "hub", "operator", "supervisor", "admin", "password", "breach", "health",
                   "nhi", "0800", "caller", "register")


class AccountError(ValueError):
    """A refused account change or sign-in; the message is a sentence."""


def check_new_account(operator_id: str, role: str, password: str) -> None:
    """AccountError unless the id, role and password are usable (on a workstation and on the hub alike)."""
    if not _ID.fullmatch(operator_id or ""):
        raise AccountError(f"{operator_id!r} is not a usable operator id: letters, digits, . _ - (up to 64).")
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role; choose one of {', '.join(ROLES)}.")
    check_new_password(operator_id, password, role)


def check_new_password(operator_id: str, password: str, role: str = "") -> None:
    """AccountError, as a sentence, unless `password` is long enough and not common or guessable."""
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"The password must have at least {MIN_PASSWORD} characters.")
    from zxcvbn import zxcvbn

    # zxcvbn looks at the first 100 characters only (its matching is slow on long input)
    verdict = zxcvbn(password[:100], user_inputs=[operator_id, role, *_HELPLINE_WORDS])
    if verdict["score"] < MIN_STRENGTH:
        warning = verdict["feedback"].get("warning") or "It would be guessed quickly."
        raise AccountError(f"That password is too easy to guess: {warning.rstrip('.')}. Choose a longer one of "
                           "several uncommon words, not a name, date, keyboard pattern or the account's id.")


def password_hasher():
    """argon2-cffi's PasswordHasher with its defaults (its parameters travel inside each hash)."""
    from argon2 import PasswordHasher

    return PasswordHasher()
