"""The keystore policy: only real platform keystores hold the cache key.
Everything else is refused with a sentence saying what to install or unlock,
and nothing on disk changes: the cache is not created, or stays byte-identical.
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from console.store import keystore
from console.store.cache import Cache
from console.store.connection import CacheError, key_entry

REPO = Path(__file__).resolve().parents[2]


class DictKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict; the classes below say what kind of keystore it pretends to be."""

    priority = 9

    def __init__(self):
        super().__init__()
        self.secrets = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


class PlaintextFileKeyring(DictKeyring):
    """Like keyrings.alt's PlaintextKeyring: secrets in a file anyone with the disk can read."""

    file_path = "/tmp/keyring_pass.cfg"


class HomegrownKeyring(DictKeyring):
    """Not a file, not a platform keystore: refused all the same."""


def keyrings_alt_plaintext():
    alt = pytest.importorskip("keyrings.alt.file")  # never a dependency; tested when present
    return alt.PlaintextKeyring()


def empty_chainer(monkeypatch):
    monkeypatch.setattr(keyring.backends.chainer.ChainerBackend, "backends", [])
    return keyring.backends.chainer.ChainerBackend()


def chainer_of_plaintext(monkeypatch):
    monkeypatch.setattr(keyring.backends.chainer.ChainerBackend, "backends", [PlaintextFileKeyring()])
    return keyring.backends.chainer.ChainerBackend()


REFUSED = {
    "fail": lambda mp: keyring.backends.fail.Keyring(),
    "null": lambda mp: keyring.backends.null.Keyring(),
    "empty chainer": empty_chainer,
    "chainer of a plaintext keyring": chainer_of_plaintext,
    "plaintext file": lambda mp: PlaintextFileKeyring(),
    "homegrown": lambda mp: HomegrownKeyring(),
    "keyrings.alt plaintext": lambda mp: keyrings_alt_plaintext(),
}


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def encrypted_cache(path: Path, sample_register) -> None:
    cache = Cache.open(path)
    cache.import_register(sample_register)
    cache.close()


def plain_cache(path: Path) -> None:
    import sqlite_utils

    from console.store.schema import migrate

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    migrate(sqlite_utils.Database(conn))
    conn.close()


