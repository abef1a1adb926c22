"""The audit chain: how each entry's hash covers its fields and the hash of
the entry before it, from GENESIS. The workstation writes and verifies its
chain with it (console/store/audit.py); the hub recomputes every entry it
receives with it (console/hub/push.py), so an entry altered after it left the
workstation is found on both."""

import hashlib
import json

GENESIS = "0" * 64  # the prev_hash of a chain's first entry


def entry_hash(prev_hash: str, entry_id: str, at: str, operator, workstation: str, kind: str, person_id,
               detail: str) -> str:
    """SHA-256 (hex) of an entry's fields, `detail` as the entry stores it (JSON text)."""
    body = json.dumps(
        [prev_hash, entry_id, at, operator, workstation, kind, person_id, detail],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
