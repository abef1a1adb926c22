"""The live channel in tests: the hub's app served by uvicorn on a thread of
this process (real HTTP on 127.0.0.1, so a test can publish on its channel
directly, as the telephony endpoint does), and a workstation's stream read
with the console's own client on a thread, its events in a queue."""

import queue
import socket
import threading

import httpx

from tests.support.hub import PASSWORD, backdate_enrolment

EVENT_SECONDS = 20  # how long a test waits for an event before it fails


class ThreadedHub:
    """`make_app` over the database at `location`, served by uvicorn on a thread."""

    def __init__(self, location: dict):
        self.location = location
        self.db = None
        self.server = None
        self.thread = None

    def start(self) -> "ThreadedHub":
        import uvicorn

        from console.hub.app import make_app
        from console.hub.storage import open_database

        self.db = open_database(**self.location)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # bound and listening before the thread starts: a client may connect at once
        sock.listen(64)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(make_app(self.db), log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        self._enrol()
        return self

    def _enrol(self) -> None:
        """This machine enrolled on the hub (the key in the test keystore, as `sync --enrol` keeps it):
        the live helpers below and the window find it there by the hub's address."""
        from console.hub.workstations import create_enrolment
        from console.sync.device import enrol

        self.device = enrol(self.url, create_enrolment(self.db, f"machine-{self.port}", created_by="test")["code"])
        backdate_enrolment(self.db, self.device.workstation)
        self.auth = self.device.auth()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.db.close()


def device_auth(url: str):
    """The signature of this machine's enrolment on the hub at `url` (ThreadedHub or HubProcess enrolled it)."""
    from console.sync.device import load_device

    return load_device(url).auth()


def stream_auth(url: str):
    """The same, for the live stream (console.sync.device.StreamAuth)."""
    from console.sync.device import load_device

    return load_device(url).stream_auth()


def sign_in(url: str, operator: str, workstation: str) -> str:
    answer = httpx.post(url + "/v1/sessions", json={"operator_id": operator, "password": PASSWORD,
                                                     "workstation": workstation}, timeout=30, auth=device_auth(url))
    answer.raise_for_status()
    return answer.json()["token"]


class Stream:
    """One operator's live stream, read by console.sync.live_client on a thread."""

    def __init__(self, url: str, token: str, last_event_id: str | None = None, reconnect: bool = False):
        from console.sync.live_client import LiveClient

        self.events: queue.Queue = queue.Queue()
        self.live = threading.Event()
        self.client = LiveClient(url, lambda: token, self.events.put, on_state=self._state, auth=stream_auth(url))
        self.client.last_event_id = last_event_id
        target = self.client.run if reconnect else self.client.listen_once
        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        if not self.live.wait(EVENT_SECONDS):
            raise AssertionError(f"the live stream did not open (state {self.client.state})")

    def _state(self, state: str) -> None:
        if state == "live":
            self.live.set()

    def next(self, timeout: float = EVENT_SECONDS) -> dict:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no live event arrived in {timeout} s") from None

    @property
    def last_event_id(self) -> str | None:
        return self.client.last_event_id

    def close(self) -> None:
        self.client.close()
        self.thread.join(timeout=EVENT_SECONDS)
