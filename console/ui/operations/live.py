"""The live channel in the window: a thread of its own holds the hub's stream
open (console.sync.live_client) and hands each event to the main thread,
where `event_arrived(event)` feeds the call screen. The window never waits
on it; when the hub is down the stream retries in the background and the
operators work as without it (Ctrl+N).

Events cross threads through a queue and a signal that carries nothing
(as console.ui.tasks does): Python objects sent through a queued signal from
a foreign thread have shown reference-count faults in PySide6.
"""

import queue
import threading

from PySide6.QtCore import QObject, Signal


class LiveFeed(QObject):
    """One operator's live stream from `hub_url`, with the token `token()` gives."""

    _arrived = Signal()
    event_arrived = Signal(object)  # emitted on the main thread: a checked live event (console.core.live)
    state_changed = Signal(str)  # "connecting", "live", "offline", "signed_out", "stopped"

    def __init__(self, hub_url: str, token, parent=None, **options):
        from console.sync.live_client import LiveClient

        super().__init__(parent)
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._arrived.connect(self._deliver)
        self.client = LiveClient(hub_url, token, self._receive, on_state=self._state, **options)
        self._thread = threading.Thread(target=self.client.run, name="live", daemon=True)

    def start(self) -> "LiveFeed":
        self._thread.start()
        return self

    def _receive(self, event: dict) -> None:  # on the live thread
        self._events.put(("event", event))
        self._arrived.emit()

    def _state(self, state: str) -> None:  # on the live thread
        self._events.put(("state", state))
        self._arrived.emit()

    def _deliver(self) -> None:
        while True:
            try:
                what, value = self._events.get_nowait()
            except queue.Empty:
                return
            (self.event_arrived if what == "event" else self.state_changed).emit(value)

    def stop(self) -> None:
        self.client.close()
        self._thread.join(timeout=10)


def describe(state: str) -> str:
    """The live channel's state, for the status bar's tooltip."""
    return {"connecting": "Live line: connecting…", "live": "Live line: connected",
            "offline": "Live line: hub out of reach, retrying (work as usual: Ctrl+N)",
            "signed_out": "Live line: waiting for the hub sign-in", "stopped": "Live line: off"}.get(state, state)


def publish_message(hub_url: str, token: str | None, text: str) -> dict:
    """POST /v1/message as a supervisor (on a thread of the caller's: it waits on the network)."""
    from console.sync.tokens import device_client

    with device_client(hub_url, token, timeout=10) as client:
        return client.publish_message(text)
