"""Test configuration: headless Qt, user folders in a temp dir, an in-memory keyring."""

import os
from pathlib import Path

# Set before anything can load Qt: there is no display in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_REGISTER = REPO.parent / "shared" / "samples" / "register-sample"
if not SAMPLE_REGISTER.exists():  # a checkout without shared/ beside it: the copy the console ships for its self-test
    SAMPLE_REGISTER = REPO / "resources" / "sample-register"


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """argon2 at its cheapest in this process, for accounts' passwords (hub and workstation): a hash still
    verifies with the default PasswordHasher (its parameters travel inside it), also in a child process,
    and the suite makes and checks hundreds of them (0.1-0.8 s each at the defaults on two busy cores).
    Child processes that make accounts keep the real parameters; tests/core/test_shared_rules.py checks them."""
    from argon2 import PasswordHasher

    from console.core import accounts
    from console.hub import accounts as hub_accounts
    from console.store import operators

    def quick():
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

    for module in (accounts, hub_accounts, operators):
        monkeypatch.setattr(module, "password_hasher", quick)


def pytest_collection_modifyitems(config, items):
    """The slow tests first, the longest first, everything else in its usual
    order: `packaging/dev test` deals the tests out one at a time, in this
    order (pytest_xdist_make_scheduler below), so the long tests start at the
    beginning and the quick ones fill the cores around them, instead of one
    long test starting last and the run waiting for it alone."""
    def seconds(item) -> float:
        slow = item.get_closest_marker("slow")
        return slow.kwargs.get("seconds", 1) if slow else 0

    items.sort(key=seconds, reverse=True)  # stable: equal keys keep their order


# The slow tests that mostly wait, using under half a core of their own: SIP
# calls at a fixed rate, a hub killed and restarted under a fault proxy.
# Started together, as each was when dealt out on its own, they left the two
# cores a third idle for the first two minutes of the run.
MOSTLY_WAITING = (
    "tests/telephony/test_sip_line.py::test_a_burst_of_1000_calls",
    "tests/sync/test_sync_hub.py::test_fault_injection_every_call_on_the_hub_exactly_once",
)


