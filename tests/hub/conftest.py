"""Hub fixtures: a hub database per test on each backend (PostgreSQL from
tests/hub/postgres.py), the API in process, and a real `hub serve` process."""

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import httpx
import pytest

from tests.hub.postgres import free_port, postgres_database_url, postgres_server  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", "postgresql"]
PASSWORD = "correct horse battery"
WORKSTATION = "ws-north-1"


# the hub in process


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """argon2 at its cheapest in this process: a hash still verifies with the
    default PasswordHasher (its parameters travel inside it), and the suite
    signs in hundreds of times. Child processes keep the real parameters."""
    from argon2 import PasswordHasher

    from console.hub import accounts

    monkeypatch.setattr(accounts, "password_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_location(backend, tmp_path, request) -> dict:
    if backend == "sqlite":
        return {"data": str(tmp_path / "hub")}
    return {"database_url": request.getfixturevalue("postgres_database_url")}


@pytest.fixture
def hub_db(database_location):
    from console.hub.storage import open_database

    db = open_database(**database_location)
    yield db
    db.close()


def enrol_workstation(name: str, *, db=None, hub_url: str | None = None, run_cli=None):
    """Enrol a workstation named `name` as an administrator would, and return
    its console.sync.device.Device (whose .auth() signs an httpx client's
    requests). The one place tests enrol: over a hub database in process
    (db), or on a hub process (hub_url), its code from `run_cli(*args)`, a
    `python -m console.hub …` runner, the key then kept in the keystore as
    `sync --enrol` keeps it."""
    import re

    from console.sync.device import Device, enrol

    if db is not None:
        from console.hub.workstations import create_enrolment
        from console.hub.workstations import enrol as hub_enrol

        device = Device.generate()
        device.workstation = hub_enrol(db, create_enrolment(db, name, created_by="test")["code"], device.public_key())
        return device
    answer = run_cli("workstations", "enrol", name)
    return enrol(hub_url, re.search(r"the code ([A-Z0-9-]+) ", answer.stdout).group(1))


class Hub:
    """The API in process over hub_db, with helpers to make accounts and sign
    in; its clients sign as the enrolled workstation WORKSTATION."""

    def __init__(self, db):
        from console.hub.app import make_app

        self.db = db
        self.app = make_app(db)
        self.device = enrol_workstation(WORKSTATION, db=db)
        self.client = self.client_at("testclient")

    def client_at(self, address: str, device=None):
        """A test client whose requests come from `address`, signed by `device` (this hub's enrolled one)."""
        with warnings.catch_warnings():
            # starlette would rather it ran on httpx2, which this project does not install
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
            from fastapi.testclient import TestClient

        client = TestClient(self.app, client=(address, 50000))
        client.auth = (device or self.device).auth()
        return client

    def add(self, operator_id: str, role: str = "operator", password: str = PASSWORD) -> str:
        from console.hub.accounts import add_operator

        add_operator(self.db, operator_id, role, password, created_by="test")
        return operator_id

    def sign_in(self, operator_id: str, password: str = PASSWORD, workstation: str = WORKSTATION):
        return self.client.post("/v1/sessions", json={"operator_id": operator_id, "password": password,
                                                      "workstation": workstation})

    def token(self, operator_id: str, role: str = "operator", workstation: str = WORKSTATION) -> dict:
        """Authorization headers of a new account of that role, signed in on that workstation."""
        self.add(operator_id, role)
        reply = self.sign_in(operator_id, workstation=workstation)
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['token']}"}

    def push(self, headers: dict, items: list, workstation: str = WORKSTATION, audit_head=None):
        return self.client.post("/v1/push", headers=headers,
                                json={"workstation": workstation, "items": items, "audit_head": audit_head})


@pytest.fixture
def hub(hub_db):
    h = Hub(hub_db)
    yield h
    h.client.close()


# the hub as its own process


def run_hub_cli(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    """`python -m console.hub …` in a child process, as an administrator would run it."""
    return subprocess.run([sys.executable, "-m", "console.hub", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)


def location_args(location: dict) -> list[str]:
    return ["--data", location["data"]] if "data" in location else ["--database-url", location["database_url"]]


class HubProcess:
    """`python -m console.hub serve`; `auth` signs an httpx client's requests as
    the enrolled workstation WORKSTATION (or the `device` given)."""

    def __init__(self, location: dict, workers: int = 1, device=None):
        if device is None:
            from console.hub.storage import open_database

            db = open_database(**location)
            try:
                device = enrol_workstation(WORKSTATION, db=db)
            finally:
                db.close()
        self.device = device
        self.auth = device.auth()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "console.hub", "serve", *location_args(location), "--port", str(self.port),
             "--workers", str(workers)],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the hub did not start:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def hub_process(database_location):
    """A real `python -m console.hub serve` on a free port of 127.0.0.1, over this test's database."""
    server = HubProcess(database_location)
    yield server
    server.stop()
    server.log.close()
