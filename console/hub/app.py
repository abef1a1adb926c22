"""The hub's HTTP API (console/sync/protocol.py), as a FastAPI application.

`create_app` is the factory uvicorn calls in every worker process: it reads
where the database is from the environment (`HELPLINE_HUB_DATA` or
`HELPLINE_HUB_DATABASE_URL`, set by `helpline-console hub serve`), so any
number of workers, on any number of machines, serve the same state.

Every refusal is JSON `{"error": "one sentence"}` with a 4xx status: FastAPI's
own validation and HTTP errors are rewritten into a sentence naming the field,
bodies over MAX_BODY_BYTES get 413 whether or not they declare their length,
and an unexpected failure is logged as its type and place only (never a
request's contents) and answered with a 500 that says nothing more.
"""

import asyncio
import json
import logging
import os
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from console import __version__
from console.core.roles import ROLES
from console.core.timeutil import TimeFormatError, now, parse_instant, utc_text
from console.core.clock import SERVER_TIME_HEADER
from console.core.device_proof import CHALLENGE_HEADER, SIGNATURE_HEADER, WORKSTATION_HEADER
from console.hub import (accounts, anchors, changes, downloads, push, registers, reports, sessions, telephony,
                         workstations)
from console.hub.storage import DatabaseUnavailable, open_database
from console.logs import crash_summary
from console.sync.protocol import (
    API,
    DEFAULT_CHANGES_LIMIT,
    ITEM_KINDS,
    ITEM_STATUSES,
    MAX_BODY_BYTES,
    MAX_CHANGES_LIMIT,
    MAX_CHUNK_BYTES,
    PROTOCOL_VERSION,
)

log = logging.getLogger("console.hub")

DATA_ENV = "HELPLINE_HUB_DATA"
DATABASE_URL_ENV = "HELPLINE_HUB_DATABASE_URL"
KEY_FILE_ENV = "HELPLINE_HUB_KEY_FILE"  # how `hub serve` tells its workers its --key-file
PUSHES_PER_MINUTE_ENV = "HELPLINE_HUB_PUSHES_PER_MINUTE"  # … and its --pushes-per-minute
DATABASE_WAIT_ENV = "HELPLINE_HUB_DATABASE_WAIT"  # … and its --database-wait
LARGEST = push.LARGEST_INTEGER
AUDIT_LIMIT, MAX_AUDIT_LIMIT = 1000, 10_000
WORKSTATION_ID = workstations.WORKSTATION_ID


class Refusal(Exception):
    """A request refused with a status and one sentence."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _refusal_response(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


# text the databases cannot hold

MAX_NESTING = 16  # a push nests six levels deep at most; deeper is refused before anything recurses into it


def _printable(text: str) -> str:
    """Text safe to quote back in a JSON error (a lone surrogate shown as its escape)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _unstorable(text: str) -> bool:
    """PostgreSQL text holds no NUL character, and no database a lone surrogate
    (a "\\ud800" escape): neither is anything a workstation sends."""
    return "\x00" in text or _printable(text) != text


