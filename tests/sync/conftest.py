"""A real hub process on 127.0.0.1 and real workstation caches."""

from pathlib import Path

import pytest

from tests.hub.postgres import postgres_database_url, postgres_server  # noqa: F401 (fixtures)
from tests.support.hub import HubProcess, prepare_hub
from tests.support.workstation import Workstation

OPERATORS = (("op-1", "operator"), ("op-2", "operator"), ("sup-1", "supervisor"))


@pytest.fixture(autouse=True)
def _codes_hashed_once(remembered_code_hashes):
    """The demo registers' codes hashed once in this test process, not at every hub's import (tests/conftest.py)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def hub(request, tmp_path, demo_register):
    """A hub serving the demo register and the guidance, with accounts op-1, op-2 and sup-1;
    a test marked hub_serve(*options) has them given to `hub serve`."""
    if request.param == "sqlite":
        location = {"data": str(tmp_path / "hub-data")}
    else:
        location = {"database_url": request.getfixturevalue("postgres_database_url")}
    prepare_hub(location, demo_register, OPERATORS, content=True)
    marker = request.node.get_closest_marker("hub_serve")
    hub = HubProcess(location, tmp_path, options=marker.args if marker else ()).start()
    hub.first_register = demo_register
    yield hub
    hub.kill()


@pytest.fixture(scope="session")
def demo_register(tmp_path_factory) -> Path:
    """A register of 1,500 persons: a snapshot of many small chunks."""
    from console.demo.register import write_demo_register

    folder = tmp_path_factory.mktemp("demo-register")
    write_demo_register(folder, persons=1500, seed=3)
    return folder


@pytest.fixture(scope="session")
def second_register(tmp_path_factory) -> Path:
    from console.demo.register import write_demo_register

    folder = tmp_path_factory.mktemp("demo-register-2")
    write_demo_register(folder, persons=1600, seed=4)
    return folder


@pytest.fixture
def workstations(tmp_path):
    """Makes workstations syncing in this process, closed after the test."""
    made = []

    def make(name: str, operator: str, url: str, **options) -> Workstation:
        ws = Workstation(tmp_path / f"{name}.db", operator, url, **options)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close()
