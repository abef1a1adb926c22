"""The live channel, hub → workstation: what the line and the supervisors say
now, pushed to each signed-in operator's window as server-sent events.

    GET  /v1/live       any session: a text/event-stream of the events meant
                        for that session's operator, and of those meant for
                        every operator (the live message). Sent within
                        milliseconds of `publish`; a comment line every
                        KEEPALIVE_SECONDS keeps proxies from closing it (and
                        re-checks the session: a revoked token ends it).
    POST /v1/message    supervisors: {"text"} publishes the next version of
                        "what we know now" (stored, audited, fed at sync, and
                        broadcast here); answers the message.
    GET  /v1/message    any session: the message in force, or 404.

Each event is an SSE frame `id: <epoch>-<seq>`, `event: <type>`, `data:
<JSON>`. A client that reconnects sends the last id it saw as Last-Event-ID
and gets what it missed, replayed from the last REPLAY_EVENTS events (its
operator's for REPLAY_SECONDS, broadcasts all): nothing is sent twice, no
gap is left. When it cannot be replayed (the hub restarted, or too much
happened meanwhile) the stream starts with the message in force instead.

Events (console/core/live.py checks their shape, here and on the workstation):

    {"type": "answer", "callId", "from", "queue", "waitSeconds", "answeredAt"}
        the PBX says this operator answered a call: the window opens it
        (screen pop), the clock started at answeredAt, `from` shown as
        "calling from" and never used to verify anyone.
    {"type": "hangup", "callId", "cause", "hungUpBy", "talkSeconds"?, "at"?}
        that call ended (cause: Zammad's normalClearing, busy, cancel,
        noAnswer, congestion, notFound, forwarded; hungUpBy: "caller",
        "operator" or null).
    {"type": "message", "version", "text", "author", "publishedAt"}
        the live message, to everyone (published by POST /v1/message).

The telephony endpoint (console/hub/telephony.py) calls, once it has mapped
an `answer` or `hangup` to an operator:

    from console.hub import live
    live.publish("op-1", {"type": "answer", "callId": "1234-abc", "from": "+6421555123",
                          "queue": "breach", "waitSeconds": 42.0,
                          "answeredAt": "2026-12-04T16:30:05.120+00:00"})

`publish` is thread-safe (sync routes run on worker threads) and never
waits for a stream: each subscriber has a bounded queue (SUBSCRIBER_QUEUE
frames); one that falls that far behind is disconnected, and its
reconnection replays. On PostgreSQL it also makes one NOTIFY round trip to
the database (below).

Beyond one process (`hub serve --workers N`, or several hubs behind a load
balancer): on PostgreSQL every event is also sent with NOTIFY on a channel
named after the hub's schema, and each hub process LISTENs on it (Bridge,
started by `hub serve`), so a stream held by any process gets the events
published in any other, within milliseconds. A process's own notifications
are recognised by its epoch and not delivered twice. On SQLite there is no
such channel: an event reaches only the streams of the process that published
it, so a SQLite hub serves the live channel with one worker (the default;
`hub serve` says so when given more).
"""

import asyncio
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import deque
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import Field

from console.core.live import MESSAGE_MAX_CHARS, event_problem, message_problem
from console.core.timeutil import now, utc_text
from console.hub import sessions
from console.hub.app import (Database, Refusal, RequestBody, Session, Supervisor, _errors, bearer, request_body,
                             signed_parts)
from console.hub.changes import append_change
from console.sync.protocol import API

log = logging.getLogger("console.hub.live")

KEEPALIVE_SECONDS = 15.0  # well inside nginx's proxy_read_timeout (README)
SUBSCRIBER_QUEUE = 256
REPLAY_EVENTS = 1000
REPLAY_SECONDS = 120.0  # an operator's answer older than this is not popped on a reconnection
NOTIFY_MAX_BYTES = 8000  # PostgreSQL's limit on a NOTIFY payload
NOTIFY_POLL_SECONDS = 1.0  # how often the listening thread looks up to see whether it should stop
BRIDGE_RETRY_SECONDS = 2.0
RETRY_MS = 2000  # the reconnection delay an EventSource would use; the console's client has its own backoff


