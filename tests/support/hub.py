"""The hub as an administrator runs it: its commands, and `hub serve` in a
child process on 127.0.0.1, killed and started again on the same database
when a test says so."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.hub.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "a long hub password"  # of every account a test adds through the hub's commands
READY = "Uvicorn running on"  # uvicorn's line once the hub's socket listens (one worker)
WORKER_STARTED = "Application startup complete."  # each worker's line just before it listens
START_SECONDS = 60  # a loaded machine takes a few seconds; a hub that never says it is ready fails the test


def location_args(location) -> list[str]:
    """The command-line options naming a hub database: {"data": DIR} or {"database_url": URL}."""
    return ["--data", str(location["data"])] if "data" in location else ["--database-url", location["database_url"]]


def run_hub_cli(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    """`python -m console.hub …` in a child process, as an administrator would run it."""
    return subprocess.run([sys.executable, "-m", "console.hub", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)


def prepare_hub(location: dict, register=None, operators=(), content=False) -> None:
    """Set up a hub's database in this process, as its administrator would with
    `hub operators add`, `hub import-register` and `hub publish-content` (those
    commands have tests of their own): accounts with PASSWORD, of (operator, role)."""
    from console.hub.accounts import add_operator
    from console.hub.content import publish_content
    from console.hub.registers import import_register
    from console.hub.storage import open_database

    db = open_database(**location)
    try:
        for operator, role in operators:
            add_operator(db, operator, role, PASSWORD, created_by="hub")
        if register is not None:
            import_register(db, register)
        if content:
            publish_content(db)
    finally:
        db.close()


# when tests' workstations count as enrolled: before every date their records carry (a hub refuses a
# record dated before its workstation's enrolment); a test of that rule passes enrolled_at=None
TEST_ENROLLED_AT = "2000-01-01T00:00:00.000000+00:00"


def backdate_enrolment(db, workstation: str, enrolled_at: str = TEST_ENROLLED_AT) -> None:
    """Set when the workstation counts as enrolled, as if the hub's clock had said so then."""
    with db.write() as tx:
        tx.execute("UPDATE workstations SET enrolled_at = ? WHERE workstation_id = ?", [enrolled_at, workstation])


# the persons tests' records name (tests/hub/bodies.py) on a hub that never imported a register: a hub
# refuses a record naming a person of no register it has served
TEST_PERSONS = tuple(f"P{n:04d}" for n in range(1, 10))


def serve_persons(db, person_ids=TEST_PERSONS) -> None:
    """The hub at `db` counts `person_ids` as persons of a register it has served (as if imported before)."""
    from console.hub.registers import keep_persons

    with db.write() as tx:
        keep_persons(tx, 0, person_ids)


def enrol_workstation(name: str, *, db=None, hub_url: str | None = None, run_cli=None, location: dict | None = None,
                      enrolled_at: str | None = TEST_ENROLLED_AT):
    """Enrol a workstation named `name` as an administrator would, and return
    its console.sync.device.Device (whose .auth() signs an httpx client's
    requests). The one place tests enrol: over a hub database in process
    (db), or on a hub process (hub_url), its code made over the hub database
    at `location` (or from `run_cli(*args)`, a `python -m console.hub …`
    runner, when given), the key then kept in the keystore as `sync --enrol`
    keeps it. Its enrolment is back-dated to `enrolled_at`
    (over db, or the hub database at `location` and the machine's kept
    copy) unless that is None."""
    import re

    from console.sync.device import Device, enrol, save_device

    if db is not None:
        from console.hub.workstations import create_enrolment
        from console.hub.workstations import enrol as hub_enrol

        device = Device.generate()
        enrolled = hub_enrol(db, create_enrolment(db, name, created_by="test")["code"], device.public_key())
        device.workstation, device.enrolled_at = enrolled["workstation"], enrolled["enrolled_at"]
    else:
        if run_cli is not None:
            answer = run_cli("workstations", "enrol", name)
            code = re.search(r"the code ([A-Z0-9-]+) ", answer.stdout).group(1)
        else:  # the code `hub workstations enrol` gives (tests/ui/test_setup_assistant.py runs that command)
            from console.hub.storage import open_database
            from console.hub.workstations import create_enrolment

            target = open_database(**location)
            try:
                code = create_enrolment(target, name, created_by="hub")["code"]
            finally:
                target.close()
        device = enrol(hub_url, code)
    if enrolled_at is not None and (db is not None or location is not None):
        from console.hub.storage import open_database

        target = db or open_database(**location)
        try:
            backdate_enrolment(target, device.workstation, enrolled_at)
        finally:
            if db is None:
                target.close()
        device.enrolled_at = enrolled_at
        if db is None:  # the machine's copy too: it judges what it records by the same time
            save_device(hub_url, device)
    return device


def enrolled_in(location: dict, name: str):
    """A workstation enrolled on the hub database at `location` (in this process), before its hub serves."""
    from console.hub.storage import open_database

    db = open_database(**location)
    try:
        return enrol_workstation(name, db=db)
    finally:
        db.close()