def _refuse_unstorable(value, where: str = "", depth: int = 0) -> None:
    """ValueError with a sentence when decoded JSON holds unstorable text or nests too deeply."""
    name = f"The field {where}" if where else "The request body"
    if depth > MAX_NESTING:
        raise ValueError(f"{name} nests more than {MAX_NESTING} levels deep.")
    if isinstance(value, str):
        if _unstorable(value):
            raise ValueError(f"{name} holds text that is not storable (a NUL character or a lone surrogate "
                             "escape such as \\ud800).")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{_printable(str(key))}" if where else _printable(str(key))
            _refuse_unstorable(key, path, depth + 1)
            _refuse_unstorable(item, path, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_unstorable(item, f"{where}[{index}]", depth + 1)


def _storable(value):
    if value is not None and _unstorable(value):
        raise ValueError("it holds a NUL character or a lone surrogate, which are not accepted")
    return value


QueryText = Annotated[str | None, AfterValidator(_storable)]


class RequestBody(BaseModel):
    """Unknown fields and loosely typed values ("5" for 5) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unstorable_text(cls, data):
        _refuse_unstorable(data)
        return data


class SignIn(RequestBody):
    operator_id: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    workstation: Annotated[str, Field(pattern=WORKSTATION_ID)]


class PasswordChange(RequestBody):
    current_password: Annotated[str, Field(min_length=1, max_length=1024)]
    new_password: Annotated[str, Field(min_length=1, max_length=1024)]


class Enrolment(RequestBody):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    public_key: Annotated[str, Field(min_length=1, max_length=128)]


class Enrolled(BaseModel):
    workstation: str
    enrolled_at: str  # its first enrolment (ISO 8601 UTC): it records nothing dated before


class Challenge(BaseModel):
    challenge: str


class SignedIn(BaseModel):
    token: str
    operator_id: str
    role: str
    expires_at: str


class PushItem(RequestBody):
    kind: Literal[ITEM_KINDS]
    id: Annotated[str, Field(min_length=1, max_length=200)]  # longer than an id may be: refused as an item
    body: dict[str, Any]


class AuditHead(RequestBody):
    seq: Annotated[int, Field(ge=0, le=LARGEST)]
    hash: Annotated[str, Field(min_length=1, max_length=128)]


class PushRequest(RequestBody):
    workstation: Annotated[str, Field(pattern=WORKSTATION_ID)]
    items: list[PushItem]
    audit_head: AuditHead | None = None


class ItemResult(BaseModel):
    kind: str
    id: str
    status: Literal[ITEM_STATUSES]
    message: str | None = None


class PushReply(BaseModel):
    results: list[ItemResult]
    audit_alert: str | None


class Change(BaseModel):
    seq: int
    kind: str
    id: str
    body: dict[str, Any]


class ChangesPage(BaseModel):
    changes: list[Change]
    cursor: int
    more: bool


class RegisterEntry(BaseModel):
    seq: int
    register_version: str
    sha256: str
    size: int
    digest: str
    persons: int
    documents: int
    imported_at: str
    delta_from: int | None = None  # the register the delta below starts from
    delta_sha256: str | None = None
    delta_size: int | None = None


class Error(BaseModel):
    error: str


def _errors(*codes: int) -> dict:
    return {code: {"model": Error} for code in codes}


# dependencies


def database(request: Request):
    return request.app.state.db


Database = Annotated[Any, Depends(database)]


bearer = HTTPBearer(auto_error=False, description="The token POST /v1/sessions returned.")


async def request_body(request: Request) -> bytes:
    return await request.body()


def signed_parts(request: Request, body: bytes) -> tuple[str, str, str, bytes] | None:
    """The request as its workstation signed it (sessions.session_for's `signed`), or None when unsigned."""
    signature = request.headers.get(SIGNATURE_HEADER)
    # the path and query as sent (percent-encoded), which is what the workstation signed
    path = request.scope.get("raw_path") or request.url.path.encode("utf-8")
    query = request.scope.get("query_string") or b""
    target = (path + (b"?" + query if query else b"")).decode("latin-1")
    return (signature, request.method, target, body) if signature else None


def signed_in(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
              body: Annotated[bytes, Depends(request_body)], db: Database) -> sessions.Session:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise Refusal(401, f"This needs a session: sign in with POST {API}/sessions and send the token as "
                           "Authorization: Bearer <token>.", challenge)
    found = sessions.session_for(db, credentials.credentials, signed_parts(request, body))
    if isinstance(found, str):
        raise Refusal(401, found, challenge)
    return found


def supervisor(session: Annotated[sessions.Session, Depends(signed_in)]) -> sessions.Session:
    if ROLES.index(session.role) < ROLES.index("supervisor"):
        raise Refusal(403, f"Only a supervisor or an admin may read this; {session.operator_id} is an {session.role}.")
    return session


Session = Annotated[sessions.Session, Depends(signed_in)]
Supervisor = Annotated[sessions.Session, Depends(supervisor)]


def _instant(text: str | None, name: str):
    if text is None:
        return None
    try:
        return parse_instant(text, name)
    except TimeFormatError as exc:
        raise Refusal(400, f"{exc}.") from None


# routes

router = APIRouter(prefix=API)


@router.get("/health", summary="Whether the hub and its database answer (no token needed).")
def health(db: Database) -> dict:
    with db.read() as tx:
        tx.value("SELECT 1")
    return {"ok": True, "version": __version__, "protocol": PROTOCOL_VERSION}


@router.post("/workstations", status_code=200, summary="Enrol this workstation with an administrator's one-time "
                                                     "code and its Ed25519 public key; the hub names it.",
             responses=_errors(400, 403))
def enrol_workstation(form: Enrolment, db: Database) -> Enrolled:
    try:
        enrolled = workstations.enrol(db, form.code, form.public_key)
    except workstations.WorkstationRefused as refused:
        raise Refusal(refused.status, str(refused)) from None
    log.info("workstation enrolled: %s", enrolled["workstation"])
    return Enrolled(**enrolled)


def _device(request: Request) -> str:
    device = request.headers.get(WORKSTATION_HEADER, "")
    if not device:
        raise Refusal(403, f"Only an enrolled workstation signs in: it sends its id as {WORKSTATION_HEADER} (an "
                           "administrator enrols it with `hub workstations enrol`).")
    return device[:64]


@router.post("/sessions/challenge", summary="A one-time challenge the enrolled workstation signs to sign in.",
             responses=_errors(403))
def sign_in_challenge(request: Request, db: Database) -> Challenge:
    try:
        return Challenge(challenge=workstations.new_challenge(db, _device(request)))
    except workstations.WorkstationRefused as refused:
        raise Refusal(refused.status, str(refused)) from None


@router.post("/sessions", summary="Sign in: a token for this operator on this enrolled workstation.",
             responses=_errors(400, 401, 403, 429))
def sign_in(request: Request, form: SignIn, body: Annotated[bytes, Depends(request_body)],
            db: Database) -> SignedIn:
    address = request.client.host if request.client else "unknown"
    device = _device(request)
    try:
        sessions.check_device(db, device, request.headers.get(CHALLENGE_HEADER, ""),
                              request.headers.get(SIGNATURE_HEADER, ""), body)
        signed = sessions.sign_in(db, form.operator_id, form.password, form.workstation, address, device)
    except sessions.SignInRefused as refused:
        # a refused id is not logged: people type passwords into id fields
        log.info("sign-in refused (%s) on %s", refused.status, device)
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        raise Refusal(refused.status, str(refused), headers) from None
    log.info("signed in: %s (%s) on %s", signed["operator_id"], signed["role"], device)
    return SignedIn(**signed)


@router.delete("/sessions", status_code=204, summary="Sign out: end this token's session.",
               responses=_errors(401))
def sign_out(session: Session, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
             db: Database) -> Response:
    sessions.end_session(db, credentials.credentials, session)
    log.info("signed out: %s on %s", session.operator_id, session.device)
    return Response(status_code=204)


@router.post("/password", status_code=204, summary="Change the signed-in operator's own password (every session "
             "of the account ends; sign in again with the new one).", responses=_errors(400, 401))
def change_password(form: PasswordChange, session: Session, db: Database) -> Response:
    try:
        accounts.change_password(db, session.operator_id, form.current_password, form.new_password)
    except accounts.AccountError as exc:
        raise Refusal(400, str(exc)) from None
    return Response(status_code=204)


@router.post("/push", summary="Store a workstation's calls, callbacks, attempts, unlocks and audit entries.",
             responses=_errors(400, 401, 403, 413, 429), response_model_exclude_unset=True)
def push_items(form: PushRequest, session: Session, db: Database, request: Request) -> PushReply:
    try:
        reply = push.push(db, session, form.workstation, [item.model_dump() for item in form.items],
                          form.audit_head.model_dump() if form.audit_head else None,
                          request.app.state.pushes_per_minute)
    except push.PushRefused as refused:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        raise Refusal(refused.status, str(refused), headers) from None
    return PushReply(**reply)


@router.get("/changes", summary="The change feed after a cursor.", responses=_errors(400, 401))
def list_changes(session: Session, db: Database,
                 after: Annotated[int, Query(ge=0, le=LARGEST)] = 0,
                 limit: Annotated[int, Query(ge=1, le=MAX_CHANGES_LIMIT)] = DEFAULT_CHANGES_LIMIT) -> ChangesPage:
    return ChangesPage(**changes.changes_after(db, after, limit, session))


@router.get("/register", summary="The register in service.", responses=_errors(401, 404))
def register_in_service(session: Session, db: Database) -> RegisterEntry:
    entry = registers.latest_register(db)
    if entry is None:
        raise Refusal(404, "No register has been imported on this hub yet; an administrator imports one with "
                           "helpline-console hub import-register.")
    return RegisterEntry(**entry)


@router.get("/register/{seq}/snapshot", summary="A slice of a register's snapshot (a .zip); a workstation takes "
                                               "one register's a day unless an administrator signs in on it.",
            response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}, **_errors(400, 401, 403, 404, 410, 416)})
