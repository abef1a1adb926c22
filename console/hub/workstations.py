"""Enrolled workstations: the hub names each one and holds its public key.

An administrator runs `hub workstations enrol`, which names the workstation
and prints a one-time code (valid ENROLMENT_HOURS). On the workstation the
setup assistant or `sync --enrol CODE` makes an Ed25519 key pair, keeps the
private half in the OS keystore and sends the public half with the code. From
then on a sign-in signs a challenge from this hub with that key, every token
is bound to the workstation, and every request made with a token is signed
(console.core.device_proof). A revoked workstation gets nothing more.

A workstation may hold several caches over time (a cache replaced on the
same machine has a new name); each cache name is claimed by the first
enrolled workstation that signs in with it, and no other may use it.
"""

import base64
import hashlib
import re
import secrets
import time
from datetime import timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from console.core.timeutil import now, utc_text
from console.hub import audit_log

ENROLMENT_HOURS = 24
CHALLENGE_SECONDS = 120
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
WORKSTATION_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # a workstation's or a cache's name


class WorkstationRefused(Exception):
    """status and one sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().upper().encode("utf-8")).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def create_enrolment(db, workstation_id: str | None, *, created_by: str) -> dict:
    """A one-time code that enrols a workstation under that id (one the hub
    makes up when None). Enrolling an id again gives it a new code: the
    workstation that uses it replaces the key the id had."""
    workstation_id = workstation_id or f"ws-{secrets.token_hex(4)}"
    if not re.fullmatch(WORKSTATION_ID, workstation_id):
        raise WorkstationRefused(400, f"{workstation_id!r} cannot name a workstation: use up to 64 letters, digits, "
                                      "dots, dashes and underscores, starting with a letter or digit.")
    code = new_code()
    created = now()
    expires = utc_text(created + timedelta(hours=ENROLMENT_HOURS))
    with db.write() as tx:
        found = tx.one("SELECT revoked_at FROM workstations WHERE workstation_id = ?", [workstation_id])
        if found and found[0]:
            raise WorkstationRefused(409, f"The workstation {workstation_id} was revoked; enrol the machine under "
                                          "a new name.")
        if found:
            tx.execute("UPDATE workstations SET code_sha256 = ?, code_expires_at = ? WHERE workstation_id = ?",
                       [_code_digest(code), expires, workstation_id])
        else:
            tx.execute("INSERT INTO workstations (workstation_id, code_sha256, code_expires_at, created_at, "
                       "created_by) VALUES (?, ?, ?, ?, ?)",
                       [workstation_id, _code_digest(code), expires, utc_text(created), created_by])
        audit_log.record(tx, "workstation_enrolment_code", operator_id=created_by, workstation=workstation_id,
                         expires_at=expires)
    return {"workstation": workstation_id, "code": code, "expires_at": expires}


def _public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise WorkstationRefused(400, "The public key is not an Ed25519 public key (32 bytes, base64).") from None


def enrol(db, code: str, public_key: str) -> dict:
    """Take a workstation's public key for its one-time code; returns the
    workstation's id and when it was first enrolled ({"workstation",
    "enrolled_at"}: the workstation judges what it records by it too). The
    code is used up."""
    _public_key(public_key)
    with db.write() as tx:
        row = tx.one("SELECT workstation_id, code_expires_at FROM workstations "
                     "WHERE code_sha256 = ? AND revoked_at IS NULL", [_code_digest(code)])
        if row is None or row[1] <= utc_text(now()):
            raise WorkstationRefused(403, "That enrolment code is not valid on this hub (mistyped, used, or "
                                          "expired): ask an administrator for a new one.")
        workstation_id = row[0]
        # enrolled_at stays the first enrolment: what the workstation made before a new key is still its own
        tx.execute("UPDATE workstations SET public_key = ?, enrolled_at = COALESCE(enrolled_at, ?), "
                   "code_sha256 = NULL, code_expires_at = NULL WHERE workstation_id = ?",
                   [public_key, utc_text(now()), workstation_id])
        tx.execute("DELETE FROM tokens WHERE device = ?", [workstation_id])  # the old key's sessions end
        enrolled_at = tx.value("SELECT enrolled_at FROM workstations WHERE workstation_id = ?", [workstation_id])
        audit_log.record(tx, "workstation_enrolled", workstation=workstation_id)
    return {"workstation": workstation_id, "enrolled_at": enrolled_at}


def revoke(db, workstation_id: str, *, revoked_by: str) -> int:
    """Revoke a workstation: its sessions end and it gets nothing more.
    Returns the sessions ended."""
    with db.write() as tx:
        if tx.execute("UPDATE workstations SET revoked_at = ?, code_sha256 = NULL WHERE workstation_id = ? "
                      "AND revoked_at IS NULL", [utc_text(now()), workstation_id]).rowcount == 0:
            raise WorkstationRefused(404, f"There is no enrolled workstation {workstation_id} (or it is already "
                                          "revoked).")
        ended = tx.execute("DELETE FROM tokens WHERE device = ?", [workstation_id]).rowcount
        audit_log.record(tx, "workstation_revoked", operator_id=revoked_by, workstation=workstation_id,
                         sessions_ended=ended)
    return ended


def list_workstations(db) -> list[dict]:
    with db.read() as tx:
        rows = tx.all("SELECT workstation_id, enrolled_at, created_at, created_by, revoked_at, public_key IS NOT NULL "
                      "FROM workstations ORDER BY workstation_id")
        caches = tx.all("SELECT workstation_id, cache FROM workstation_caches ORDER BY cache")
    held: dict[str, list[str]] = {}
    for workstation_id, cache in caches:
        held.setdefault(workstation_id, []).append(cache)
    return [{"workstation": w, "state": "revoked" if r else ("enrolled" if k else "waiting for its code"),
             "enrolled_at": e,
             "created_at": c, "created_by": b, "revoked_at": r, "caches": held.get(w, [])}
            for w, e, c, b, r, k in rows]


def active_key(tx, workstation_id: str) -> Ed25519PublicKey | str:
    """The enrolled workstation's key, or a sentence saying why it has none."""
    row = tx.one("SELECT public_key, revoked_at FROM workstations WHERE workstation_id = ?", [workstation_id])
    if row is None or row[0] is None:
        return (f"The workstation {workstation_id} is not enrolled on this hub: an administrator enrols it with "
                "`hub workstations enrol`.")
    if row[1]:
        return f"The workstation {workstation_id} was revoked on this hub; it gets nothing more."
    return _public_key(row[0])


