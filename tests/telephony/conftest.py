"""A hub (its own process, on each backend), a Kamailio in front of SIPp
agents, and the PBX's CTI address between them (tests/support/sip.py)."""

import pytest

from tests.hub.conftest import backend, database_location  # noqa: F401 (fixtures)
from tests.hub.postgres import postgres_database_url, postgres_server  # noqa: F401 (fixtures)
from tests.support.sip import Line, require_tools


@pytest.fixture
def line(database_location, tmp_path):
    require_tools()
    running = Line(database_location, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def relayed_line(database_location, tmp_path):
    """The same, with console.telephony_relay between Kamailio and the hub."""
    require_tools()
    running = Line(database_location, tmp_path, relay=True)
    yield running
    running.stop()
