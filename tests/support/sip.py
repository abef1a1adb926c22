"""A real telephone line on 127.0.0.1 for the tests: Kamailio running the
shipped packaging/telephony/kamailio.cfg (posting CTI events to a hub), SIPp
agents that answer, ring until cancelled, or are busy, and SIPp callers.

Everything is waited for by what the processes say, with a generous
deadline: Kamailio's "cti delivered" lines are counted as they come.
"""

import csv
import os
import shutil
import signal
import socket
import subprocess
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "packaging" / "telephony" / "kamailio.cfg"
SCENARIOS = REPO / "tests" / "telephony" / "scenarios"
DEADLINE = 120  # seconds a test waits for a process to say something before it fails
QUEUE = "helpline"  # the number the callers dial: the queue's name in the events


def missing_tools() -> str | None:
    """Why the telephone tests cannot run here, or None."""
    absent = [tool for tool in ("kamailio", "sipp") if shutil.which(tool) is None]
    if absent:
        return (f"{' and '.join(absent)} not installed (packaging/dev test installs kamailio, "
                "kamailio-extra-modules, kamailio-utils-modules and sip-tester on Debian)")
    return None


def require_tools() -> None:
    """Skip the calling test, naming what is missing, where Kamailio or SIPp is not installed."""
    import pytest

    why = missing_tools()
    if why:
        pytest.skip(why)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _until_bound(process: subprocess.Popen, port: int, what: str, output) -> None:
    """Until `process` holds UDP `port` (it has no line saying so), asked between short waits on the process."""
    for _ in range(DEADLINE * 50):
        if _udp_port_taken(port):
            return
        try:
            process.wait(timeout=0.02)
            break  # it exited
        except subprocess.TimeoutExpired:
            pass
    raise AssertionError(f"{what} never listened on udp:{port}:\n{output()}")


