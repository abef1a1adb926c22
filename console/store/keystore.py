"""Where the cache's key lives: the operating system's own keystore, never a file.

A small interface over `keyring` (in the manner of Vorta's keyring classes):
`open_keystore()` picks the keystore, or refuses with a sentence that says what
to install or unlock, and returns a `Keystore` with `get` and `put`.

The policy is an allow-list of real platform keystores, matched by exact class:

- Windows Credential Locker  keyring.backends.Windows.WinVaultKeyring
- macOS Keychain             keyring.backends.macOS.Keyring
- Secret Service             keyring.backends.SecretService.Keyring
                             (and keyring.backends.libsecret.Keyring, the same
                             service reached through libsecret)
- KWallet                    keyring.backends.kwallet.DBusKeyring (and its KWallet 4 variant)

Everything else is refused: keyring's fail and null backends, a chainer with no
allowed backend in it, anything from keyrings.alt and any backend that keeps
secrets in a plain or password-encrypted file. A chainer that holds an allowed
backend is never used as a chainer: the allowed backend is used directly, so a
key is never written to, or read from, a plaintext keyring behind it.

A Secret Service collection that keeps its secrets unencrypted is refused
too: gnome-keyring writes a keyring whose password is empty (common with
automatic sign-in) as a plain text file, `[keyring]` and then every secret in
clear, instead of its encrypted format (which starts "GnomeKeyring\n\r\0\n").
The default collection's file is looked at before anything is read or stored,
and the refusal says how to set a keyring password; nothing is created or
changed (`unencrypted_collection`).

Tests: the suite installs an in-memory backend with `keyring.set_keyring()` and
declares its class with `allow_test_backend()`. Only code already running in
this process can do that (such code could read the key anyway); no environment
variable, configuration file or installed package can widen the list.
"""

import binascii
from abc import ABC, abstractmethod

SERVICE = "helpline-console"
KEY_BYTES = 32

_PLATFORM_KEYSTORES = {
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Locker",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
    "keyring.backends.SecretService.Keyring": "the Secret Service",
    "keyring.backends.libsecret.Keyring": "the Secret Service",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
}
_test_backends: set[type] = set()


def _install_hint() -> str:
    """What to install or unlock, for this platform."""
    import sys

    if sys.platform == "win32":
        return ("the console keeps its key in Windows Credential Locker: let keyring use it "
                "(unset PYTHON_KEYRING_BACKEND and remove any keyringrc.cfg that chooses another keyring), then try again")
    if sys.platform == "darwin":
        return ("the console keeps its key in the macOS Keychain: unlock it and let keyring use it "
                "(unset PYTHON_KEYRING_BACKEND and remove any keyringrc.cfg that chooses another keyring), then try again")
    return ("install and unlock GNOME Keyring (gnome-keyring) or KWallet, then try again "
            "(without a desktop session: see \"Security model\" in the README)")


class KeystoreError(Exception):
    """The keystore cannot be used; the message says what to install or unlock."""


def allow_test_backend(backend_class: type) -> None:
    """Accept `backend_class` (an in-memory keyring defined by the test suite).
    For the test suite only."""
    _test_backends.add(backend_class)