def register_snapshot(seq: Annotated[int, Path(ge=1, le=LARGEST)], session: Session, db: Database,
                      offset: Annotated[int, Query(ge=0, le=LARGEST)] = 0,
                      length: Annotated[int, Query(ge=1, le=MAX_CHUNK_BYTES)] = MAX_CHUNK_BYTES) -> Response:
    entry = registers.register_entry(db, seq)
    if entry is None:
        raise Refusal(404, f"There is no register {seq} on this hub; GET {API}/register names the one in service.")
    refused = downloads.refusal(db, session, seq)
    if refused:
        raise Refusal(*refused)
    if offset >= entry["size"]:
        raise Refusal(416, f"offset {offset} is at or past the end of register {seq}'s snapshot, which has "
                           f"{entry['size']} bytes.", {"Content-Range": f"bytes */{entry['size']}"})
    data = db.snapshot_slice(seq, offset, length)
    downloads.record_download(db, session, seq, "snapshot", offset, len(data))
    if offset + len(data) >= entry["size"]:  # this workstation now holds it, and no longer the one before
        downloads.retire_snapshots(db)
    return Response(data, media_type="application/octet-stream")


@router.get("/register/{seq}/delta", summary="A slice of a register's changes since the one before it (a .zip).",
            response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}, **_errors(400, 401, 404, 416)})
