"""Notification codes kept only as slow, salted hashes (verification policy v2,
register-format.md "Notification codes are secrets").

A code is hashed with argon2id, its own random salt and the parameters below,
written as the standard encoded (PHC) string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`,
which records the parameters with each hash. The code is normalised first
exactly as the policy compares it (contact.notification_key), so a hash
verifies whatever way the caller writes the code.

Cost of one guess, measured on the project's two-core machine (2026-12,
argon2-cffi 25.1): m=4096 KiB, t=1, p=1 takes 1.93 ms of CPU and 4 MiB of
memory (t=2 takes 3.6 ms; m=8192 4.0 ms). The policy asks for at least 1 ms
and 4 MiB: these are the cheapest parameters that meet both, because a
register of 2,000,000 codes is hashed at every import of new codes.

A register may hand over hashes instead of codes (`notification_code_hash`);
one weaker than MIN_* is refused with a sentence (hash_problem).
"""

import hmac
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from hashlib import sha256

from argon2 import PasswordHasher, Type, exceptions
from argon2.low_level import hash_secret
from argon2 import extract_parameters

from console.core.contact import notification_key

MEMORY_KIB = 4096
TIME_COST = 1
PARALLELISM = 1
HASH_BYTES = 32
SALT_BYTES = 16
# the weakest parameters a register-supplied hash may have: the policy's 1 ms and 4 MiB
MIN_MEMORY_KIB = 4096
MIN_TIME_COST = 1
MIN_SALT_BYTES = 8
MIN_HASH_BYTES = 16
MAX_MEMORY_KIB = 1 << 20  # 1 GiB: a hash asking more would stall every check of the caller
MAX_TIME_COST = 10

_verifier = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM,
                           hash_len=HASH_BYTES, salt_len=SALT_BYTES, type=Type.ID)


def hash_code(code: str) -> str:
    """The argon2id hash (PHC string) of a notification code, normalised, with a new salt.
    ValueError for an empty code: no hash is kept for a person without one."""
    key = notification_key(code)
    if not key:
        raise ValueError("an empty notification code has no hash")
    return hash_secret(key.encode("utf-8"), os.urandom(SALT_BYTES), TIME_COST, MEMORY_KIB, PARALLELISM,
                       HASH_BYTES, Type.ID).decode("ascii")


def hash_codes(codes) -> list[str]:
    """hash_code of each code, in order (one task of a process pool)."""
    return [hash_code(code) for code in codes]


def _exit_with_parent(parent: int) -> None:
    """In a pool's process: end when the process that started the pool is
    gone (killed, say), instead of waiting for work forever."""
    import threading
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class ParallelHasher:
    """hash_code over every core: a process pool, started at the first batch
    large enough to need it and shut down on leaving the `with` block.
    `progress(done)` hears the codes hashed so far; `hashed` counts them."""

    CHUNK = 256  # codes per task: about half a second of one core
    INLINE = 64  # fewer codes than this are hashed here, not worth a pool

    def __init__(self, progress=None, processes: int | None = None):
        self.progress = progress or (lambda done: None)
        self.processes = processes or os.cpu_count() or 1
        self.hashed = 0
        self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork where there is one: the importer's worker and the hub's
            # command are single-threaded, and a fork needs no re-import of __main__
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context(method),
                                             initializer=_exit_with_parent, initargs=(os.getpid(),))
        return self._pool

    def __call__(self, codes: list[str]) -> list[str]:
        if len(codes) < self.INLINE or self.processes == 1:
            chunks = (hash_codes(codes[i:i + self.CHUNK]) for i in range(0, len(codes), self.CHUNK))
        else:
            chunks = self._executor().map(hash_codes, [codes[i:i + self.CHUNK]
                                                       for i in range(0, len(codes), self.CHUNK)])
        hashes = []
        for chunk in chunks:
            hashes.extend(chunk)
            self.hashed += len(chunk)
            self.progress(self.hashed)
        return hashes


def verify_code(code: str | None, code_hash: str | None) -> bool:
    """Whether the caller's code is the one hashed in `code_hash`; an empty
    code, an empty or malformed hash never match."""
    key = notification_key(code)
    if not key or not code_hash:
        return False
    try:
        return _verifier.verify(code_hash, key)
    except (exceptions.VerificationError, exceptions.InvalidHashError, ValueError):
        return False


_PHC_FORM = "is not an argon2id hash in PHC form ($argon2id$v=19$m=…,t=…,p=…$salt$hash)"
_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def hash_problem(code_hash: str) -> str | None:
    """Why a register-supplied `notification_code_hash` cannot be kept, as a
    sentence's clause, or None when it is an argon2id hash at least as strong
    as the policy asks. (A register's hashes share their parameters: those
    are judged once, the salt and hash of each row by their length.)"""
    parts = code_hash.split("$")
    if len(parts) != 6 or parts[0] or parts[1] != "argon2id":
        return _PHC_FORM
    salt, digest = parts[4], parts[5]
    if not salt or not digest or not _BASE64.issuperset(salt) or not _BASE64.issuperset(digest):
        return _PHC_FORM
    if (problem := _parameters_problem(parts[2], parts[3])):
        return problem
    if len(salt) * 3 // 4 < MIN_SALT_BYTES:
        return f"has a {len(salt) * 3 // 4}-byte salt; at least {MIN_SALT_BYTES} bytes are needed"
    if len(digest) * 3 // 4 < MIN_HASH_BYTES:
        return f"is {len(digest) * 3 // 4} bytes long; at least {MIN_HASH_BYTES} are needed"
    return None


@lru_cache(maxsize=64)
def _parameters_problem(version: str, parameters: str) -> str | None:
    try:
        parsed = extract_parameters(f"$argon2id${version}${parameters}$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
    except (exceptions.InvalidHashError, ValueError):
        return _PHC_FORM
    if parsed.version != 19:
        return f"uses argon2 version {parsed.version}; only version 19 is accepted"
    if parsed.memory_cost < MIN_MEMORY_KIB:
        return (f"uses {parsed.memory_cost} KiB of memory (m={parsed.memory_cost}); the policy asks at least "
                f"m={MIN_MEMORY_KIB} (4 MiB): hash the codes again with stronger parameters")
    if parsed.time_cost < MIN_TIME_COST:
        return f"uses t={parsed.time_cost}; at least t={MIN_TIME_COST} is needed"
    if parsed.memory_cost > MAX_MEMORY_KIB or parsed.time_cost > MAX_TIME_COST:
        return (f"asks m={parsed.memory_cost}, t={parsed.time_cost}: more than a check of a caller can "
                f"afford (at most m={MAX_MEMORY_KIB}, t={MAX_TIME_COST})")
    return None


def code_mac(key: bytes, person_id: str, code: str) -> str:
    """A keyed digest of (person, code), so that a new register version whose
    code for this person did not change keeps its hash instead of hashing again.
    Only the holder of `key` (the hub, or a standalone workstation's cache)
    can compute it, so it tells nothing about the code to anyone else."""
    message = person_id.encode("utf-8") + b"\x00" + notification_key(code).encode("utf-8")
    return hmac.new(key, message, sha256).hexdigest()
