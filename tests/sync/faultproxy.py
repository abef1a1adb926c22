"""A TCP proxy on 127.0.0.1 that misbehaves on request, between a
workstation and the hub: it refuses connections, drops a connection after the
hub has answered (the request was processed, the answer never arrives), holds
the answer past the client's timeout, or holds it until the proxy closes.
Events say when a workstation has connected and when an answer is held, so a
test acts at that moment instead of after a guessed time."""

import socket
import threading

MODES = ("pass", "refuse", "drop_after_processing", "slow", "hold")


class FaultProxy:
    def __init__(self, upstream_port: int, slow_seconds: float = 2.0):
        self.upstream_port = upstream_port
        self.slow_seconds = slow_seconds
        self.mode = "pass"
        self.faults = 0  # how many times a fault was applied
        self.connected = threading.Event()  # a workstation has opened a connection
        self.refused = threading.Event()  # "refuse" has reset a connection
        self.held = threading.Event()  # "hold" has kept an answer from the workstation
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closing = False
        self._closed = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        assert mode in MODES
        self.mode = mode
        if mode != "pass":
            self.cut_all()  # kept-alive connections see the fault too

    def cut_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            _close(s)

    def close(self) -> None:
        self._closing = True
        self._closed.set()
        _close(self._listener)
        self.cut_all()

    def _track(self, *sockets) -> None:
        with self._lock:
            self._sockets.update(sockets)

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connected.set()
            if self.mode == "refuse":
                self.faults += 1
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                _close(client)  # a reset, as from a host that is down
                self.refused.set()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                _close(client)  # the hub itself is down: the workstation sees its connection dropped
                continue
            upstream.settimeout(None)
            self._track(client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source, target, answers: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if answers and self.mode == "drop_after_processing":
                    self.faults += 1
                    break  # the hub has done the work; its answer is lost
                if answers and self.mode == "slow":
                    self.faults += 1
                    self._closed.wait(self.slow_seconds)
                if answers and self.mode == "hold":
                    self.faults += 1
                    self.held.set()
                    self._closed.wait()
                    break  # the hub has done the work; its answer never leaves the proxy
                target.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
