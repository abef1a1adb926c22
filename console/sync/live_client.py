"""The workstation's end of the live channel (console/hub/live.py): GET
/v1/live read as server-sent events with httpx, no Qt.

`LiveClient.run(stop)` holds the stream open until `stop` is set, and
reconnects when it drops, after a backoff that doubles from BACKOFF_FIRST to
BACKOFF_MOST seconds (with jitter, so a room of workstations does not
reconnect in step), sending the last id it saw as Last-Event-ID so the hub
replays what it missed. Every event is checked against the protocol
(console.core.live) before `on_event(event)` is called with it; one that is
not JSON or not a live event is skipped with a log line that names what is
wrong, never its contents (an event can carry a caller's number).

The token is read with `token()` at each connection: the sync loop signs in
and keeps it in the keystore, and a refused token (401) is simply tried again
after the backoff, once the sync has signed in again.
"""

import json
import logging
import random
import socket
import threading
from typing import Callable

import httpx

from console import __version__
from console.core.live import event_problem
from console.sync.client import tls_context
from console.sync.protocol import API

log = logging.getLogger("console.sync.live")

BACKOFF_FIRST = 0.5
BACKOFF_MOST = 30.0
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 45.0  # three of the hub's keep-alives: a silent stream is a dead one
MAX_FRAME_CHARS = 64 * 1024  # an event bigger than this is not the hub's


class Frame:
    """One dispatched server-sent event."""

    __slots__ = ("id", "event", "data")

    def __init__(self, event_id: str | None, event: str, data: str):
        self.id, self.event, self.data = event_id, event, data


class SSEParser:
    """The text/event-stream format (the WHATWG HTML standard, 9.2.6), line by line.
    `last_id` follows every `id:` field, whether or not its frame carries data."""

    def __init__(self):
        self.last_id: str | None = None
        self._event, self._data, self._size = "", [], 0

    def feed(self, line: str) -> Frame | None:
        """The frame a blank line completes, or None."""
        if line == "":
            data, event = "\n".join(self._data), self._event or "message"
            had_data = bool(self._data)
            self._event, self._data, self._size = "", [], 0
            return Frame(self.last_id, event, data) if had_data else None
        if line.startswith(":"):
            return None  # a comment: the keep-alive
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._size += len(value)
            if self._size <= MAX_FRAME_CHARS:
                self._data.append(value)
            else:
                self._data = ["\x00too large"]  # kept as one marker: the frame is refused when complete
        elif name == "event":
            self._event = value
        elif name == "id" and "\x00" not in value:
            self.last_id = value
        return None


def checked_event(frame: Frame) -> dict | None:
    """The frame's event when it follows the protocol; otherwise None, and a log line without its contents."""
    try:
        event = json.loads(frame.data)
    except ValueError:
        log.warning("live: an event that is not JSON (%s characters) was skipped", len(frame.data))
        return None
    problem = event_problem(event)
    if problem is None and frame.event != event["type"]:
        problem = f"A {event['type']} event was sent as a {frame.event[:40]!r} event."
    if problem:
        log.warning("live: an event was skipped: %s", problem)
        return None
    return event


def _socket_of(response: httpx.Response) -> socket.socket | None:
    """The connection's socket under a streamed response (None through a test transport)."""
    stream = response.extensions.get("network_stream")
    return stream.get_extra_info("socket") if stream is not None else None


class LiveClient:
    """One workstation's live stream; `state` says how it is ("connecting",
    "live", "offline", "signed_out", "stopped") for the status bar."""

    def __init__(self, hub_url: str, token: Callable[[], str | None], on_event: Callable[[dict], None], *,
                 on_state: Callable[[str], None] | None = None, transport=None,
                 backoff: tuple[float, float] = (BACKOFF_FIRST, BACKOFF_MOST), read_timeout: float = READ_TIMEOUT,
                 auth: httpx.Auth | None = None):
        self.url = hub_url.rstrip("/")
        self.token = token
        self.on_event = on_event
        self.on_state = on_state or (lambda state: None)
        self.backoff = backoff
        self.last_event_id: str | None = None
        self.state = "connecting"
        self.connections = 0
        # auth: the enrolled workstation's signature (console.sync.device), as every request with a token has
        self._http = httpx.Client(base_url=self.url + API, transport=transport, auth=auth, verify=tls_context(),
                                  timeout=httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT),
                                  headers={"User-Agent": f"helpline-console/{__version__}",
                                           "Accept": "text/event-stream"})
        self._response: httpx.Response | None = None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.on_state(state)

    def run(self) -> None:
        """Hold the stream open until `close()`, reconnecting with backoff."""
        failures = 0
        while not self._stop.is_set():
            delivered = self.listen_once()
            if self._stop.is_set():
                break
            failures = 0 if delivered else failures + 1
            first, most = self.backoff
            if self.state == "live":
                self._set_state("offline")
            self._stop.wait(min(most, first * 2 ** failures) * random.uniform(0.5, 1.0))
        self._set_state("stopped")

    def listen_once(self) -> bool:
        """One connection, read until it ends; whether the hub answered it with a stream."""
        token = self.token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        if self.state != "live":
            self._set_state("connecting")
        try:
            with self._http.stream("GET", "/live", headers=headers) as response:
                with self._lock:
                    self._response = response
                    self._socket = _socket_of(response)
                if self._stop.is_set():
                    return False
                if response.status_code == 401:
                    self._set_state("signed_out")
                    return False
                if response.status_code != 200 or not response.headers.get("content-type", "").startswith(
                        "text/event-stream"):
                    log.warning("live: the hub answered %s to the live channel", response.status_code)
                    self._set_state("offline")
                    return False
                self.connections += 1
                self._set_state("live")
                parser = SSEParser()
                parser.last_id = self.last_event_id
                for line in response.iter_lines():
                    frame = parser.feed(line)
                    self.last_event_id = parser.last_id
                    event = checked_event(frame) if frame is not None else None
                    if event is not None:
                        self.on_event(event)
                return True
        except (httpx.HTTPError, OSError, RuntimeError) as exc:
            if not self._stop.is_set():
                log.info("live: the stream ended (%s); reconnecting", type(exc).__name__)
            return self.state == "live"
        finally:
            with self._lock:
                self._response = self._socket = None

    def close(self) -> None:
        """Stop: the stream open now is closed from this thread, and `run` returns."""
        self._stop.set()
        with self._lock:
            response, sock = self._response, self._socket
        if sock is not None:  # a read blocked on the socket returns at once (closing alone would wait for the hub)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by the hub
                pass
        if response is not None:
            try:
                response.close()
            except Exception:  # closing under a reading thread: whatever it raises, the stream is gone
                pass
        self._http.close()