class Kamailio:
    """The shipped configuration, its placeholders filled in, on a free UDP port."""

    def __init__(self, folder: Path, cti_url: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_udp_port()
        self.cti_url = cti_url
        self.delivered = 0  # events the hub answered 2xx or 4xx, each counted once however often posted
        self._delivered: set[str] = set()  # their "event callId" keys
        self.retries = 0  # posts that failed and were queued again
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "Kamailio":
        config = CONFIG.read_text(encoding="utf-8")
        config = config.replace("@LISTEN@", f"udp:{self.address}").replace("@CTI_URL@", self.cti_url)
        path = self.folder / "kamailio.cfg"
        path.write_text(config, encoding="utf-8")
        self.process = subprocess.Popen(
            ["kamailio", "-f", str(path), "-Y", str(self.folder), "-P", str(self.folder / "kamailio.pid"),
             "-DD", "-E", "-w", str(self.folder)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", process_group=0)
        threading.Thread(target=self._read, daemon=True).start()
        _until_bound(self.process, self.port, "Kamailio", self.output)
        return self

    def _read(self) -> None:
        log = open(self.folder / "kamailio.log", "w", encoding="utf-8")  # kept with the test's folder
        for line in self.process.stdout:
            log.write(line)
            log.flush()
            with self._changed:
                self.lines.append(line)
                if "cti delivered" in line:  # "... cti delivered 202 newCall 12-345@127.0.0.1"
                    self._delivered.add(" ".join(line.split()[-2:]))
                    self.delivered = len(self._delivered)
                self.retries += "cti retry" in line
                self._changed.notify_all()
        log.close()
        with self._changed:
            self._changed.notify_all()

    def output(self) -> str:
        with self._changed:
            return "".join(self.lines[-60:])

    def wait_for(self, condition, what: str) -> None:
        """Until condition(self) holds, woken by each line Kamailio writes; failing when Kamailio stops, or
        neither delivers nor retries an event for DEADLINE seconds (a loaded machine delivers slowly)."""
        with self._changed:
            while not (condition(self) or self.process.poll() is not None):
                posted = self.delivered + self.retries
                if not self._changed.wait_for(lambda: self.delivered + self.retries > posted or condition(self)
                                              or self.process.poll() is not None, DEADLINE):
                    raise AssertionError(f"Kamailio posted nothing for {DEADLINE} s and never {what} (it delivered "
                                         f"{self.delivered}, retried {self.retries}):\n{''.join(self.lines[-60:])}")
            if not condition(self):
                raise AssertionError(f"Kamailio stopped before it {what}:\n{''.join(self.lines[-60:])}")

    def wait_delivered(self, count: int) -> None:
        self.wait_for(lambda k: k.delivered >= count, f"delivered {count} CTI events")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # its children are in its own process group: end that group, by the main process's id
            signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()


def signal_group(pid: int, which) -> None:
    import os

    try:
        os.killpg(pid, which)
    except ProcessLookupError:
        pass


class Agent:
    """A SIPp answering side (uas) running one of the agent_*.xml scenarios."""

    def __init__(self, folder: Path, scenario: str):
        self.folder = Path(folder)
        self.scenario = scenario
        self.port = free_udp_port()
        self.process = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "Agent":
        log = self.folder / f"{self.scenario}.log"
        self.process = subprocess.Popen(
            ["sipp", "-sf", str(SCENARIOS / f"{self.scenario}.xml"), "-i", "127.0.0.1", "-p", str(self.port),
             "-nostdin", "-trace_err", "-error_file", str(self.folder / f"{self.scenario}-errors.log")],
            stdout=subprocess.DEVNULL, stderr=open(log, "w"), cwd=self.folder)
        _until_bound(self.process, self.port, f"SIPp ({self.scenario})", lambda: log.read_text(errors="replace"))
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Counts:
    """SIPp's own count of a caller run: calls completed as the scenario says, and failed."""

    successful: int
    failed: int


class Callers:
    """SIPp placing `calls` calls at `rate` a second to an agent, through Kamailio."""

    def __init__(self, folder: Path, scenario: str, kamailio: Kamailio, agent: Agent, calls: int, rate: float = 10,
                 pause_ms: int = 200, service: str = QUEUE, keys: dict | None = None):
        self.folder = Path(folder)
        self.scenario = scenario
        self.stat = self.folder / f"{scenario}-{agent.port}-stat.csv"
        port = free_udp_port()
        self.args = ["sipp", agent.address, "-rsa", kamailio.address, "-sf", str(SCENARIOS / f"{scenario}.xml"),
                     "-s", service, "-i", "127.0.0.1", "-p", str(port), "-m", str(calls), "-r", str(rate),
                     "-d", str(pause_ms), "-nostdin", "-trace_stat", "-stf", str(self.stat), "-fd", "1",
                     "-recv_timeout", "30000", "-timeout_error",
                     *(arg for key, value in (keys or {}).items() for arg in ("-key", key, str(value)))]
        self.log = self.folder / f"{scenario}-{agent.port}.log"
        self.process = None

    def start(self) -> "Callers":
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"),
                                        cwd=self.folder)
        return self

    def finish(self) -> Counts:
        """Wait for SIPp to place every call; its own counts from its statistics file."""
        try:
            self.process.wait(timeout=DEADLINE * 5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"SIPp ({self.scenario}) did not finish:\n{self.log.read_text(errors='replace')}")
        with open(self.stat, newline="") as f:
            rows = list(csv.DictReader(f, delimiter=";"))
        last = rows[-1]
        return Counts(int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]))

    def run(self) -> Counts:
        return self.start().finish()

    def stop(self) -> None:
        """End SIPp if it is still placing calls (a test that failed before finish())."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def independent_figures(events: list[dict]) -> dict:
    """The figures straight from the event log, without console.core.telephony."""
    calls = defaultdict(dict)
    for event in events:
        calls[event["callId"]][event["event"]] = event
    offered = answered = abandoned = short = within = 0
    waits = []
    for call in calls.values():
        rang = float(call["newCall"]["at"])
        offered += 1
        if "answer" in call:
            answered += 1
            wait = float(call["answer"]["at"]) - rang
            waits.append(int(wait))
            within += wait < 60
        elif call.get("hangup", {}).get("cause") == "cancel":
            gave_up = float(call["hangup"]["at"]) - rang
            short += gave_up < 5
            abandoned += gave_up >= 5
    return {"offered": offered, "answered": answered, "abandoned": abandoned, "short_abandoned": short,
            "service_level": round(within / (offered - short), 4),
            "average_speed_of_answer_seconds": round(sum(waits) / len(waits), 1)}


def queue_of_burst(hub, events: list[dict]) -> dict:
    """GET /v1/queue for the helpline day a burst's calls rang in on."""
    import httpx

    from console.core.timeutil import HELPLINE_ZONE

    days = sorted({datetime.fromtimestamp(float(e["at"]), timezone.utc).astimezone(HELPLINE_ZONE).date()
                   for e in events if e["event"] == "newCall"})
    assert len(days) == 1, "the burst crossed midnight in Auckland; run it again"
    return httpx.get(f"{hub.url}/v1/queue", params={"day": days[0].isoformat()}, headers=hub.admin_headers(),
                     auth=hub.auth, timeout=30).json()