class HubProcess:
    """`helpline-console hub serve` over one database, on a port of 127.0.0.1
    that stays the same across a kill and a start (workstations remember it).

    Requests to it come from an enrolled workstation: `device` (a
    console.sync.device.Device) if given, else this machine, enrolled through
    the hub's commands and `sync --enrol`'s steps at the first start unless
    `enrol_on_start` is turned off. `auth` signs an httpx client's requests
    as that workstation. `options`: more options of `hub serve`."""

    def __init__(self, location: dict, folder: Path, workers: int = 1, device=None, options=()):
        self.device = device
        self.options = [str(option) for option in options]
        self.auth = device.auth() if device is not None else None
        self.enrol_on_start = True
        self.location = location
        self.folder = Path(folder)  # its logs, one per start
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._reader: threading.Thread | None = None
        self._served = False
        self._token = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / f"hub-{self.starts}.log"

    def cli(self, *args, check=True, env=None) -> subprocess.CompletedProcess:
        """A hub command on this hub's database, with PASSWORD for any account it adds."""
        result = run_hub_cli(*args, *location_args(self.location),
                             env={"HELPLINE_CONSOLE_PASSWORD": PASSWORD, **(env or {})}, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"hub {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self) -> "HubProcess":
        """Serve, and return once the hub says it listens (or fail with what it said)."""
        for _ in range(3):
            if self._serve():
                self._served = True
                if self.enrol_on_start and self.device is None:
                    self.enrol()
                return self
            if self._served or "address already in use" not in self.output():
                break
            self.port = free_port()  # another process took it between choosing and binding (never on a restart)
        raise AssertionError(f"the hub did not start:\n{self.output()}")

    def _serve(self) -> bool:
        self.starts += 1
        ready = threading.Event()
        log = open(self.log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "console", "hub", "serve", *location_args(self.location), "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers), *self.options],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
            cwd=REPO)

        def copy(stream, log):  # the whole output to the log; readiness (or the end) to the event
            started = 0
            with log:
                for line in stream:
                    log.write(line)
                    log.flush()
                    started += WORKER_STARTED in line
                    if (READY in line and self.workers == 1) or started == self.workers > 1:
                        ready.set()
            ready.set()

        self._reader = threading.Thread(target=copy, args=(self.process.stdout, log), daemon=True)
        self._reader.start()
        if not ready.wait(START_SECONDS):
            self.kill()
            raise AssertionError(f"the hub did not say it was ready in {START_SECONDS} s:\n{self.output()}")
        if self.process.poll() is not None:
            self.kill()
            return False
        if self.workers > 1:
            self._until_listening()
        return True

    def _until_listening(self) -> None:
        """With workers, the parent binds the socket and each worker listens on
        it right after saying it started: the last step is a few instructions
        after the last line, so the hub is asked until it answers."""
        for _ in range(1000):
            try:
                httpx.get(self.url + "/v1/health", timeout=10).raise_for_status()
                return
            except httpx.ConnectError:
                pass
            try:
                self.process.wait(timeout=0.01)
                break  # it exited
            except subprocess.TimeoutExpired:
                pass
        raise AssertionError(f"the hub's workers started but never listened:\n{self.output()}")

    def output(self) -> str:
        """What the hub has said since it was last started."""
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut: nothing is flushed or closed."""
        self._end(lambda p: p.send_signal(signal.SIGKILL))

    def stop(self) -> None:
        """SIGTERM, as an administrator stops it, then SIGKILL if it lingers."""
        self._end(lambda p: p.terminate())

    def _end(self, signal_it) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            signal_it(self.process)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join()  # the log holds everything the hub said
        self.process.stdout.close()

    # what the hub holds

    def import_register(self, path) -> None:
        """A new register in service, as `hub import-register` puts it (in this process)."""
        prepare_hub(self.location, register=path)

    def database(self):
        from console.hub.storage import open_database

        return open_database(**self.location)

    def call_ids(self) -> list[str]:
        """Every call the hub holds, one entry per stored row."""
        db = self.database()
        try:
            with db.read() as tx:
                return [row[0] for row in tx.all("SELECT call_id FROM calls")]
        finally:
            db.close()

    def enrol(self, url: str | None = None):
        """Enrol this machine (the test keystore) on the hub, as `sync --enrol` does; the
        workstations of a test share it, each cache claimed under it. With `url`, the
        machine reaches the hub there (through a proxy) and is enrolled as another."""
        name = f"machine-{self.port}" + (f"-via-{httpx.URL(url).port}" if url else "")
        device = enrol_workstation(name, hub_url=url or self.url, location=self.location)
        if url is None:
            self.device, self.auth = device, device.auth()
        return device

    def admin_headers(self, operator: str = "sup-1") -> dict:
        """Authorization headers of a supervisor signed in from the test harness."""
        if not self._token:
            answer = httpx.post(self.url + "/v1/sessions", json={
                "operator_id": operator, "password": PASSWORD, "workstation": "test-harness"}, timeout=10,
                auth=self.auth)
            answer.raise_for_status()
            self._token = answer.json()["token"]
        return {"Authorization": f"Bearer {self._token}"}

    def register(self) -> dict:
        return httpx.get(self.url + "/v1/register", headers=self.admin_headers(), timeout=10, auth=self.auth).json()