def verified(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def new_challenge(db, workstation_id: str) -> str:
    with db.read() as tx:
        key = active_key(tx, workstation_id)
    if isinstance(key, str):
        raise WorkstationRefused(403, key)
    challenge = secrets.token_urlsafe(32)
    moment = time.time()
    with db.write() as tx:
        tx.execute("DELETE FROM sign_in_challenges WHERE at < ?", [moment - CHALLENGE_SECONDS])
        tx.execute("INSERT INTO sign_in_challenges (challenge, workstation_id, at) VALUES (?, ?, ?)",
                   [challenge, workstation_id, moment])
    return challenge


def take_challenge(tx, challenge: str, workstation_id: str) -> bool:
    """Use up a challenge this hub gave that workstation in the last CHALLENGE_SECONDS."""
    return tx.execute("DELETE FROM sign_in_challenges WHERE challenge = ? AND workstation_id = ? AND at >= ?",
                      [challenge, workstation_id, time.time() - CHALLENGE_SECONDS]).rowcount == 1


def claim_cache(tx, cache: str, workstation_id: str) -> str | None:
    """Claim a cache name for the workstation; a sentence when another holds it."""
    # two sign-ins of a new cache at once both claim it, and both find the same owner
    tx.execute("INSERT INTO workstation_caches (cache, workstation_id, claimed_at) VALUES (?, ?, ?) "
               "ON CONFLICT (cache) DO NOTHING", [cache, workstation_id, utc_text(now())])
    row = tx.one("SELECT workstation_id FROM workstation_caches WHERE cache = ?", [cache])
    if row[0] != workstation_id:
        return f"The cache {cache} belongs to another enrolled workstation; it cannot sync from this one."
    return None