class Subscriber:
    """One open stream: its operator, its event loop, and the frames waiting for it."""

    def __init__(self, operator: str, loop: asyncio.AbstractEventLoop):
        self.operator = operator
        self.loop = loop
        self.frames: deque[bytes] = deque()
        self.lock = threading.Lock()
        self.wake = asyncio.Event()
        self.overflowed = False

    def offer(self, frame: bytes) -> None:
        with self.lock:
            if len(self.frames) >= SUBSCRIBER_QUEUE:
                self.overflowed = True  # the stream ends; the client's reconnection replays
            else:
                self.frames.append(frame)
        try:
            self.loop.call_soon_threadsafe(self.wake.set)
        except RuntimeError:  # its loop has closed: the stream is gone
            pass

    async def next_frames(self, timeout: float) -> list[bytes]:
        """The frames waiting, after waiting up to `timeout` for one; [] on a quiet timeout."""
        try:
            await asyncio.wait_for(self.wake.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        self.wake.clear()
        with self.lock:
            frames = list(self.frames)
            self.frames.clear()
        return frames


def frame(event_id: str, event: dict | None) -> bytes:
    """One SSE frame; with no event, the id alone (which moves the client's Last-Event-ID)."""
    if event is None:
        return f"id: {event_id}\n\n".encode()
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event_id}\nevent: {event['type']}\ndata: {data}\n\n".encode("utf-8")


