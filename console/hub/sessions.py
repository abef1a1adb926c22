"""Sign-in, bearer tokens and the sign-in rate limit, all kept in the database.

A token is `secrets.token_urlsafe(32)`, handed out once; the hub keeps only
its SHA-256, so a copy of the database cannot be replayed as sessions. A
token is bound to one operator and one workstation and lasts TOKEN_HOURS.

The rate limit counts failed sign-ins per (client address, operator id) over
SIGN_IN_WINDOW_SECONDS. An attempt is counted *before* its password is
checked, in the same write transaction as the check of the count, and
uncounted only if the password turns out right: so parallel guesses, on one
hub process or several, can never exceed SIGN_IN_FAILURES. Besides, an
account's failures from every address slow its sign-ins down: after
ACCOUNT_FREE_FAILURES each further attempt waits twice as long as the last
(up to ACCOUNT_MAX_DELAY), so rotating addresses gains nothing. A disabled
account is answered exactly as a wrong password, and every sign-in, right or
wrong, is in the hub's audit (console.hub.audit_log).
"""

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from console.core.timeutil import now, utc_text
from console.core.device_proof import request_message, sign_in_message
from console.hub import accounts, audit_log, workstations
from console.sync.protocol import SIGN_IN_FAILURES, SIGN_IN_WINDOW_SECONDS, TOKEN_HOURS

WRONG = "Sign-in failed: the operator id or password is wrong."
ACCOUNT_FREE_FAILURES = SIGN_IN_FAILURES  # then each try waits twice as long as the one before
ACCOUNT_MAX_DELAY = 300


class SignInRefused(Exception):
    """status: 401 wrong id or password (or a disabled account), 403 a workstation
    not enrolled, revoked, or not proving it holds its key, 429 too many failures."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    operator_id: str
    role: str
    workstation: str  # the cache the token syncs
    device: str = ""  # the enrolled workstation that signed in


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


def issue_token(tx, operator_id: str, workstation: str, device: str) -> tuple[str, str]:
    """A new token for the operator syncing that cache on that enrolled workstation; returns (token, expires_at)."""
    token = secrets.token_urlsafe(32)
    issued = now()
    expires_at = utc_text(issued + timedelta(hours=TOKEN_HOURS))
    tx.execute("INSERT INTO tokens (token_sha256, operator_id, workstation, device, created_at, expires_at) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               [token_digest(token), operator_id, workstation, device, utc_text(issued), expires_at])
    return token, expires_at


def _account_delay(tx, operator_id: str, moment: float) -> int:
    """Seconds this account must still wait, from its failures from every address."""
    count, latest = tx.one("SELECT count(*), max(at) FROM sign_in_failures WHERE operator_id = ? AND at >= ?",
                           [operator_id, moment - SIGN_IN_WINDOW_SECONDS])
    if count < ACCOUNT_FREE_FAILURES:
        return 0
    delay = min(ACCOUNT_MAX_DELAY, 2 ** (count - ACCOUNT_FREE_FAILURES))
    return max(0, math.ceil(latest + delay - moment))


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
        wait = _account_delay(tx, operator_id, moment)
        if wait:
            raise SignInRefused(429, f"Sign-ins for {operator_id} failed several times: wait {_minutes(wait)} "
                                     "before the next try.", retry_after=wait)
        return tx.value("INSERT INTO sign_in_failures (address, operator_id, at) VALUES (?, ?, ?) RETURNING failure_id",
                        [address, operator_id, moment])


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def check_device(db, device: str, challenge: str, signature: str, body: bytes) -> None:
    """SignInRefused(403) unless an enrolled, unrevoked workstation signed this
    sign-in's body and a challenge this hub gave it."""
    with db.write() as tx:
        key = workstations.active_key(tx, device)
        if isinstance(key, str):
            raise SignInRefused(403, key)
        fresh = workstations.take_challenge(tx, challenge, device)
    if not (fresh and workstations.verified(key, signature, sign_in_message(challenge, device, body))):
        raise SignInRefused(403, f"The workstation {device} did not prove it holds its key (a stale challenge, or "
                                 "a signature that does not match): sign in again, or enrol it again.")


