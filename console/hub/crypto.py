"""The hub's key: one secret in a file kept by IT, and what is derived from it.

The key file holds 32 random bytes as 64 hexadecimal digits. `hub key new
PATH` makes one (owner-only, never over an existing file); every hub command
that opens the database reads it from `--key-file PATH` or, under systemd, from
the credential `hub-key` (`LoadCredential=hub-key:/etc/helpline/hub.key`, read
from `$CREDENTIALS_DIRECTORY/hub-key`). Without one the hub refuses to start:
it never makes a key on its own, so a key lost is noticed, not replaced by a
new one that opens nothing.

Keys are derived from it with HKDF-SHA256, one per use (`_derive`'s
purpose), so none of them reveals another:

- the SQLCipher key of the embedded database (`hub.db`, its WAL included);
- the Ed25519 key that signs the audit trail's anchors (console/hub/anchors.py);
- the AES-GCM keys that seal personal data in the database's columns, one per
  key id, and the key of their keyed digests (console/hub/sealing.py);
- the key of the digests that let a new register keep the hashes of codes
  that did not change (console/hub/registers.py).
"""

import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

KEY_BYTES = 32
CREDENTIAL = "hub-key"
CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"  # set by systemd for a unit with LoadCredential=


class KeyProblem(Exception):
    """The hub's key is missing, unreadable or malformed; the message is a sentence for IT."""


@dataclass(frozen=True)
class HubKey:
    secret: bytes = field(repr=False)

    def _derive(self, purpose: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                    info=b"helpline-hub/" + purpose).derive(self.secret)

    @cached_property
    def database_key(self) -> bytes:
        """The raw SQLCipher key of the embedded database."""
        return self._derive(b"sqlcipher")

    def sealing_key(self, key_id: int) -> bytes:
        """The AES-256-GCM key of sealed columns with this key id (0: the keyed digests' key)."""
        return self._derive(b"sealed-columns/%d" % key_id)

    @cached_property
    def code_mac_key(self) -> bytes:
        """The HMAC key of (person, notification code) digests (console.core.codes.code_mac)."""
        return self._derive(b"code-mac")

    @cached_property
    def signing_key(self):
        """The Ed25519 private key that signs audit anchors."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self._derive(b"ed25519-anchors"))


def new_key_file(path) -> Path:
    """Write a new key file at `path`, owner-only; KeyProblem if something is already there."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyProblem(f"{path} already exists; the hub's key is never overwritten (a database written with it "
                         "would no longer open). Choose another path, or remove that file yourself.") from None
    except OSError as exc:
        raise KeyProblem(f"The key file {path} cannot be created ({exc.strerror}).") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(KEY_BYTES) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def key_file_path(key_file: str | os.PathLike | None) -> Path:
    """The key file named by --key-file, else the systemd credential; KeyProblem if neither."""
    if key_file:
        return Path(key_file)
    credentials = os.environ.get(CREDENTIALS_ENV)
    if credentials and (Path(credentials) / CREDENTIAL).is_file():
        return Path(credentials) / CREDENTIAL
    raise KeyProblem("The hub needs its key: give --key-file PATH, or run it under systemd with "
                     f"LoadCredential={CREDENTIAL}:PATH. Make a key once with `hub key new PATH` and keep a copy "
                     "apart from the database's backups.")


def load_key(key_file: str | os.PathLike | None = None) -> HubKey:
    """The hub's key, from --key-file or the systemd credential (see key_file_path)."""
    path = key_file_path(key_file)
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(f"The hub's key file {path} cannot be read ({getattr(exc, 'strerror', None) or exc}).") \
            from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise KeyProblem(f"{path} is not a hub key file (it should hold {KEY_BYTES * 2} hexadecimal digits, "
                         "as `hub key new` writes).")
    return HubKey(secret)