def _class_name(backend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _allowed(backend) -> bool:
    return type(backend) in _test_backends or _class_name(backend) in _PLATFORM_KEYSTORES


def _is_plaintext(backend) -> bool:
    name = _class_name(backend).lower()
    return (name.startswith("keyrings.alt") or "plaintext" in name or ".file." in name
            or "file" in type(backend).__name__.lower() or hasattr(backend, "file_path"))


def _priority(backend) -> float:
    try:
        return float(backend.priority)
    except Exception:  # keyring computes it, and raises for a backend that cannot work here
        return 0.0


def describe(backend) -> str:
    return _PLATFORM_KEYSTORES.get(_class_name(backend), _class_name(backend))


def choose_backend(backend):
    """The allowed keyring backend to use in place of `backend` (what
    keyring.get_keyring() returned), or KeystoreError saying why there is none."""
    if _allowed(backend):
        return backend
    inner = getattr(backend, "backends", None)
    if inner is not None:  # keyring's ChainerBackend: the best allowed one in it, used directly
        candidates = sorted((b for b in inner if _allowed(b)), key=_priority, reverse=True)
        if candidates:
            return candidates[0]
        plaintext = [b for b in inner if _is_plaintext(b)]
        if plaintext:
            backend = plaintext[0]
        else:
            raise KeystoreError(f"No secure keystore is available: {_install_hint()}.")
    name = _class_name(backend)
    if name in ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"):
        raise KeystoreError(f"No secure keystore is available: {_install_hint()}.")
    if _is_plaintext(backend):
        raise KeystoreError(
            f"No secure keystore is available: the keyring in use ({name}) keeps secrets in a file, which would "
            f"leave the cache key unprotected; {_install_hint()}.")
    raise KeystoreError(
        f"No secure keystore is available: the keyring in use ({name}) is not a platform keystore the console "
        f"trusts with the cache key; {_install_hint()}.")


_SECRET_SERVICE = ("keyring.backends.SecretService.Keyring", "keyring.backends.libsecret.Keyring")
PLAIN_KEYRING_HEADER = b"[keyring]"  # gnome-keyring's file format for a keyring with an empty password


def _keyrings_folder():
    import os
    from pathlib import Path

    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "keyrings"


def _default_collection_path(backend) -> str | None:
    """The object path of the collection the backend stores in (its preferred
    one, else the Secret Service's default alias), asked without creating,
    unlocking or prompting for anything; None when there is none yet."""
    import secretstorage
    from secretstorage.defines import SS_PATH, SS_PREFIX
    from secretstorage.util import DBusAddressWrapper

    preferred = getattr(backend, "preferred_collection", None)
    if preferred:
        return preferred
    connection = secretstorage.dbus_init()
    try:
        service = DBusAddressWrapper(SS_PATH, SS_PREFIX + "Service", connection)
        (path,) = service.call("ReadAlias", "s", "default")
    finally:
        connection.close()
    return None if path in ("", "/") else path


def unencrypted_collection(backend):
    """The keyring file of the backend's Secret Service collection if gnome-keyring
    keeps that collection unencrypted (an empty keyring password), else None."""
    if _class_name(backend) not in _SECRET_SERVICE:
        return None
    try:
        path = _default_collection_path(backend)
    except Exception:  # no Secret Service to ask: the keystore's own use reports that
        return None
    if not path:
        return None
    keyring_file = _keyrings_folder() / f"{path.rsplit('/', 1)[-1]}.keyring"
    try:
        with open(keyring_file, "rb") as f:
            head = f.read(len(PLAIN_KEYRING_HEADER))
    except OSError:  # not gnome-keyring's, or not written yet
        return None
    return keyring_file if head == PLAIN_KEYRING_HEADER else None


def _refuse_unencrypted(backend) -> None:
    keyring_file = unencrypted_collection(backend)
    if keyring_file is not None:
        raise KeystoreError(
            f"The keystore ({describe(backend)}) keeps its secrets unencrypted: the keyring in {keyring_file} has an "
            "empty password (common with automatic sign-in), so anyone with a copy of that file could read the "
            "cache key. Set a keyring password: open Passwords and Keys (seahorse), right-click the keyring "
            "(usually \"Login\"), choose Change Password and give it a non-empty one, then try again. Nothing was "
            "created or changed.")


class Keystore(ABC):
    """Keys by entry (one per cache file), as bytes."""

    name: str

    @abstractmethod
    def get(self, entry: str) -> bytes | None:
        """The key stored for `entry`, or None if there is none."""

    @abstractmethod
    def put(self, entry: str, key: bytes) -> None:
        """Store `key` for `entry` and make sure it reads back."""

    @abstractmethod
    def forget(self, entry: str) -> None:
        """Remove the key stored for `entry`, if any (for a cache that has been deleted)."""

    @abstractmethod
    def get_secret(self, entry: str) -> str | None:
        """A secret other than a cache key (a hub session token), or None."""

    @abstractmethod
    def put_secret(self, entry: str, secret: str) -> None:
        """Store a secret other than a cache key under `entry`."""


class KeyringKeystore(Keystore):
    """A platform keystore reached through one allowed keyring backend."""

    def __init__(self, backend):
        self.backend = backend
        self.name = describe(backend)

    def _failed(self, doing: str, exc: Exception, what: str = "the cache key") -> KeystoreError:
        from keyring.errors import KeyringLocked

        if isinstance(exc, KeyringLocked) or "lock" in str(exc).lower():
            return KeystoreError(f"The keystore ({self.name}) is locked: unlock it (sign in to the desktop; "
                                 "without one, see \"Security model\" in the README), then try again.")
        # what went wrong reading is told; writing, only its kind (a backend's text could echo the key)
        detail = f"{type(exc).__name__}: {exc}" if doing == "read" else type(exc).__name__
        return KeystoreError(f"The keystore ({self.name}) could not {doing} {what} ({detail}): "
                             "make sure it is running and unlocked, then try again.")

    def get(self, entry: str) -> bytes | None:
        try:
            text = self.backend.get_password(SERVICE, entry)
        except Exception as exc:  # any backend failure (D-Bus, locked, denied) is a refusal
            raise self._failed("read", exc) from None
        if text is None:
            return None
        try:
            key = binascii.unhexlify(text.strip())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise KeystoreError(f"The key stored in {self.name} for {entry} is not a cache key (service "
                                f"{SERVICE!r}); it has been left as it is. The cache cannot be opened with it.")
        return key

    def put(self, entry: str, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a cache key is 32 bytes")
        try:
            self.backend.set_password(SERVICE, entry, key.hex())
        except Exception as exc:
            raise self._failed("save", exc) from None
        if self.get(entry) != key:
            raise KeystoreError(f"The keystore ({self.name}) did not keep the cache key: "
                                f"make sure it is unlocked and writable, then try again.")

    def forget(self, entry: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self.backend.delete_password(SERVICE, entry)
        except PasswordDeleteError:
            pass

    def get_secret(self, entry: str) -> str | None:
        try:
            return self.backend.get_password(SERVICE, entry)
        except Exception as exc:
            raise self._failed("read", exc, "a hub session token") from None

    def put_secret(self, entry: str, secret: str) -> None:
        try:
            self.backend.set_password(SERVICE, entry, secret)
        except Exception as exc:
            raise self._failed("save", exc, "a hub session token") from None


_PLATFORM_CANDIDATES = {
    "win32": (("keyring.backends.Windows", "WinVaultKeyring"),),
    "darwin": (("keyring.backends.macOS", "Keyring"),),
    "linux": (("keyring.backends.SecretService", "Keyring"), ("keyring.backends.kwallet", "DBusKeyring")),
}


def _platform_backend():
    """The platform keystore, made directly when nothing chose another one:
    keyring's discovery of every installed backend costs about 70 ms, paid
    by every command otherwise. None when the choice is keyring's to make."""
    import importlib
    import os
    import sys

    import keyring.core

    if keyring.core._keyring_backend is not None or os.environ.get("PYTHON_KEYRING_BACKEND"):
        return None
    if keyring.core.load_config() is not None:  # a keyringrc.cfg names a backend
        return None
    for module, name in _PLATFORM_CANDIDATES.get(sys.platform, _PLATFORM_CANDIDATES["linux"]):
        try:
            backend = getattr(importlib.import_module(module), name)()
        except Exception:
            continue
        if _priority(backend) > 0:
            return backend
    return None


def open_keystore() -> Keystore:
    """The platform keystore to keep cache keys in, or KeystoreError."""
    import keyring

    try:
        backend = _platform_backend() or keyring.get_keyring()
    except Exception as exc:
        raise KeystoreError(f"No secure keystore is available ({exc}): {_install_hint()}.") from None
    chosen = choose_backend(backend)
    _refuse_unencrypted(chosen)
    return KeyringKeystore(chosen)
