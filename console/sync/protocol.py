"""The contract between a workstation and the hub (HTTP, JSON, version 1).

Shared by the hub (`console.hub`) and the sync client (`console.sync`), so the
two cannot drift apart. Qt-free and dependency-free. The item kinds, the
canonical text of a body and the ids of callback items are the records'
(console/core/records.py), which the workstation's store applies too.

Every request but sign-in carries `Authorization: Bearer <token>`. Every
error is JSON `{"error": "one sentence saying what is wrong and where"}` with
a 4xx status; bad input is never a 500.

Sign-in
    POST /v1/sessions        {"operator_id", "password", "workstation"}
        200 {"token", "operator_id", "role", "expires_at"}
        401 wrong id or password (the same sentence for both), 403 disabled,
        429 too many failed sign-ins (Retry-After header).
        The token is bound to that operator and workstation; the hub stores
        only its SHA-256.
    DELETE /v1/sessions      ends the token's session (204).

Push (any role; items of the token's own workstation only)
    POST /v1/push  {"workstation", "items": [{"kind", "id", "body"}, ...],
                    "audit_head": {"seq": int, "hash": str} | null}
        200 {"results": [{"kind", "id", "status", "message"?}, ...],
             "audit_alert": null | "sentence"}
        status, per item:
          "stored"    new, now on the hub;
          "duplicate" already on the hub with the same body (a re-send);
          "stale"     a callback revision older than the hub's (the hub keeps the newer);
          "conflict"  the same id with a different body: kept as it was on the
                      hub, reported with a sentence, never overwritten;
          "refused"   policy v2's "Who may attest what" (console.core.authorship)
                      does not allow it from this session: the author is not the
                      operator pushing it, the role may not make it, it is dated in
                      the future, it is oversized… Never stored, never fed to anyone;
                      the workstation keeps it aside with the sentence.
        Every item of the batch gets a result. Kinds (ITEM_KINDS):
          call      id = call_id; body = the stored call record (cli.md) plus
                    register_version and workstation.
          callback  id = "<callback_id>@<revision>"; body = the callbacks row
                    (person_ids a list) with an integer "revision". A higher
                    revision replaces a lower one on the hub.
          attempt   id = attempt_id; body = failed_attempts row (without cleared_by).
          unlock    id = unlock_id; body = unlocks row. On the hub and on every
                    workstation an unlock clears the person's attempts made at or
                    before its `at`.
          audit     id = entry_id; body = the audit row (seq, entry_id, at,
                    operator, workstation, kind, person_id, detail, prev_hash, hash).
                    Audit items of a workstation arrive in seq order; the hub
                    checks each links to the last one it holds of that workstation
                    (hash recomputed, prev_hash equal) and keeps the head.
          escalation_ack  id = call_id; body {"call_id", "at", "operator",
                    "workstation", "note"}: a supervisor took up an escalated call.
          dial_intent  id = intent_id; body {"intent_id", "callback_id", "operator",
                    "workstation", "at", "number_digest"}: the operator handed a
                    callback's number on file to their softphone (the number as
                    console.core.attest.number_digest). Only for a callback the hub
                    holds assigned to that operator.
        audit_head is the workstation's own head after its last entry; if it is
        behind the head the hub holds, or differs from it at the same seq, the
        hub records an alert (a truncated or rewritten chain) and returns it.
        At most MAX_PUSH_ITEMS items and MAX_BODY_BYTES bytes (413 beyond), and
        PUSHES_PER_MINUTE pushes a minute per workstation, or what `hub serve
        --pushes-per-minute` allows (429, Retry-After).

Pull (any role)
    GET /v1/changes?after=<cursor>&limit=<n>
        200 {"changes": [{"seq", "kind", "id", "body"}, ...], "cursor": int, "more": bool}
        The hub's change feed, in seq order, seq > after. Kinds (CHANGE_KINDS):
          account   id = operator_id; body {"operator_id", "role", "password_hash",
                    "disabled"} (an argon2 verifier, for offline sign-in).
          attempt   as pushed (from every workstation).
          unlock    as pushed.
          callback  id = callback_id; body = the newest revision.
          content   id = content version (str); body {"version", "scripts":
                    {name: text}, "services": {...}} (guidance scripts and the
                    services data file).
          register  id = register seq (str); body = the register's entry as in
                    GET /v1/register (a new register to fetch).
          escalation_ack  as pushed (an escalation taken up anywhere).
          attestation  id = callback_id; body {"callback_id", "pbx", "call_id", "operator",
                    "answered_at"}: the PBX's answered outbound call that followed
                    the operator's dial intent (console/hub/attestations.py); to that
                    operator and to supervisors only.
          message   id = version (str); body = the live message's event
                    (console/hub/live.py), the newest version in force.
        A workstation applies a page of changes and stores `cursor` in one
        transaction, so a kill at any point resumes from the last page applied.

Register
    GET /v1/register
        200 {"seq", "register_version", "sha256", "size", "digest", "persons",
             "documents", "imported_at"}, or 404 when none is imported yet.
        sha256/size: of the snapshot (a zip of the register folder);
        digest: console.core.register_delta.register_digest of its contents;
        delta_from, delta_sha256, delta_size: the register this one's delta
        starts from (null for the first), and the delta's hash and size.
    GET /v1/register/<seq>/snapshot?offset=<bytes>&length=<bytes>
        200 application/octet-stream, that slice of the snapshot (length at
        most MAX_CHUNK_BYTES), so a download resumes where it stopped.
    GET /v1/register/<seq>/delta?offset=<bytes>&length=<bytes>
        the same for the register's changes since register delta_from
        (console.core.register_delta): what a workstation holding
        delta_from fetches instead of the whole snapshot.

Supervisors (role supervisor or admin; 403 otherwise)
    GET /v1/stats?since=&until=       cli.md's stats object over every workstation's calls
    GET /v1/audit?operator=&person=&kind=&workstation=&since=&until=&limit=
    GET /v1/audit/chains              per workstation: head seq and hash, alerts
    GET /v1/dashboard?day=YYYY-MM-DD  the supervisor's figures (issue 7)
    GET /v1/callbacks?which=open|overdue|all
    GET /v1/locked                    persons locked now, with attempt counts
    GET /v1/refused?since=&limit=     items refused from pushes, newest first

Live (console/hub/live.py has the events and the replay)
    GET /v1/live             any role: text/event-stream of the operator's events
                             (answer, hangup) and everyone's (message);
                             Last-Event-ID replays what a reconnection missed.
    POST /v1/message {"text"}  supervisors: the next version of the live message.
    GET /v1/message          the live message in force (404 before the first).

Health (no token)
    GET /v1/health  {"ok": true, "version"}
"""

