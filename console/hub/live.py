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
blocks: each subscriber has a bounded queue (SUBSCRIBER_QUEUE frames); one
that falls that far behind is disconnected, and its reconnection replays.

The channel lives in the hub process: with `hub serve --workers N`, an event
reaches only the streams that worker holds. Run the hub with one worker (the
default) for the live channel.
"""

import asyncio
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

    def publish(self, operator: str | None, event: dict) -> str:
        """Send `event` to `operator`'s streams (None: to every stream); its id.
        ValueError with a sentence when the event is not well formed."""
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
