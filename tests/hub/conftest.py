"""Hub fixtures: a hub database per test on each backend (PostgreSQL from
tests/hub/postgres.py), the API in process, and a real `hub serve` process."""

import warnings

import pytest

from tests.hub.postgres import postgres_database_url, postgres_server  # noqa: F401 (fixtures)
from tests.support.hub import (HubProcess, enrol_workstation, enrolled_in, location_args,  # noqa: F401 (for the tests)
                               run_hub_cli, serve_persons)

BACKENDS = ["sqlite", "postgresql"]
PASSWORD = "correct horse battery"
WORKSTATION = "ws-north-1"


# the hub in process


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
    serve_persons(db)
    yield db
    db.close()


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


@pytest.fixture
def hub_process(database_location, tmp_path):
    """A real `hub serve` on a free port of 127.0.0.1, over this test's database."""
    from console.hub.storage import open_database

    db = open_database(**database_location)
    serve_persons(db)
    db.close()
    server = HubProcess(database_location, tmp_path, device=enrolled_in(database_location, WORKSTATION)).start()
    yield server
    server.stop()
