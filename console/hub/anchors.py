"""Audit anchors: the hub's chain heads, signed, kept where the hub cannot rewrite them.

Each workstation's audit chain reaches the hub entry by entry (console/hub/push.py
checks every link). Someone who can write the hub's database could still cut
entries off a chain's end, or rewrite it and recompute every hash, and the
trail would look intact. An anchor closes that: the head (seq and hash) of every
workstation's chain at one moment, signed with the hub's Ed25519 key (derived
from its key file, console/hub/crypto.py). The hub signs one every hour while it
serves (`every_hour`) and on demand; `hub audit anchor --out FILE` appends the
anchors the file does not hold yet to FILE, one JSON line each, for IT to keep
off the server (append-only storage). `hub audit verify --anchors FILE` then
proves the hub's trail against them: every signature is the hub's, and every
anchored entry is still on the hub, with the anchored hash, linked to the
genesis of its chain. A trail rewritten or truncated after an anchor fails.
"""

import asyncio
import json
import logging
import os

from console.core.audit_chain import GENESIS, entry_hash
from console.core.records import canonical
from console.core.timeutil import now, utc_text

log = logging.getLogger("console.hub.anchors")

EVERY_SECONDS = 3600


def _public_key_hex(key) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _heads(tx) -> dict:
    return {ws: {"seq": seq, "hash": digest}
            for ws, seq, digest in tx.all("SELECT workstation, seq, hash FROM audit_heads ORDER BY workstation")}


def sign_heads(db) -> dict:
    """Sign the chain heads the hub holds now and keep the anchor; returns it.
    When no head moved since the newest anchor, that anchor is returned instead."""
    with db.write() as tx:
        heads = _heads(tx)
        newest = tx.one("SELECT anchor_id, body, signature FROM audit_anchors ORDER BY anchor_id DESC LIMIT 1")
        if newest and json.loads(newest[1])["heads"] == heads:
            return _anchor(*newest)
        body = canonical({"at": utc_text(now()), "heads": heads, "public_key": _public_key_hex(db.key)})
        signature = db.key.signing_key.sign(body.encode("utf-8")).hex()
        tx.execute("INSERT INTO audit_anchors (at, body, signature) VALUES (?, ?, ?)",
                   [json.loads(body)["at"], body, signature])
        anchor_id = tx.value("SELECT max(anchor_id) FROM audit_anchors")
    log.info("audit anchor %s signed: %d chains", anchor_id, len(heads))
    return _anchor(anchor_id, body, signature)


def _anchor(anchor_id: int, body: str, signature: str) -> dict:
    return {"anchor_id": anchor_id, "body": body, "signature": signature}


def append_anchors(db, path) -> int:
    """Sign the heads now, then append to the file at `path` (created owner-only)
    every anchor newer than the newest it holds; returns how many were appended."""
    sign_heads(db)
    held = read_anchors(path) if os.path.exists(path) else []
    after = max((a["anchor_id"] for a in held), default=0)
    with db.read() as tx:
        rows = tx.all("SELECT anchor_id, body, signature FROM audit_anchors WHERE anchor_id > ? ORDER BY anchor_id",
                      [after])
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        for row in rows:
            f.write(canonical(_anchor(*row)) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return len(rows)


class AnchorProblem(Exception):
    """An anchors file that cannot be read; the message is a sentence."""


def read_anchors(path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
    except OSError as exc:
        raise AnchorProblem(f"The anchors file {path} cannot be read ({exc.strerror}).") from None
    try:
        return [json.loads(line) for line in lines]
    except ValueError:
        raise AnchorProblem(f"{path} is not an anchors file written by `hub audit anchor`.") from None


def verify_against(db, anchors: list[dict]) -> list[str]:
    """What the hub's trail fails to prove against `anchors` (each a sentence); empty when it holds."""
    from cryptography.exceptions import InvalidSignature

    problems = []
    public = db.key.signing_key.public_key()
    with db.read() as tx:
        for anchor in anchors:
            try:
                public.verify(bytes.fromhex(anchor["signature"]), anchor["body"].encode("utf-8"))
            except (InvalidSignature, ValueError, KeyError):
                problems.append(f"Anchor {anchor.get('anchor_id')} is not signed by this hub's key.")
                continue
            body = json.loads(anchor["body"])
            for workstation, head in body["heads"].items():
                row = tx.one("SELECT hash FROM audit WHERE workstation = ? AND seq = ?", [workstation, head["seq"]])
                if row is None:
                    problems.append(f"Workstation {workstation}'s entry {head['seq']}, anchored at {body['at']}, "
                                    "is no longer on the hub: the trail was cut short.")
                elif row[0] != head["hash"]:
                    problems.append(f"Workstation {workstation}'s entry {head['seq']} is not the one anchored at "
                                    f"{body['at']}: the trail was rewritten.")
        for workstation in sorted({ws for a in anchors for ws in json.loads(a["body"])["heads"]}):
            problems.extend(_chain_problems(tx, workstation))
    return list(dict.fromkeys(problems))


def _chain_problems(tx, workstation: str) -> list[str]:
    """Every entry of the hub's copy of the chain links to the one before it, from the genesis."""
    expected_seq, prev = 1, GENESIS
    for seq, stored_hash, entry_id, body in tx.all(
            "SELECT seq, hash, entry_id, body FROM audit WHERE workstation = ? ORDER BY seq", [workstation]):
        entry = json.loads(tx.open("audit", entry_id, "body", body))
        recomputed = entry_hash(entry["prev_hash"], entry["entry_id"], entry["at"], entry["operator"], workstation,
                                entry["kind"], entry["person_id"], entry["detail"])
        if seq != expected_seq or entry["prev_hash"] != prev or recomputed != stored_hash:
            return [f"Workstation {workstation}'s chain on the hub breaks at entry {seq}."]
        expected_seq, prev = seq + 1, stored_hash
    return []


async def every_hour(db) -> None:
    """Sign the heads every hour while the hub serves (cancelled when it stops)."""
    while True:
        signing = asyncio.ensure_future(asyncio.to_thread(sign_heads, db))
        try:
            await asyncio.shield(signing)
        except asyncio.CancelledError:
            # the hub is stopping: the thread still works on the database, which must not be closed
            # under it (a closed SQLCipher connection in use ends the process on SIGSEGV)
            await asyncio.wait([signing])
            raise
        except Exception as exc:  # the database busy or away: the next hour tries again
            log.warning("audit anchor not signed this hour (%s)", type(exc).__name__)
        await asyncio.sleep(EVERY_SECONDS)