class LiveChannel:
    """Per-operator publish/subscribe in this process, with a replay ring."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._recent: deque = deque(maxlen=REPLAY_EVENTS)  # (seq, operator or None, monotonic time, frame)
        self._seq = 0
        self.epoch = secrets.token_hex(4)  # ids of another hub process are not replayed from here
        self.bridge: "Bridge | None" = None  # the other hub processes (PostgreSQL), when `hub serve` started one

    def publish(self, operator: str | None, event: dict) -> str:
        """Send `event` to `operator`'s streams (None: to every stream), and to
        the other hub processes' through the bridge; its id. ValueError with a
        sentence when the event is not well formed."""
        event_id = self.deliver(operator, event)
        bridge = self.bridge
        if bridge is not None:
            bridge.send(operator, event)
        return event_id

    def deliver(self, operator: str | None, event: dict) -> str:
        """Send `event` to the streams this process holds; its id here."""
        problem = event_problem(event)
        if problem:
            raise ValueError(problem)
        with self._lock:
            self._seq += 1
            event_id = f"{self.epoch}-{self._seq}"
            data = frame(event_id, event)
            self._recent.append((self._seq, operator, time.monotonic(), data))
            if operator is None:
                targets = [s for group in self._subscribers.values() for s in group]
            else:
                targets = list(self._subscribers.get(operator, ()))
        for subscriber in targets:
            subscriber.offer(data)
        return event_id

    def subscribe(self, operator: str, last_event_id: str | None) -> tuple[Subscriber, list[bytes] | None, str]:
        """A new subscriber, the frames it missed since `last_event_id` (None
        when they cannot be replayed), and the id of the newest event now."""
        subscriber = Subscriber(operator, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.setdefault(operator, set()).add(subscriber)
            replay = self._missed(operator, last_event_id)
            return subscriber, replay, f"{self.epoch}-{self._seq}"

    def _missed(self, operator: str, last_event_id: str | None) -> list[bytes] | None:
        epoch, _, seq = (last_event_id or "").strip().partition("-")
        if epoch != self.epoch or not seq.isdigit() or int(seq) > self._seq:
            return None
        after = int(seq)
        oldest = self._recent[0][0] if self._recent else self._seq + 1
        if after < oldest - 1:
            return None  # some of what it missed has left the ring
        fresh_after = time.monotonic() - REPLAY_SECONDS
        return [data for seq, audience, at, data in self._recent
                if seq > after and (audience is None or (audience == operator and at >= fresh_after))]

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            group = self._subscribers.get(subscriber.operator)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self._subscribers[subscriber.operator]

    def listening(self, operator: str) -> int:
        """How many streams `operator` has open now."""
        with self._lock:
            return len(self._subscribers.get(operator, ()))


channel = LiveChannel()


class Bridge:
    """The live channel between hub processes on one PostgreSQL database:
    `send` NOTIFYs each event published here; a thread LISTENs on its own
    connection and delivers the others' events to this process's streams
    (reconnecting after BRIDGE_RETRY_SECONDS when the database drops it).

    A notification says {"origin": epoch, "to": operator or null, "event"};
    one that does not parse or is not a live event is skipped with a log line
    that never quotes it. An event published while a process's listening
    connection is down does not reach that process's streams: a workstation's
    next sync brings the live message, and an answer is only worth its pop
    while it is fresh."""

    def __init__(self, db, live_channel: LiveChannel):
        self.db = db
        self.channel = live_channel
        self._stop = threading.Event()
        self.listening = threading.Event()
        self._sending = threading.Lock()
        self._sender = None
        with db.read() as tx:
            schema = tx.one("SELECT current_schema()")[0]
        # NOTIFY channels are per database; hubs on other schemas of it have their own
        self.name = "helpline_live_" + hashlib.sha256(schema.encode("utf-8")).hexdigest()[:16]
        self._thread = threading.Thread(target=self._listen, name="live-bridge", daemon=True)

    def start(self) -> "Bridge":
        self._thread.start()
        self.channel.bridge = self
        return self

    def stop(self) -> None:
        if self.channel.bridge is self:
            self.channel.bridge = None
        self._stop.set()
        self._thread.join(timeout=BRIDGE_RETRY_SECONDS + NOTIFY_POLL_SECONDS + 5)
        with self._sending:
            if self._sender is not None:
                self._sender.close()
                self._sender = None

    def send(self, operator: str | None, event: dict) -> None:
        payload = json.dumps({"origin": self.channel.epoch, "to": operator, "event": event}, ensure_ascii=False,
                             separators=(",", ":"))
        if len(payload.encode("utf-8")) >= NOTIFY_MAX_BYTES:
            log.warning("live: a %s event too large for the other hub processes was sent to this one's only",
                        event.get("type"))
            return
        import psycopg

        with self._sending:  # a connection of its own, autocommit: no write lock is taken for a NOTIFY
            for attempt in (1, 2):  # a connection the database dropped while idle is replaced once
                try:
                    if self._sender is None or self._sender.closed:
                        self._sender = psycopg.connect(self.db.url, autocommit=True, connect_timeout=10)
                    self._sender.execute("SELECT pg_notify(%s, %s)", [self.name, payload])
                    return
                except psycopg.Error as exc:
                    if self._sender is not None:
                        self._sender.close()
                    self._sender = None
                    if attempt == 2:  # this process's streams had the event all the same
                        log.warning("live: an event did not reach the other hub processes (%s)", type(exc).__name__)

    def received(self, payload: str) -> None:
        try:
            note = json.loads(payload)
            origin, operator, event = note["origin"], note["to"], note["event"]
        except (ValueError, KeyError, TypeError):
            log.warning("live: a notification that is not a live event (%s characters) was skipped", len(payload))
            return
        if origin == self.channel.epoch:
            return  # published here, and delivered here already
        if operator is not None and not isinstance(operator, str):
            log.warning("live: a notification for no operator was skipped")
            return
        try:
            self.channel.deliver(operator, event)
        except ValueError as exc:
            log.warning("live: a notification was skipped: %s", exc)

    def _listen(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.db.url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f'LISTEN "{self.name}"')
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=NOTIFY_POLL_SECONDS):
                            self.received(note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                if not self._stop.is_set():
                    log.warning("live: the other hub processes' events are not heard (%s); listening again "
                                "in %s s", type(exc).__name__, BRIDGE_RETRY_SECONDS)
                    self._stop.wait(BRIDGE_RETRY_SECONDS)


def bridge_processes(db) -> Bridge | None:
    """Join this process's live channel to the other hub processes' on `db`
    (PostgreSQL; None on SQLite, where there is none); stop() it at shutdown."""
    if getattr(db, "backend", None) != "postgresql":
        return None
    return Bridge(db, channel).start()


def publish(operator: str, event: dict) -> str:
    """Send one event to every stream `operator` has open (see the module's docstring); its id."""
    return channel.publish(operator, event)


def broadcast(event: dict) -> str:
    """Send one event to every open stream."""
    return channel.publish(None, event)


# the live message


def _message_event(tx, row) -> dict:
    """A live_messages row as its event, its text opened (sealed: console/hub/sealing.py)."""
    version, text, author, published_at = row
    return {"type": "message", "version": int(version), "text": tx.open("live_messages", version, "text", text),
            "author": author, "publishedAt": published_at}


def _latest_message(tx) -> dict | None:
    row = tx.one("SELECT version, text, author, published_at FROM live_messages ORDER BY version DESC LIMIT 1")
    return _message_event(tx, row) if row else None


def current_message(db) -> dict | None:
    """The live message in force, as its event, or None."""
    with db.read() as tx:
        return _latest_message(tx)


def publish_message(db, text: str, author: str) -> dict:
    """Store the next version of the live message, feed it, and broadcast it; its event."""
    problem = message_problem(text)
    if problem:
        raise ValueError(problem)
    text = text.strip()
    with db.write() as tx:
        version = tx.value("INSERT INTO live_messages (text, author, published_at) VALUES (?, ?, ?) "
                           "RETURNING version", ["", author, utc_text(now())])
        # sealed once the row has its version, which its associated data names
        tx.execute("UPDATE live_messages SET text = ? WHERE version = ?",
                   [tx.seal("live_messages", version, "text", text), version])
        event = _latest_message(tx)
        append_change(tx, "message", str(event["version"]), event)
    log.info("audit: live message version %s published by %s (%s characters)", event["version"], author, len(text))
    broadcast(event)
    return event


# routes

router = APIRouter(prefix=API)


class MessageForm(RequestBody):
    text: Annotated[str, Field(min_length=1, max_length=MESSAGE_MAX_CHARS)]


@router.post("/message", summary="Publish the next version of the live message, \"what we know now\" "
                                 "(supervisors).", responses=_errors(400, 401, 403))
def post_message(form: MessageForm, session: Supervisor, db: Database) -> dict:
    try:
        return publish_message(db, form.text, session.operator_id)
    except ValueError as exc:
        raise Refusal(400, str(exc)) from None


@router.get("/message", summary="The live message in force.", responses=_errors(401, 404))
def get_message(session: Session, db: Database) -> dict:
    message = current_message(db)
    if message is None:
        raise Refusal(404, "No live message has been published on this hub yet.")
    return message


@router.get("/live", summary="This operator's live events, as server-sent events (text/event-stream).",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}, **_errors(401)})
async def live_events(request: Request, session: Session, db: Database,
                      body: Annotated[bytes, Depends(request_body)],
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                      last_event_id: Annotated[str | None, Header(max_length=100)] = None) -> StreamingResponse:
    subscriber, replay, newest = channel.subscribe(session.operator_id, last_event_id)
    try:
        first = replay if replay is not None else [frame(newest, await asyncio.to_thread(current_message, db))]
    except BaseException:
        channel.unsubscribe(subscriber)
        raise
    token = credentials.credentials
    signed = signed_parts(request, body)  # the stream's own request, as signed: the session is checked again by it

    async def stream():
        try:
            yield f"retry: {RETRY_MS}\n: live events for {session.operator_id}\n\n".encode()
            if first:
                yield b"".join(first)
            while not subscriber.overflowed:
                frames = await subscriber.next_frames(KEEPALIVE_SECONDS)
                if subscriber.overflowed:
                    break
                if frames:
                    yield b"".join(frames)
                    continue
                if isinstance(await asyncio.to_thread(sessions.session_for, db, token, signed), str):
                    break  # signed out, expired or disabled: the client signs in again
                yield b": keep-alive\n\n"
        finally:
            channel.unsubscribe(subscriber)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