def register_delta(seq: Annotated[int, Path(ge=1, le=LARGEST)], session: Session, db: Database,
                   offset: Annotated[int, Query(ge=0, le=LARGEST)] = 0,
                   length: Annotated[int, Query(ge=1, le=MAX_CHUNK_BYTES)] = MAX_CHUNK_BYTES) -> Response:
    entry = registers.register_entry(db, seq)
    if entry is None or not entry["delta_size"]:
        raise Refusal(404, f"There is no delta for register {seq} on this hub; fetch its snapshot instead.")
    if offset >= entry["delta_size"]:
        raise Refusal(416, f"offset {offset} is at or past the end of register {seq}'s delta, which has "
                           f"{entry['delta_size']} bytes.", {"Content-Range": f"bytes */{entry['delta_size']}"})
    data = db.snapshot_slice(seq, offset, length, "delta")
    downloads.record_download(db, session, seq, "delta", offset, len(data))
    if offset + len(data) >= entry["delta_size"]:
        downloads.retire_snapshots(db)
    return Response(data, media_type="application/octet-stream")


@router.get("/stats", summary="cli.md's stats over every workstation's calls (supervisors).",
            responses=_errors(400, 401, 403))
def stats(session: Supervisor, db: Database, since: QueryText = None, until: QueryText = None) -> dict:
    return reports.call_stats(db, _instant(since, "since"), _instant(until, "until"))


