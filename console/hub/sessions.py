"""Sign-in, bearer tokens and the sign-in rate limit, all kept in the database.

A token is `secrets.token_urlsafe(32)`, handed out once; the hub keeps only
its SHA-256, so a copy of the database cannot be replayed as sessions. A
token is bound to one operator and one workstation and lasts TOKEN_HOURS.

The rate limit counts failed sign-ins per (client address, operator id) over
SIGN_IN_WINDOW_SECONDS. An attempt is counted *before* its password is
checked, in the same write transaction as the check of the count, and
uncounted only if the password turns out right: so parallel guesses, on one
hub process or several, can never exceed SIGN_IN_FAILURES.
"""

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from console.core.timeutil import now, utc_text
from console.hub import accounts
from console.sync.protocol import SIGN_IN_FAILURES, SIGN_IN_WINDOW_SECONDS, TOKEN_HOURS

WRONG = "Sign-in failed: the operator id or password is wrong."


class SignInRefused(Exception):
    """status: 401 wrong id or password, 403 disabled, 429 too many failures."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    operator_id: str
    role: str
    workstation: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def _decoy_hash(hasher_parameters) -> str:
    return accounts.password_hasher().hash("no such operator")


def _password_matches(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = accounts.password_hasher()
    if password_hash is None:
        # the same work whether or not the id exists, so timing does not reveal which ids do
        decoy = _decoy_hash((hasher.time_cost, hasher.memory_cost, hasher.parallelism))
        try:
            hasher.verify(decoy, password)
        except VerificationError:
            pass
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(tx, operator_id: str, workstation: str) -> tuple[str, str]:
    """A new token for the operator on that workstation; returns (token, expires_at)."""
    token = secrets.token_urlsafe(32)
    issued = now()
    expires_at = utc_text(issued + timedelta(hours=TOKEN_HOURS))
    tx.execute("INSERT INTO tokens (token_sha256, operator_id, workstation, created_at, expires_at) "
               "VALUES (?, ?, ?, ?, ?)", [token_digest(token), operator_id, workstation, utc_text(issued), expires_at])
    return token, expires_at


def _count_attempt(db, address: str, operator_id: str) -> int:
    """Record a (provisional) failure and return its id, or refuse with 429."""
    moment = time.time()
    window_start = moment - SIGN_IN_WINDOW_SECONDS
    with db.write() as tx:
        tx.execute("DELETE FROM sign_in_failures WHERE at < ?", [window_start])
        count, oldest = tx.one("SELECT count(*), min(at) FROM sign_in_failures "
                               "WHERE address = ? AND operator_id = ? AND at >= ?",
                               [address, operator_id, window_start])
        if count >= SIGN_IN_FAILURES:
            wait = max(1, math.ceil(oldest + SIGN_IN_WINDOW_SECONDS - moment))
            raise SignInRefused(429, f"Too many failed sign-ins for {operator_id} from this address: "
                                     f"try again in {_minutes(wait)}, or ask a supervisor to check the account.",
                                retry_after=wait)
        return tx.value("INSERT INTO sign_in_failures (address, operator_id, at) VALUES (?, ?, ?) RETURNING failure_id",
                        [address, operator_id, moment])


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def sign_in(db, operator_id: str, password: str, workstation: str, address: str) -> dict:
    """A token for a right password of an active account, or SignInRefused."""
    failure_id = _count_attempt(db, address, operator_id)
    with db.read() as tx:
        row = tx.one("SELECT role, password_hash, disabled FROM operators WHERE operator_id = ?", [operator_id])
    role, password_hash, disabled = row if row else (None, None, True)
    right = _password_matches(password_hash, password)  # slow on purpose: outside any transaction
    if not right:
        raise SignInRefused(401, WRONG)
    with db.write() as tx:
        # a right password is no failure: this pair starts afresh
        tx.execute("DELETE FROM sign_in_failures WHERE failure_id = ? OR (address = ? AND operator_id = ?)",
                   [failure_id, address, operator_id])
        if disabled:
            outcome = SignInRefused(403, f"The account {operator_id} is disabled; ask an administrator.")
        else:
            tx.execute("DELETE FROM tokens WHERE expires_at < ?", [utc_text(now())])
            token, expires_at = issue_token(tx, operator_id, workstation)
            outcome = {"token": token, "operator_id": operator_id, "role": role, "expires_at": expires_at}
    if isinstance(outcome, SignInRefused):
        raise outcome
    return outcome


def session_for(db, token: str) -> Session | str:
    """The session a bearer token stands for, or a sentence saying why there is none."""
    with db.read() as tx:
        row = tx.one("SELECT t.operator_id, t.workstation, t.expires_at, o.role, o.disabled "
                     "FROM tokens t JOIN operators o ON o.operator_id = t.operator_id WHERE t.token_sha256 = ?",
                     [token_digest(token)])
    if row is None:
        return "The token is not valid here (signed out, revoked, or from another hub); sign in again."
    operator_id, workstation, expires_at, role, disabled = row
    if expires_at <= utc_text(now()):
        return "The session has expired; sign in again."
    if disabled:
        return f"The account {operator_id} is disabled; ask an administrator."
    return Session(operator_id, role, workstation)


def end_session(db, token: str) -> None:
    with db.write() as tx:
        tx.execute("DELETE FROM tokens WHERE token_sha256 = ?", [token_digest(token)])