class Relay:
    """console.telephony_relay between Kamailio and the hub, on a fixed port
    across kill -9 and restarts, its queue file kept."""

    def __init__(self, folder: Path, to: str):
        from tests.hub.postgres import free_port

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.to = to
        self.port = free_port()
        self.delivered = 0  # "delivered" lines, over every start (a re-posted event counts again)
        self.queued = None  # events still on its disk, as its last "delivered" line said
        self.process = None
        self.lines: list[str] = []
        self._changed = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> "Relay":
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "console.telephony_relay", "--to", self.to, "--queue",
             str(self.folder / "queue.db"), "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", cwd=REPO)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        self.wait_for(lambda r: any("relay listening" in line for line in r.lines[-5:]), "listened")
        return self

    def _read(self, process) -> None:
        for line in process.stdout:
            with self._changed:
                self.lines.append(line)
                if line.startswith("console.telephony_relay: delivered"):  # "...: delivered 202, 3 queued"
                    self.delivered += 1
                    self.queued = int(line.split()[-2])
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, condition, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self) or self.process.poll() is not None, DEADLINE) \
                    or not condition(self):
                raise AssertionError(f"the relay never {what}:\n{''.join(self.lines[-40:])}")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


class Line:
    """A hub serving `location` (tests/support/hub.py), Kamailio posting to it
    as the PBX "kamailio" (through console.telephony_relay with relay=True),
    and the three SIPp agents; stop() ends them all. `operators` are the
    hub's accounts, `extensions` maps operators to the agents' names
    (agent_answers.xml answers as agent-1001)."""

    AGENTS = ("agent_answers", "agent_rings", "agent_busy")

    def __init__(self, location: dict, folder: Path, relay: bool = False, register=None,
                 operators=(("sup-1", "supervisor"),), extensions: dict | None = None):
        from console.hub.storage import open_database
        from console.hub.telephony import add_pbx, map_extension
        from tests.support.hub import HubProcess, prepare_hub

        self.folder = Path(folder)
        prepare_hub(location, register, list(operators))
        db = open_database(**location)
        try:
            token = add_pbx(db, "kamailio")
            for operator, extension in (extensions or {}).items():  # whose window an agent's answer pops
                map_extension(db, operator, extension)
        finally:
            db.close()
        self.hub = HubProcess(location, self.folder / "hub").start()
        cti = f"{self.hub.url}/v1/cti/{token}"
        self.relay = Relay(self.folder / "relay", cti).start() if relay else None
        self.kamailio = Kamailio(self.folder / "kamailio", self.relay.url if relay else cti).start()
        self.agents = {name: Agent(self.folder, name).start() for name in self.AGENTS}

    def callers(self, scenario: str, agent: str, calls: int, rate: float = 10, pause_ms: int = 200,
                **options) -> Callers:
        return Callers(self.folder, scenario, self.kamailio, self.agents[agent], calls, rate, pause_ms, **options)

    def dial_out(self, extension: str, number: str, answered: bool = True) -> Counts:
        """One outbound call from an operator's extension to `number`, through
        Kamailio: answered by agent_answers, or given up while agent_rings rings."""
        scenario, agent = ("operator_dials", "agent_answers") if answered else ("operator_gives_up", "agent_rings")
        return self.callers(scenario, agent, 1, service=number, keys={"extension": extension}).run()

    def events(self) -> list[dict]:
        """The hub's event log, oldest first, as the PBX sent each event."""
        import json

        from console.hub.sealing import row_id

        db = self.hub.database()
        try:
            with db.read() as tx:  # each body sealed (console/hub/sealing.py)
                return [json.loads(tx.open("cti_events", row_id(pbx, call_id, event), "body", body))
                        for pbx, call_id, event, body in tx.all("SELECT pbx, call_id, event, body FROM cti_events "
                                                                "ORDER BY event_id")]
        finally:
            db.close()

    def stop(self) -> None:
        for agent in self.agents.values():
            agent.stop()
        self.kamailio.stop()
        if self.relay is not None:
            self.relay.stop()
        self.hub.stop()
