"""A real hub process on 127.0.0.1 and real workstation caches."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.hub.postgres import postgres_database_url, postgres_server  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]

PASSWORD = "a long hub password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubProcess:
    """`helpline-console hub serve` in a child process, killed with SIGKILL
    and started again on the same database when a test says so."""

    def __init__(self, location: list[str], folder: Path):
        self.location = location  # ["--data", DIR] or ["--database-url", URL]
        self.folder = folder
        self.port = free_port()
        self.process = None
        self.starts = 0
        self.enrol_on_start = True  # this machine is enrolled at the first start (see enrol)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args, check=True, env=None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "console", "hub", *args, *self.location], capture_output=True, text=True,
            cwd=REPO, env={**os.environ, "HELPLINE_CONSOLE_PASSWORD": PASSWORD, **(env or {})}, timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"hub {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self) -> None:
        self.starts += 1
        log = open(self.folder / f"hub-{self.starts}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "console", "hub", "serve", *self.location, "--host", "127.0.0.1",
             "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited: {(self.folder / f'hub-{self.starts}.log').read_text()}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    if self.enrol_on_start and not hasattr(self, "device"):
                        self.enrol()
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("the hub did not start in 30 s")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def database(self):
        from console.hub.storage import open_database

        if self.location[0] == "--data":
            return open_database(data=self.location[1])
        return open_database(database_url=self.location[1])

    def call_ids(self) -> list[str]:
        """Every call the hub holds, one entry per stored row."""
        db = self.database()
        try:
            with db.read() as tx:
                return [row[0] for row in tx.all("SELECT call_id FROM calls")]
        finally:
            db.close()

    def register(self) -> dict:
        return httpx.get(self.url + "/v1/register", headers=self.admin_headers(), timeout=10, auth=self.auth).json()

    def enrol(self, url: str | None = None):
        """Enrol this machine (the test keystore) on the hub, as `sync --enrol` does; the
        workstations of a test share it, each cache claimed under it. With `url`, the
        machine reaches the hub there (through a proxy) and is enrolled as another."""
        from tests.hub.conftest import enrol_workstation

        name = f"machine-{self.port}" + (f"-via-{httpx.URL(url).port}" if url else "")
        device = enrol_workstation(name, hub_url=url or self.url, run_cli=self.cli)
        if url is None:
            self.device, self.auth = device, device.auth()
        return device

    def admin_headers(self) -> dict:
        if not getattr(self, "_token", None):
            answer = httpx.post(self.url + "/v1/sessions", json={
                "operator_id": "sup-1", "password": PASSWORD, "workstation": "test-harness"}, timeout=10,
                auth=self.auth)
            answer.raise_for_status()
            self._token = answer.json()["token"]
        return {"Authorization": f"Bearer {self._token}"}


@pytest.fixture(params=["sqlite", "postgresql"])
def hub(request, tmp_path, demo_register):
    if request.param == "sqlite":
        location = ["--data", str(tmp_path / "hub-data")]
    else:
        location = ["--database-url", request.getfixturevalue("postgres_database_url")]
    hub = HubProcess(location, tmp_path)
    hub.first_register = demo_register
    for operator, role in (("op-1", "operator"), ("op-2", "operator"), ("sup-1", "supervisor")):
        hub.cli("operators", "add", operator, "--role", role)
    hub.cli("import-register", str(demo_register))
    hub.cli("publish-content")
    hub.start()
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


class Workstation:
    """A workstation's cache, acting as one operator, syncing through `url`."""

    def __init__(self, path: Path, operator: str, url: str, timeout: float = 10.0, chunk_bytes: int = 16_384):
        from console.store.cache import Cache

        self.cache = Cache.open(path, operator=operator)
        self.operator, self.url, self.timeout, self.chunk_bytes = operator, url, timeout, chunk_bytes

    def sync(self, **options):
        from console.sync.engine import sync_cache
        from console.sync.tokens import hub_client

        with hub_client(self.url, self.operator, self.cache.workstation, PASSWORD, timeout=self.timeout) as client:
            return sync_cache(self.cache, client, chunk_bytes=self.chunk_bytes, **options)

    def close(self):
        self.cache.close()


@pytest.fixture
def workstations(tmp_path):
    made = []

    def make(name: str, operator: str, url: str, **options) -> Workstation:
        ws = Workstation(tmp_path / f"{name}.db", operator, url, **options)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close()