@router.get("/dashboard", summary="The supervisor's figures for a helpline day over every workstation's calls "
                                  "(supervisors).", responses=_errors(400, 401, 403))
def dashboard(session: Supervisor, db: Database, day: QueryText = None) -> dict:
    return reports.dashboard(db, _day(day))


def _day(text: str | None):
    from datetime import date

    from console.core.calls import EARLIEST, LATEST

    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Refusal(400, f"The query parameter day must be a date written YYYY-MM-DD, not {text[:40]!r}.") from None
    if not EARLIEST.date() < day < LATEST.date():
        raise Refusal(400, f"The query parameter day must be a day between {EARLIEST.year} and {LATEST.year}, "
                           f"not {day.isoformat()}.")
    return day


@router.post("/cti/{token}", summary="A PBX's call event, in Zammad's generic CTI contract (JSON or form data; "
             "the token in the address is the PBX's secret).", responses=_errors(400, 404, 413, 415))
async def cti_event(token: str, request: Request, db: Database) -> dict:
    from urllib.parse import parse_qs

    from starlette.concurrency import run_in_threadpool

    from console.core.telephony import CtiRefused

    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    try:
        if kind == "application/x-www-form-urlencoded":
            fields = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True,
                                                                        strict_parsing=False).items()}
        elif kind in ("application/json", "text/json", ""):
            fields = json.loads(raw)
        else:
            raise Refusal(415, f"A CTI event is sent as JSON or form data (application/x-www-form-urlencoded), "
                               f"not {kind[:60]}.")
        _refuse_unstorable(fields)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise Refusal(400, "The event could not be read: send a JSON object or form data in UTF-8.") from None
    except ValueError as exc:
        raise Refusal(400, str(exc)) from None

    def store():
        pbx = telephony.pbx_for_token(db, token)
        if pbx is None:
            raise Refusal(404, "No PBX has this address: it was never added, or it was revoked "
                               "(hub telephony add-pbx NAME gives a new one).")
        return telephony.record_event(db, pbx, fields)

    try:
        return await run_in_threadpool(store)
    except CtiRefused as exc:
        raise Refusal(400, str(exc)) from None


@router.get("/queue", summary="The queue's figures for a helpline day, overall, per queue and by hour, with their "
                              "formulas (supervisors).", responses=_errors(400, 401, 403))
def queue(session: Supervisor, db: Database, day: QueryText = None,
          target: Annotated[int, Query(ge=1, le=3600)] = telephony.SERVICE_TARGET_SECONDS) -> dict:
    return telephony.figures_for_day(db, _day(day), target)


@router.get("/missed-callers", summary="Callers whose call ended unanswered, to ring back: one per number per "
                                       "helpline day, newest first (supervisors).", responses=_errors(400, 401, 403))
def missed(session: Supervisor, db: Database, day: QueryText = None,
           limit: Annotated[int, Query(ge=1, le=telephony.MAX_MISSED_LIMIT)] = telephony.MISSED_LIMIT) -> dict:
    return telephony.missed_for_day(db, _day(day), limit=limit)


@router.get("/refused", summary="Items the hub refused from workstations, newest first (supervisors).",
            responses=_errors(400, 401, 403))
def refused(session: Supervisor, db: Database, since: QueryText = None,
            limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_LIMIT)] = AUDIT_LIMIT) -> dict:
    return {"refused": reports.refused_pushes(db, _instant(since, "since"), limit)}


@router.get("/audit", summary="Audit entries of every workstation, oldest first (supervisors).",
            responses=_errors(400, 401, 403))