def pytest_xdist_make_scheduler(config, log):
    """xdist's loadgroup scheduling with the tests in MOSTLY_WAITING as one
    unit, run one after another by one worker while the others keep the cores
    busy; every other test is a unit of its own, dealt out in collection order.
    (Named here by node id: xdist's own `xdist_group` marker renames the node
    id, which pytest 9 no longer lets it do.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Scheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "mostly waiting" if nodeid.startswith(MOSTLY_WAITING) else nodeid

    return Scheduling(config, log)


# argon2id hashes of notification codes this test run has made, by code (remembered_code_hashes)
_CODE_HASHES: dict[str, str] = {}


@pytest.fixture
def remembered_code_hashes(monkeypatch, tmp_path_factory):
    """A hub's register import in this process hashes a code at most once per
    test run: the suite imports the same demo registers on a new hub in test
    after test (1,275 codes, about 2.5 s of CPU each time). A code hashed
    before gets that same hash, made at the policy's parameters by the real
    ParallelHasher, as a register bringing `notification_code_hash` would;
    every other step of the import runs. The test processes of one run
    (pytest-xdist) share what they made through a file in the run's temp
    folder, one process hashing while the others wait for it, so the demo
    registers are hashed once per run, not once per process. For the tests of
    hubs serving workstations; the hashing itself is tested without it
    (tests/hub/test_hub_register_codes.py, tests/core/test_codes.py)."""
    import fcntl
    import json

    from console.core.codes import ParallelHasher
    from console.hub import registers

    # xdist's workers each have a folder under the run's; a run without workers keeps them to itself
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "code-hashes.jsonl"

    class Remembering(ParallelHasher):
        def __call__(self, codes: list[str]) -> list[str]:
            missing = [code for code in dict.fromkeys(codes) if code not in _CODE_HASHES]
            if missing:
                with open(shared, "a+", encoding="utf-8") as file:
                    fcntl.flock(file, fcntl.LOCK_EX)  # released when the file closes
                    file.seek(0)
                    _CODE_HASHES.update(json.loads(line) for line in file if line.endswith("\n"))
                    missing = [code for code in missing if code not in _CODE_HASHES]
                    if missing:
                        made = list(zip(missing, super().__call__(missing), strict=True))
                        file.writelines(json.dumps(pair) + "\n" for pair in made)
                        _CODE_HASHES.update(made)
            return [_CODE_HASHES[code] for code in codes]

    monkeypatch.setattr(registers, "ParallelHasher", Remembering)


@pytest.fixture(autouse=True)
def user_folders(tmp_path, monkeypatch):
    """Point every per-user folder at a temp dir so no test touches a real profile."""
    home = tmp_path / "home"
    for var, sub in (("HOME", ""), ("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(folder))
    monkeypatch.delenv("HELPLINE_CONSOLE_OPERATOR", raising=False)
    return home


@pytest.fixture(autouse=True)
def hub_credential(tmp_path, monkeypatch) -> Path:
    """The hub's key as systemd hands it over (console/hub/crypto.py), for hubs
    this test opens in process or starts as child processes."""
    from console.hub.crypto import CREDENTIAL, CREDENTIALS_ENV, new_key_file

    folder = tmp_path / "credentials"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(CREDENTIALS_ENV, str(folder))
    return new_key_file(folder / CREDENTIAL)


@pytest.fixture
def sample_register() -> Path:
    return SAMPLE_REGISTER


@pytest.fixture
def cache(tmp_path):
    from console.store.cache import Cache

    c = Cache.open(tmp_path / "cache.db", operator="op-test")
    yield c
    c.close()


@pytest.fixture
def sample_cache(cache, sample_register):
    cache.import_register(sample_register)
    return cache


@pytest.fixture
def cli():
    """The command line in a child process, as an administrator runs it."""
    from tests.support.workstation import run_console

    return run_console


@pytest.fixture
def running_hub(tmp_path, sample_register):
    """A hub process over SQLite serving the sample register and the guidance,
    with accounts op-1 (operator) and sup-1 (supervisor)."""
    from tests.support.hub import HubProcess, prepare_hub

    location = {"data": str(tmp_path / "hub-data")}
    prepare_hub(location, sample_register, (("op-1", "operator"), ("sup-1", "supervisor")), content=True)
    hub = HubProcess(location, tmp_path).start()
    yield hub
    hub.kill()


# The cache's key lives in the OS keystore (console/store/keystore.py). In this
# process every test gets a fresh in-memory keystore, declared to the keystore
# policy with allow_test_backend(); child processes (run_cli and the like)
# cannot see it and use the real Secret Service that `packaging/dev test` starts
# (gnome-keyring under dbus-run-session).

import keyring.backend


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keystore for in-process tests; never used outside tests."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        import keyring.errors

        if self.secrets.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


# keys of caches that module-scoped fixtures made, while their module runs
_module_secrets: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def module_keystore():
    """For a module-scoped fixture that builds a cache once: its key stays
    available to every test of the module."""
    import keyring

    from console.store.keystore import allow_test_backend

    allow_test_backend(MemoryKeyring)
    before = keyring.core._keyring_backend
    backend = MemoryKeyring()
    backend.secrets = _module_secrets
    keyring.set_keyring(backend)
    made = set(_module_secrets)
    yield backend
    keyring.core._keyring_backend = before
    for entry in set(_module_secrets) - made:
        del _module_secrets[entry]


@pytest.fixture(autouse=True)
def memory_keyring():
    """A fresh in-memory keystore for this test (the keyring set before is put back after)."""
    import keyring

    from console.store.keystore import allow_test_backend

    allow_test_backend(MemoryKeyring)
    before = keyring.core._keyring_backend
    backend = MemoryKeyring()
    backend.secrets.update(_module_secrets)
    keyring.set_keyring(backend)
    yield backend
    keyring.core._keyring_backend = before


@pytest.fixture
def system_keyring(memory_keyring):
    """For a test that shares its cache with child processes: this process uses
    the keystore they use (the Secret Service that packaging/dev test starts)."""
    import keyring.core

    from console.store.keystore import choose_backend

    # as a child detects it: keyring's own backends and installed plugins, not the test suite's classes
    keyring.core.init_backend(limit=lambda b: type(b).__module__.startswith(("keyring.", "keyrings.")))
    backend = choose_backend(keyring.get_keyring())
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def child_keystore(request):
    """system_keyring, or a skip saying why when this session has no keystore a child process could use."""
    from console.store.keystore import KeystoreError

    try:
        return request.getfixturevalue("system_keyring")
    except KeystoreError as exc:
        pytest.skip(f"no keystore for child processes here: {exc} packaging/dev test runs the tests inside one.")


# the window
@pytest.fixture
def window(qtbot, tmp_path, sample_register):
    """The real main window over a cache holding the sample register."""
    from console.store.cache import Cache
    from console.ui.app import build_window

    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path, operator="setup")
    cache.import_register(sample_register)
    cache.close()
    window = build_window(db_path, operator="op-ui")
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    yield window
    window.worker.shutdown()


@pytest.fixture
def screen(window):
    return window.call_screen