from console.core.live import event_problem
from console.core.records import CHANGE_KINDS, ITEM_KINDS, callback_item_id, canonical
from console.core.timeutil import TimeFormatError, parse_instant

__all__ = ["API", "PROTOCOL_VERSION", "ITEM_KINDS", "CHANGE_KINDS", "ITEM_STATUSES", "MAX_PUSH_ITEMS",
           "MAX_BODY_BYTES", "MAX_CHUNK_BYTES", "DEFAULT_CHANGES_LIMIT", "MAX_CHANGES_LIMIT", "SIGN_IN_FAILURES",
           "SIGN_IN_WINDOW_SECONDS", "TOKEN_HOURS", "DEFAULT_PORT", "callback_item_id", "canonical", "AnswerInvalid",
           "check_signed_in", "check_push_reply", "check_changes_page", "check_register_entry"]

API = "/v1"
PROTOCOL_VERSION = 1

ITEM_STATUSES = ("stored", "duplicate", "stale", "conflict", "refused")

MAX_PUSH_ITEMS = 500
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_CHUNK_BYTES = 4 * 1024 * 1024
DEFAULT_CHANGES_LIMIT = 1000
MAX_CHANGES_LIMIT = 5000

SIGN_IN_FAILURES = 5  # failed sign-ins from one address for one operator id ...
SIGN_IN_WINDOW_SECONDS = 15 * 60  # ... within this window, then 429 until it passes
TOKEN_HOURS = 12  # a session token lasts one shift