def audit(session: Supervisor, db: Database, operator: QueryText = None, person: QueryText = None,
          kind: QueryText = None, workstation: QueryText = None, since: QueryText = None,
          until: QueryText = None, limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_LIMIT)] = AUDIT_LIMIT) -> dict:
    return {"entries": reports.audit_entries(
        db, operator=operator, person_id=person, kind=kind, workstation=workstation,
        since=_instant(since, "since"), until=_instant(until, "until"), limit=limit)}


@router.get("/audit/chains", summary="Per workstation: the audit chain's head on the hub, and alerts (supervisors).",
            responses=_errors(401, 403))
def audit_chains(session: Supervisor, db: Database) -> dict:
    return {"chains": reports.audit_chains(db)}


@router.get("/callbacks", summary="Callbacks from every workstation (supervisors).", responses=_errors(400, 401, 403))
def callbacks(session: Supervisor, db: Database,
              which: Literal[reports.CALLBACK_LISTS] = "open") -> dict:
    return {"callbacks": reports.list_callbacks(db, which)}


@router.get("/locked", summary="Persons locked now, with their failed attempts (supervisors).",
            responses=_errors(401, 403))
def locked(session: Supervisor, db: Database) -> dict:
    return {"locked": reports.locked_persons(db)}


# errors as sentences


def _field_name(loc) -> str:
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in ("body", "query", "path", "header", "cookie") else "body"
    name = ""
    for part in parts:
        part = part if isinstance(part, int) else _printable(str(part))
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    if not name:
        return "The request body"
    return {"query": f"The query parameter {name}", "path": f"The path parameter {name}",
            "header": f"The header {name}"}.get(source, f"The field {name}")


def validation_sentence(errors: list[dict]) -> str:
    """One sentence for FastAPI's validation errors, naming the field of the first."""
    error = errors[0]
    kind, loc, message = error.get("type", ""), error.get("loc", ()), error.get("msg", "is invalid")
    field = _field_name(loc)
    if kind == "json_invalid":
        sentence = f"The request body is not valid JSON ({error.get('ctx', {}).get('error', 'cannot be parsed')})."
    elif kind == "missing":
        sentence = "The request needs a JSON body." if field == "The request body" else f"{field} is missing."
    elif kind == "extra_forbidden":
        sentence = f"{field} is not part of this request; remove it."
    elif field == "The request body" and kind in ("model_type", "model_attributes_type", "dict_type"):
        sentence = "The request body must be a JSON object (sent as Content-Type: application/json)."
    elif kind == "value_error":
        sentence = message.removeprefix("Value error, ")
        if field != "The request body" and not sentence.startswith(field):
            sentence = f"{field}: {sentence}"
    else:
        sentence = f"{field}: {message[:1].lower()}{message[1:]}"
    sentence = sentence.removesuffix(".")
    if len(errors) > 1:
        sentence += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in this request)"
    return f"{sentence}."


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return _refusal_response(400, validation_sentence(list(exc.errors())))


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        message = f"There is no {request.url.path} on this hub; the API is under {API}/ (see /openapi.json)."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}."
    elif exc.status_code == 400:
        message = "The request body could not be read as JSON."
    else:
        message = str(exc.detail)
    message = message if message.endswith(".") else f"{message}."
    return _refusal_response(exc.status_code, message, getattr(exc, "headers", None))


async def _on_refusal(request: Request, exc: Refusal) -> JSONResponse:
    return _refusal_response(exc.status, exc.message, exc.headers)


