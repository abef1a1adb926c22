"""Sealed columns: personal data the hub encrypts itself before it reaches the database.

On PostgreSQL the database server, its disk and every `pg_dump` would
otherwise hold the helpline's records in clear; on SQLite the file is
encrypted by SQLCipher already, and the hub seals the same columns there too,
so there is one code path and one rule: a column listed in SEALED never holds
clear text on either backend.

A sealed value is AES-256-GCM (`cryptography`) under a key derived from the
hub's key file (console.hub.crypto.HubKey.sealing_key). Its associated data
binds it to its table, its row and its column, so a ciphertext copied into
another row or column does not open. Every sealed value starts with its key
id, so keys can be rotated later: a new id, a new derived key, old rows opened
with theirs until re-sealed.

- Text columns (a record's body, a reason, a message) hold
  `s1:` + base64(nonce ‖ ciphertext ‖ tag): still text, so column types and
  queries stay as they are. `seal`/`open` (or `tx.seal`/`tx.open` in a
  storage transaction).
- Blob columns (a register's snapshot and delta, megabytes each, read by
  workstations in slices) are sealed in segments of SEGMENT bytes, each with
  its own nonce and its index and the segment count in its associated data,
  so a slice is read and opened without the rest (`seal_blob`,
  `stored_range`, `open_segments`, `open_blob`) and a blob cut short or
  reordered does not open.
- `digest(value)` is a keyed BLAKE2b-256 (a MAC by design): equality without the clear text
  (e.g. a body's digest kept in a plain column), useless to anyone without
  the key.

Figures that the dashboard and reports query (times, outcome, region, flags,
counts, operator and workstation ids) stay in plain columns beside the sealed
body. Applying this to a new table: see README.md, "The hub's data at rest".
"""

import base64
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ID = 1  # the key new values are sealed with; bump with a new derived key to rotate
TEXT_PREFIX = "s"  # "s<key id>:" + base64
BLOB_MAGIC = b"HLB"  # + one byte: the key id
BLOB_HEADER = len(BLOB_MAGIC) + 1
SEGMENT = 64 * 1024  # clear bytes per blob segment
NONCE = 12
TAG = 16
STORED_SEGMENT = NONCE + SEGMENT + TAG

# What is sealed, table by table: (row id columns, sealed columns). The row id
# is what the associated data names; it must be known before the row is
# written (an autoincrement seq only where the row is inserted first, as
# registers are) and never change. SEALED_BY_M015 is what the migration
# m015_sealed_columns sealed (frozen, as the migration is); a table or column
# sealed later is added to SEALED, and its own migration seals its rows.
SEALED_BY_M015 = {
    "calls": (("call_id",), ("record",)),
    "callbacks": (("callback_id",), ("body",)),
    "attempts": (("attempt_id",), ("body",)),
    "unlocks": (("unlock_id",), ("body", "reason")),
    "audit": (("entry_id",), ("body", "detail")),
    "escalation_acks": (("call_id",), ("body",)),
    "changes": (("kind", "entity_id"), ("body",)),
    "refused_pushes": (("workstation", "item_id"), ("message",)),
    "registers": (("seq",), ("snapshot", "delta")),
    # the line (m008): a CTI event's body names the calling and called numbers;
    # a call's row keeps its number for the missed-callers list
    "cti_events": (("pbx", "call_id", "event"), ("body",)),
    "cti_calls": (("pbx", "call_id"), ("number",)),
    # the supervisors' live message (m009): free text
    "live_messages": (("version",), ("text",)),
    # the codes' argon2id hashes (m010): one-way, but each one a target for
    # guessing a code offline, as the snapshot's copy (sealed) would be
    "register_codes": (("person_id",), ("code_hash",)),
    # dial intents (m014): the number's digest is keyed by the callback's id,
    # which the hub holds in clear, so it would give the number to a guess
    "dial_intents": (("intent_id",), ("body", "number_digest")),
}
SEALED = {**SEALED_BY_M015}
# Plain columns that hold a keyed digest (Sealer.digest) of what they are
# compared on, so equality still works in SQL and an index still serves it:
# calls.body_sha256 (of the call's record), cti_calls.number_key and
# blocked_numbers.number_key (of console.core.telephony.number_key, the
# number's E.164 form).


class Unsealable(Exception):
    """A sealed value does not open: another key, or altered, or moved to another row."""


def row_id(*parts) -> str:
    """The row id of a row identified by several columns (as SEALED lists them)."""
    return "/".join(str(p) for p in parts)