DEFAULT_PORT = 8765



# the hub's answers, as the workstation checks them before acting on any

class AnswerInvalid(ValueError):
    """An answer that does not follow this protocol; the message is a sentence."""


def _whole(value, least: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise AnswerInvalid(f"The hub's answer is not what the protocol says: {what}.")


def check_signed_in(answer) -> dict:
    _require(isinstance(answer, dict), "a sign-in answer must be an object")
    for key in ("token", "operator_id", "role", "expires_at"):
        _require(isinstance(answer.get(key), str) and answer[key], f"a sign-in answer lacks {key}")
    return answer


def check_enrolled(answer) -> dict:
    """The enrolment answer: the workstation's id and when the hub first enrolled it (an instant with an offset)."""
    _require(isinstance(answer, dict), "an enrolment answer must be an object")
    for key in ("workstation", "enrolled_at"):
        _require(isinstance(answer.get(key), str) and answer[key], f"an enrolment answer lacks {key}")
    try:
        parse_instant(answer["enrolled_at"])
    except TimeFormatError:
        _require(False, "an enrolment answer's enrolled_at is an ISO 8601 time with an offset")
    return answer


def check_push_reply(answer, sent: list[dict]) -> dict:
    """A push reply: a result per item, each naming an item that was sent, with a known status."""
    _require(isinstance(answer, dict) and isinstance(answer.get("results"), list), "a push reply has results")
    _require(answer.get("audit_alert") is None or isinstance(answer["audit_alert"], str),
             "audit_alert is a sentence or null")
    names = {(item["kind"], item["id"]) for item in sent}
    for result in answer["results"]:
        _require(isinstance(result, dict) and (result.get("kind"), result.get("id")) in names,
                 "every result names an item that was sent")
        _require(result.get("status") in ITEM_STATUSES, f"a result's status is one of {', '.join(ITEM_STATUSES)}")
        _require(result.get("message") is None or isinstance(result["message"], str), "a message is a sentence")
    return answer


def check_live_message(message) -> dict:
    """The live message as the hub answers it (a `message` event of console.core.live)."""
    problem = event_problem(message)
    _require(problem is None and message.get("type") == "message", "the live message is a message event")
    return message


def check_changes_page(page, after: int) -> dict:
    """A page of the change feed: changes in seq order after the cursor, and the cursor past them."""
    _require(isinstance(page, dict) and isinstance(page.get("changes"), list), "a page of changes has changes")
    _require(_whole(page.get("cursor"), after) and isinstance(page.get("more"), bool),
             f"a page's cursor is a whole number from {after}, and more is true or false")
    last = after
    for change in page["changes"]:
        _require(isinstance(change, dict) and _whole(change.get("seq"), last + 1),
                 "changes come in increasing seq order after the cursor")
        _require(isinstance(change.get("kind"), str) and isinstance(change.get("id"), str)
                 and isinstance(change.get("body"), dict), "a change has a kind, an id and a body")
        last = change["seq"]
    _require(page["cursor"] >= last, "the cursor is at or past the last change")
    return page


def check_register_entry(entry) -> dict:
    _require(isinstance(entry, dict), "a register entry must be an object")
    _require(_whole(entry.get("seq"), 1) and _whole(entry.get("size")), "a register has a seq and a size")
    for key in ("register_version", "sha256", "digest"):
        _require(isinstance(entry.get(key), str) and entry[key], f"a register entry lacks {key}")
    if entry.get("delta_size"):
        _require(_whole(entry.get("delta_size")) and _whole(entry.get("delta_from"), 1)
                 and isinstance(entry.get("delta_sha256"), str), "a register's delta has a size, a start and a hash")
    return entry