async def _on_database_unavailable(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
    log.warning("database unavailable: %s", exc)
    return _refusal_response(503, str(exc), {"Retry-After": "5"})


class LimitBody:
    """413 for a body over MAX_BODY_BYTES: declared by Content-Length, or
    counted as it arrives when it is sent without one (chunked). The body is
    buffered (the routes read all of it anyway) and replayed to the app."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    def _too_large(self) -> JSONResponse:
        return _refusal_response(413, f"The request body is larger than the hub accepts ({self.limit:,} bytes); "
                                      "send fewer items at a time.")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await _refusal_response(400, "The Content-Length header is not a number of bytes.")(
                    scope, receive, send)
            if int(declared) > self.limit:
                return await self._too_large()(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await self._too_large()(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class ServerTime:
    """Every answer carries the hub's time (SERVER_TIME_HEADER), so each
    workstation knows how far its clock is off at every sync."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def stamped(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (SERVER_TIME_HEADER.lower().encode(), utc_text(now()).encode())]}
            await send(message)

        await self.app(scope, receive, stamped)


class ContainFailures:
    """An unexpected exception becomes a bare 500, logged as type and place
    only: its message could quote a request's contents."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            log.error("request %s %s failed: %s", scope.get("method"), scope.get("path"), crash_summary(exc))
            if not started:
                await _refusal_response(500, "The hub failed while handling this request; the failure is in its "
                                             "log. Try again, and tell the hub's administrator if it goes on.")(
                    scope, receive, send)


def _openapi_with_400s(app: FastAPI, generate) -> dict:
    """FastAPI's document, without the 422 responses it adds for validation
    errors: this hub answers those 400, with the Error body."""
    if app.openapi_schema is None:
        document = generate()
        for operations in document["paths"].values():
            for operation in operations.values():
                operation["responses"].pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            document.get("components", {}).get("schemas", {}).pop(name, None)
    return app.openapi_schema


def make_app(db, lifespan=None, pushes_per_minute: int | None = None) -> FastAPI:
    """The API over an open hub database (console.hub.storage); pushes_per_minute:
    how often one workstation may push (default console.core.authorship.PUSHES_PER_MINUTE)."""
    app = FastAPI(
        title="Helpline Console hub", version=__version__, lifespan=lifespan,
        description="The central service Helpline Console workstations sync with. The contract, in words, is "
                    "console/sync/protocol.py; every error is {\"error\": \"a sentence\"}.",
        docs_url=None, redoc_url=None,
    )
    app.state.db = db
    app.state.pushes_per_minute = pushes_per_minute
    app.include_router(router)
    from console.hub import live  # the live channel and message (it uses this module's dependencies)

    app.include_router(live.router)
    generate = app.openapi
    app.openapi = lambda: _openapi_with_400s(app, generate)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Refusal, _on_refusal)
    app.add_exception_handler(DatabaseUnavailable, _on_database_unavailable)
    app.add_middleware(LimitBody)
    app.add_middleware(ServerTime)
    app.add_middleware(ContainFailures)  # added last: outermost
    return app


def create_app() -> FastAPI:
    """The factory `hub serve` hands uvicorn: the database comes from the environment."""
    url, data = os.environ.get(DATABASE_URL_ENV), os.environ.get(DATA_ENV)
    if not (url or data):
        raise RuntimeError(f"Set {DATA_ENV} (a folder) or {DATABASE_URL_ENV} (postgresql://…) to say where the "
                           "hub's database is; `helpline-console hub serve` does this for you.")
    where = {"database_url": url} if url else {"data": data}
    db = open_database(**where, key_file=os.environ.get(KEY_FILE_ENV),
                       wait=float(os.environ.get(DATABASE_WAIT_ENV) or 0))
    log.info("hub serving %s", db.describe())
    from console.hub import live

    @asynccontextmanager
    async def lifespan(app):
        signing = asyncio.create_task(anchors.every_hour(db))  # the audit chains' heads, signed hourly
        bridge = live.bridge_processes(db)  # the live channel across hub processes (PostgreSQL)
        yield
        if bridge is not None:
            await asyncio.to_thread(bridge.stop)
        signing.cancel()
        await asyncio.wait([signing])  # a signing under way ends before its database is closed
        db.close()

    pushes_per_minute = os.environ.get(PUSHES_PER_MINUTE_ENV)
    return make_app(db, lifespan, int(pushes_per_minute) if pushes_per_minute else None)
