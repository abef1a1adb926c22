"""A hub (its own process, on each backend), a Kamailio in front of SIPp
agents, and the PBX's CTI address between them."""

import pytest

from tests.hub.conftest import backend, database_location, quick_password_hashing  # noqa: F401 (fixtures)
from tests.hub.postgres import postgres_database_url, postgres_server  # noqa: F401 (fixtures)
from tests.support.hub import HubProcess, prepare_hub
from tests.support.sip import Agent, Kamailio, missing_tools


@pytest.fixture
def sip_tools():
    why = missing_tools()
    if why:
        pytest.skip(why)


@pytest.fixture
def line(sip_tools, database_location, tmp_path):
    """The hub serving, Kamailio posting to it, and the three agents."""
    from console.hub.storage import open_database
    from console.hub.telephony import add_pbx

    prepare_hub(database_location, operators=[("sup-1", "supervisor")])
    db = open_database(**database_location)
    try:
        token = add_pbx(db, "kamailio")
    finally:
        db.close()
    hub = HubProcess(database_location, tmp_path / "hub").start()
    kamailio = Kamailio(tmp_path / "kamailio", f"{hub.url}/v1/cti/{token}").start()
    agents = {name: Agent(tmp_path, name).start() for name in ("agent_answers", "agent_rings", "agent_busy")}
    yield Line(hub, kamailio, agents, tmp_path)
    for agent in agents.values():
        agent.stop()
    kamailio.stop()
    hub.stop()


class Line:
    def __init__(self, hub, kamailio, agents, folder):
        self.hub, self.kamailio, self.agents, self.folder = hub, kamailio, agents, folder

    def callers(self, scenario: str, agent: str, calls: int, rate: float = 10, pause_ms: int = 200):
        from tests.support.sip import Callers

        return Callers(self.folder, scenario, self.kamailio, self.agents[agent], calls, rate, pause_ms)

    def events(self) -> list[dict]:
        """The hub's event log, oldest first, as the PBX sent each event."""
        import json

        db = self.hub.database()
        try:
            with db.read() as tx:
                return [json.loads(body) for (body,) in tx.all("SELECT body FROM cti_events ORDER BY event_id")]
        finally:
            db.close()
