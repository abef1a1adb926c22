"""A small durable relay for CTI events, run beside the PBX (or Kamailio):
it accepts each event on 127.0.0.1, keeps it in a local SQLite file before
answering, and posts it on to the hub, retrying until the hub answers.

    python -m console.telephony_relay --to https://hub.example/v1/cti/TOKEN \\
        --queue /var/lib/helpline-relay/queue.db [--listen 127.0.0.1:8099]

Point the PBX (or kamailio.cfg's @CTI_URL@) at http://127.0.0.1:8099/ instead
of the hub. An event the relay answered 202 is on disk (WAL, synchronous=FULL:
it survives kill -9 and a power cut) and is posted, oldest first, until the hub
answers 2xx (stored, or a repeat it already holds) or 4xx (refused: the hub's
status is logged, never the event, which may hold a caller's number). Anything
else (the hub down, restarting, 503) is retried, waiting 0.1 s doubling to
10 s. The hub stores each (PBX, callId, event) once, so a post retried after
a lost answer is never counted twice. The relay cannot pass on the hub's
`reject` for a blocked number: it answers before the hub has seen the event.

It depends on the standard library and httpx only: no Qt, no hub stack.
"""

import argparse
import json
import logging
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger("console.telephony_relay")

MAX_EVENT_BYTES = 64 * 1024
FIRST_WAIT, LAST_WAIT = 0.1, 10.0


class Queue:
    """Events on disk, oldest first; one connection per thread."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._local = threading.local()
        self.arrived = threading.Event()
        with self._connection() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "content_type TEXT NOT NULL, body BLOB NOT NULL)")
        self.path.chmod(0o600)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            self._local.conn = conn
        return conn

    def put(self, content_type: str, body: bytes) -> None:
        with self._connection() as conn:  # committed when the block ends
            conn.execute("INSERT INTO events (content_type, body) VALUES (?, ?)", [content_type, body])
        self.arrived.set()

    def oldest(self):
        return self._connection().execute("SELECT seq, content_type, body FROM events ORDER BY seq LIMIT 1").fetchone()

    def done(self, seq: int) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM events WHERE seq = ?", [seq])

    def size(self) -> int:
        return self._connection().execute("SELECT count(*) FROM events").fetchone()[0]


def deliver(queue: Queue, to: str, stop: threading.Event) -> None:
    """Post the queued events to `to`, oldest first, until `stop` is set."""
    import httpx

    wait = FIRST_WAIT
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            row = queue.oldest()
            if row is None:
                queue.arrived.wait(1.0)
                queue.arrived.clear()
                continue
            seq, content_type, body = row
            try:
                status = client.post(to, content=body, headers={"Content-Type": content_type}).status_code
            except httpx.HTTPError as exc:
                status = None
                reason = type(exc).__name__
            if status is not None and 200 <= status < 500:
                queue.done(seq)
                if status < 300:
                    log.info("delivered %s, %d queued", status, queue.size())
                else:
                    log.warning("refused by the hub: %s, %d queued", status, queue.size())
                wait = FIRST_WAIT
                continue
            log.warning("hub not answering (%s); retrying in %.1f s", status or reason, wait)
            stop.wait(wait)
            wait = min(wait * 2, LAST_WAIT)


def make_server(queue: Queue, host: str, port: int) -> ThreadingHTTPServer:
    class Accept(BaseHTTPRequestHandler):
        def do_POST(self):
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_EVENT_BYTES:
                return self._answer(413 if length.isdigit() else 411,
                                    f"An event is sent with a Content-Length of at most {MAX_EVENT_BYTES} bytes.")
            body = self.rfile.read(int(length))
            queue.put(self.headers.get("Content-Type", "application/json"), body)
            self._answer(202, None)

        def _answer(self, status: int, error: str | None) -> None:
            data = json.dumps({"error": error} if error else {"queued": True}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # the request line holds nothing useful; events are not logged
            pass

    return ThreadingHTTPServer((host, port), Accept)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.telephony_relay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--to", required=True, help="the hub's CTI address (hub telephony add-pbx printed it)")
    parser.add_argument("--queue", required=True, help="the queue file (SQLite), created owner-only")
    parser.add_argument("--listen", default="127.0.0.1:8099", help="address:port to accept events on")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    if not args.to.startswith(("https://", "http://")):
        print(f"--to must be the hub's https:// address, not {args.to[:60]!r}.", file=sys.stderr)
        return 2
    host, _, port = args.listen.rpartition(":")
    if not port.isdigit():
        print(f"--listen must be address:port, not {args.listen!r}.", file=sys.stderr)
        return 2
    queue = Queue(Path(args.queue))
    server = make_server(queue, host, int(port))
    stop = threading.Event()
    sender = threading.Thread(target=deliver, args=(queue, args.to, stop), daemon=True)
    sender.start()
    log.info("relay listening on %s:%s, %d events queued", host, server.server_address[1], queue.size())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        queue.arrived.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