@pytest.mark.parametrize("backend", REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("state", ["new", "encrypted", "plain"])
def test_refused_keystores_change_nothing(backend, state, tmp_path, sample_register, monkeypatch):
    folder = tmp_path / "data"
    db = folder / "cache.db"
    if state == "encrypted":
        folder.mkdir()
        encrypted_cache(db, sample_register)
    elif state == "plain":
        folder.mkdir()
        plain_cache(db)
    before = snapshot(tmp_path)
    refused_backend = backend(monkeypatch)
    keyring.set_keyring(refused_backend)
    with pytest.raises(CacheError) as refused:
        Cache.open(db)
    message = str(refused.value)
    assert message.startswith("No secure keystore is available")
    assert "install and unlock GNOME Keyring (gnome-keyring) or KWallet, then try again" in message
    assert snapshot(tmp_path) == before
    if state == "new":
        assert not folder.exists()  # not even the folder
    if isinstance(refused_backend, PlaintextFileKeyring):
        assert refused_backend.secrets == {}  # and no key was written to it


def test_plaintext_refusal_names_the_keyring(monkeypatch, tmp_path):
    keyring.set_keyring(PlaintextFileKeyring())
    with pytest.raises(CacheError, match=r"\(test_keystore\.PlaintextFileKeyring\) keeps secrets in a file"):
        Cache.open(tmp_path / "c.db")


def test_refusal_from_the_command_line(tmp_path, capsys):
    from console.cli import EXIT_FAILED, main

    keyring.set_keyring(keyring.backends.fail.Keyring())
    db = tmp_path / "new" / "cache.db"
    assert main(["--db", str(db), "--json", "audit", "verify"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.err.startswith("No secure keystore is available: install and unlock GNOME Keyring")
    assert json.loads(captured.out)["errors"][0].startswith("No secure keystore is available")
    assert not (tmp_path / "new").exists()


def test_a_chainer_uses_its_platform_keystore_directly(monkeypatch, memory_keyring, tmp_path):
    plaintext = PlaintextFileKeyring()  # a higher priority than the allowed one
    monkeypatch.setattr(keyring.backends.chainer.ChainerBackend, "backends", [plaintext, memory_keyring])
    keyring.set_keyring(keyring.backends.chainer.ChainerBackend())
    Cache.open(tmp_path / "c.db").close()
    assert plaintext.secrets == {}
    assert memory_keyring.get_password(keystore.SERVICE, key_entry(tmp_path / "c.db"))


def test_the_platform_keystores_are_allowed():
    import keyring.backends.kwallet
    import keyring.backends.libsecret
    import keyring.backends.macOS
    import keyring.backends.SecretService
    import keyring.backends.Windows

    for backend in (keyring.backends.Windows.WinVaultKeyring(), keyring.backends.macOS.Keyring(),
                    keyring.backends.SecretService.Keyring(), keyring.backends.libsecret.Keyring(),
                    keyring.backends.kwallet.DBusKeyring(), keyring.backends.kwallet.DBusKeyringKWallet4()):
        assert keystore.choose_backend(backend) is backend


def test_only_a_declared_test_backend_is_allowed():
    with pytest.raises(keystore.KeystoreError, match="not a platform keystore"):
        keystore.choose_backend(HomegrownKeyring())
    keystore.allow_test_backend(HomegrownKeyring)
    try:
        backend = HomegrownKeyring()
        assert keystore.choose_backend(backend) is backend
    finally:
        keystore._test_backends.discard(HomegrownKeyring)


class LockedKeyring(DictKeyring):
    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


class ForgetfulKeyring(DictKeyring):
    def set_password(self, service, username, password):
        pass


@pytest.mark.parametrize("backend, expected", [
    (LockedKeyring, "is locked: unlock it"),
    (ForgetfulKeyring, "did not keep the cache key"),
])
def test_a_keystore_that_fails_changes_nothing(backend, expected, tmp_path):
    keystore.allow_test_backend(backend)
    try:
        keyring.set_keyring(backend())
        with pytest.raises(CacheError, match=expected):
            Cache.open(tmp_path / "data" / "cache.db")
        assert not (tmp_path / "data" / "cache.db").exists()
    finally:
        keystore._test_backends.discard(backend)


def test_keys_are_hex_in_the_keystore_and_32_bytes(memory_keyring, tmp_path):
    Cache.open(tmp_path / "c.db").close()
    [(service, entry)] = memory_keyring.secrets
    assert service == "helpline-console" and entry == str((tmp_path / "c.db").resolve())
    assert len(bytes.fromhex(memory_keyring.secrets[(service, entry)])) == 32


# child processes: the real Secret Service


def run_python(code: str, env=None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={**os.environ, **(env or {})})


def test_child_processes_use_the_secret_service():
    """packaging/dev test runs the suite under dbus-run-session with gnome-keyring unlocked;
    a child's keystore is then the Secret Service (also when keyring offers a chainer)."""
    child = run_python("from console.store.keystore import open_keystore\n"
                       "s = open_keystore(); b = type(s.backend)\n"
                       "print(b.__module__ + '.' + b.__qualname__, '|', s.name)")
    assert child.returncode == 0, child.stderr + "\nchild processes need a Secret Service: run the tests with packaging/dev test"
    assert child.stdout == "keyring.backends.SecretService.Keyring | the Secret Service\n"


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"])
def test_a_child_told_to_use_no_keystore_refuses(backend, cli, tmp_path):
    db = tmp_path / "new" / "cache.db"
    refused = cli("--db", db, "--json", "audit", "verify",
                  env={"PYTHON_KEYRING_BACKEND": backend, "HELPLINE_CONSOLE_TEST_KEYRING": "1"})
    assert refused.returncode == 1
    assert refused.stderr.startswith("No secure keystore is available: install and unlock GNOME Keyring"), refused.stderr
    assert not (tmp_path / "new").exists()


def test_a_cache_made_by_the_command_line_is_keyed_in_the_secret_service(cli, tmp_path, system_keyring, memory_keyring):
    db = tmp_path / "cache.db"
    made = cli("--db", db, "--json", "audit", "verify")
    assert made.returncode == 0, made.stderr
    stored = system_keyring.get_password(keystore.SERVICE, key_entry(db))
    assert stored and len(bytes.fromhex(stored)) == 32
    assert memory_keyring.secrets == {}


PLAIN_LOGIN_KEYRING = ("[keyring]\ndisplay-name=Login\nctime=0\nmtime=0\nlock-on-idle=false\nlock-after=false\n")


@pytest.mark.skipif(sys.platform != "linux", reason="gnome-keyring is the Secret Service on Linux")
def test_a_gnome_keyring_with_an_empty_password_is_refused_and_nothing_changes(tmp_path):
    """A real gnome-keyring-daemon, on a session bus of its own, whose login
    keyring has an empty password (as automatic sign-in leaves it): it keeps
    that keyring as a plain text file, so the console refuses it."""
    import shutil

    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (apt-get install dbus gnome-keyring)")
    home = tmp_path / "home"
    keyrings = home / ".local" / "share" / "keyrings"
    keyrings.mkdir(parents=True)
    (keyrings / "login.keyring").write_text(PLAIN_LOGIN_KEYRING)
    (keyrings / "default").write_text("login")
    before = {p.name: p.read_bytes() for p in keyrings.iterdir()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DBUS_", "PYTHON_KEYRING"))}
    env.update(HOME=str(home), HELPLINE_CONSOLE_PASSWORD="correct horse battery")
    db = tmp_path / "cache.db"
    # --daemonize returns once the daemon serves the bus: nothing to wait for after it
    script = ("printf '' | gnome-keyring-daemon --daemonize --unlock --components=secrets >/dev/null && "
              f"exec {sys.executable} -m console --db {db} operators add admin-1 --role admin")
    done = subprocess.run(["dbus-run-session", "--", "sh", "-c", script], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "keeps its secrets unencrypted" in done.stderr
    assert "Set a keyring password" in done.stderr and "Nothing was created or changed" in done.stderr
    assert not db.exists()
    assert {p.name: p.read_bytes() for p in keyrings.iterdir()} == before


def test_an_encrypted_gnome_keyring_file_is_not_taken_for_an_unencrypted_one(tmp_path, monkeypatch):
    class SecretService(DictKeyring):
        preferred_collection = "/org/freedesktop/secrets/collection/login"

    SecretService.__module__, SecretService.__qualname__ = "keyring.backends.SecretService", "Keyring"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    (tmp_path / "keyrings").mkdir()
    login = tmp_path / "keyrings" / "login.keyring"
    login.write_bytes(b"GnomeKeyring\n\r\0\n" + bytes(64))
    assert keystore.unencrypted_collection(SecretService()) is None
    login.write_text(PLAIN_LOGIN_KEYRING)
    assert keystore.unencrypted_collection(SecretService()) == login
    assert keystore.unencrypted_collection(DictKeyring()) is None  # not the Secret Service: not asked