@dataclass(frozen=True)
class Sealer:
    """Seals and opens values with the keys derived from the hub's key (by key id)."""

    keys: dict = field(repr=False)  # key id → 32-byte AES key
    digest_key: bytes = field(repr=False)
    _aeads: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_aeads", {key_id: AESGCM(key) for key_id, key in self.keys.items()})

    @classmethod
    def for_hub(cls, hub_key) -> "Sealer":
        return cls({KEY_ID: hub_key.sealing_key(KEY_ID)}, hub_key.sealing_key(0))

    def _aead(self, key_id: int) -> AESGCM:
        try:
            return self._aeads[key_id]
        except KeyError:
            raise Unsealable(f"sealed with key {key_id}, which this hub does not have") from None

    @staticmethod
    def _context(table: str, row: str, column: str) -> bytes:
        return f"{table}\x00{row}\x00{column}".encode("utf-8")

    # text

    def seal(self, table: str, row: str, column: str, text: str | None) -> str | None:
        """`text` sealed for this table, row and column (None stays None)."""
        if text is None:
            return None
        nonce = os.urandom(NONCE)
        sealed = self._aead(KEY_ID).encrypt(nonce, text.encode("utf-8"), self._context(table, row, column))
        return f"{TEXT_PREFIX}{KEY_ID}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, table: str, row: str, column: str, value: str | None) -> str | None:
        """The clear text of a value `seal` made for this table, row and column; Unsealable otherwise."""
        if value is None:
            return None
        head, colon, payload = value.partition(":")
        if not colon or not head.startswith(TEXT_PREFIX) or not head[1:].isdigit():
            raise Unsealable(f"a value of {table}.{column} is not sealed")
        try:
            data = base64.b64decode(payload, validate=True)
            return self._aead(int(head[1:])).decrypt(data[:NONCE], data[NONCE:],
                                                     self._context(table, row, column)).decode("utf-8")
        except (InvalidTag, ValueError) as exc:
            raise Unsealable(f"a value of {table}.{column} (row {row}) does not open with this hub's key") from exc

    def digest(self, text: str) -> str:
        """A keyed digest of `text` (hex): equal texts give equal digests, for this hub only."""
        return hashlib.blake2b(text.encode("utf-8"), key=self.digest_key, digest_size=32).hexdigest()

    # blobs, in segments

    def _segment_context(self, table: str, row: str, column: str, index: int, count: int) -> bytes:
        return self._context(table, row, column) + f"\x00{index}/{count}".encode("ascii")

    def seal_blob(self, table: str, row: str, column: str, data: bytes | None) -> bytes | None:
        if data is None:
            return None
        if not data:
            return b""  # an empty blob (a retired snapshot) stays empty
        aead = self._aead(KEY_ID)
        count = -(-len(data) // SEGMENT)
        parts = [BLOB_MAGIC, bytes([KEY_ID])]
        for index in range(count):
            nonce = os.urandom(NONCE)
            parts += [nonce, aead.encrypt(nonce, data[index * SEGMENT:(index + 1) * SEGMENT],
                                          self._segment_context(table, row, column, index, count))]
        return b"".join(parts)

    @staticmethod
    def stored_range(offset: int, length: int) -> tuple[int, int, int]:
        """(stored offset, stored length, first segment index) of the sealed
        blob holding clear bytes offset … offset+length."""
        first, last = offset // SEGMENT, (offset + max(length, 1) - 1) // SEGMENT
        return BLOB_HEADER + first * STORED_SEGMENT, (last - first + 1) * STORED_SEGMENT, first

    @staticmethod
    def segment_count(stored_size: int) -> int:
        return -(-(stored_size - BLOB_HEADER) // STORED_SEGMENT) if stored_size > BLOB_HEADER else 0

    def open_segments(self, table: str, row: str, column: str, key_id: int, stored: bytes, first: int,
                      count: int) -> bytes:
        """The clear bytes of consecutive stored segments from index `first`, of a blob of `count` segments."""
        aead = self._aead(key_id)
        clear = []
        for n, start in enumerate(range(0, len(stored), STORED_SEGMENT)):
            piece = stored[start:start + STORED_SEGMENT]
            try:
                clear.append(aead.decrypt(piece[:NONCE], piece[NONCE:],
                                          self._segment_context(table, row, column, first + n, count)))
            except (InvalidTag, ValueError) as exc:
                raise Unsealable(f"segment {first + n} of {table}.{column} (row {row}) does not open "
                                 "with this hub's key") from exc
        return b"".join(clear)

    @staticmethod
    def blob_key_id(header: bytes, table: str, column: str) -> int:
        if len(header) < BLOB_HEADER or header[:len(BLOB_MAGIC)] != BLOB_MAGIC:
            raise Unsealable(f"a value of {table}.{column} is not sealed")
        return header[len(BLOB_MAGIC)]

    def open_blob(self, table: str, row: str, column: str, stored: bytes | None) -> bytes | None:
        """The clear bytes of a whole blob `seal_blob` made."""
        if stored is None:
            return None
        stored = bytes(stored)
        if not stored:
            return b""
        key_id = self.blob_key_id(stored, table, column)
        return self.open_segments(table, row, column, key_id, stored[BLOB_HEADER:], 0,
                                  self.segment_count(len(stored)))