def sign_in(db, operator_id: str, password: str, workstation: str, address: str, device: str) -> dict:
    """A token for a right password of an active account, or SignInRefused.
    The caller has checked the device (check_device)."""
    try:
        failure_id = _count_attempt(db, address, operator_id)
    except SignInRefused as refused:
        _audit_failure(db, operator_id, device, workstation, f"throttled ({refused.status})")
        raise
    with db.read() as tx:
        row = tx.one("SELECT role, password_hash, disabled FROM operators WHERE operator_id = ?", [operator_id])
    role, password_hash, disabled = row if row else (None, None, True)
    right = _password_matches(password_hash, password)  # slow on purpose: outside any transaction
    if not right or disabled:
        # a disabled account gets the wrong password's answer: the answer confirms no password
        _audit_failure(db, operator_id if row else None, device, workstation,
                       "disabled account" if right else "wrong password")
        raise SignInRefused(401, WRONG)
    with db.write() as tx:
        claimed = workstations.claim_cache(tx, workstation, device)
        if claimed:
            outcome = SignInRefused(403, claimed)
        else:
            # a right password is no failure: this pair starts afresh
            tx.execute("DELETE FROM sign_in_failures WHERE failure_id = ? OR operator_id = ?",
                       [failure_id, operator_id])
            tx.execute("DELETE FROM tokens WHERE expires_at < ?", [utc_text(now())])
            token, expires_at = issue_token(tx, operator_id, workstation, device)
            audit_log.record(tx, "sign_in", operator_id=operator_id, workstation=device, cache=workstation)
            outcome = {"token": token, "operator_id": operator_id, "role": role, "expires_at": expires_at}
    if isinstance(outcome, SignInRefused):
        raise outcome
    return outcome


def _audit_failure(db, operator_id: str | None, device: str, workstation: str, reason: str) -> None:
    """A refused sign-in in the hub's audit; the id only when it is an account (people type passwords into id fields)."""
    with db.write() as tx:
        audit_log.record(tx, "sign_in_failed", operator_id=operator_id, workstation=device, cache=workstation,
                         reason=reason)


def session_for(db, token: str, signed: tuple[str, str, str, bytes] | None) -> Session | str:
    """The session a bearer token stands for, or a sentence saying why there is none.

    `signed` is the request as its workstation signed it: (signature, method,
    path with query, body); the signature must be the token's workstation's."""
    with db.read() as tx:
        row = tx.one("SELECT t.operator_id, t.workstation, t.device, t.expires_at, o.role, o.disabled "
                     "FROM tokens t JOIN operators o ON o.operator_id = t.operator_id WHERE t.token_sha256 = ?",
                     [token_digest(token)])
        key = workstations.active_key(tx, row[2]) if row and row[2] else None
    if row is None or key is None:
        return "The token is not valid here (signed out, revoked, or from another hub); sign in again."
    operator_id, workstation, device, expires_at, role, disabled = row
    if isinstance(key, str):
        return key
    if signed is None or not workstations.verified(key, signed[0], request_message(signed[1], signed[2], signed[3],
                                                                                   token)):
        return (f"This token belongs to the workstation {device}, and this request does not carry its signature: "
                "a token is used only on the workstation that signed in.")
    if expires_at <= utc_text(now()):
        return "The session has expired; sign in again."
    if disabled:
        return f"The account {operator_id} is disabled; ask an administrator."
    return Session(operator_id, role, workstation, device)


def end_session(db, token: str, session: Session) -> None:
    with db.write() as tx:
        tx.execute("DELETE FROM tokens WHERE token_sha256 = ?", [token_digest(token)])
        audit_log.record(tx, "sign_out", operator_id=session.operator_id, workstation=session.device,
                         cache=session.workstation)
