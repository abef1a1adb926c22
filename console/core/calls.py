"""Call records (cli.md, "Call record"): validation with one sentence per
problem, and the normalised form that is stored, exported and synced."""

import re
import uuid
from datetime import datetime, timezone

from console.core.live import CALL_ID_MAX, HANGUP_CAUSES, HUNG_UP_BY, LONGEST_WAIT_SECONDS, QUEUE_MAX
from console.core.policy import CALLER_TYPES, FLAGS, GUIDANCE_IDS, RELATIONSHIPS
from console.core.timeutil import OutsideCalendar, TimeFormatError, parse_instant, utc_text

VERIFICATIONS = ("verified", "not_verified", "not_attempted")
ASSURANCES = ("possession", "knowledge")
DISCLOSED = ("affected", "not_affected")
OUTCOMES = ("resolved", "callback", "escalated", "referred", "abandoned")
SCAM_CHANNELS = ("call", "text", "email", "other")
SCAM_FIELDS = ("channel", "contact", "claimed_identity", "asked_for")
NOTES_MAX = 4000
# a call's time outside these is a typing mistake (and would not fit the
# day arithmetic of the statistics at the ends of the calendar)
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)
FIELDS = (
    "call_id", "started_at", "ended_at", "operator", "caller_type", "person_id", "verification", "assurance",
    "disclosed_status", "guidance_delivered", "topics", "flags", "outcome", "region", "notes", "scam_report",
    "relationship", *("pbx_call_id", "queue", "wait_seconds", "talk_seconds", "hangup_cause", "hung_up_by",
                      "message_version"),
)
# what the telephone line says of a call (console.core.live), and the live message's version the operator saw:
# optional, kept only when given, so records made before them keep their exact form
LINE_FIELDS = ("pbx_call_id", "queue", "wait_seconds", "talk_seconds", "hangup_cause", "hung_up_by")
LINE_COLUMNS = (*LINE_FIELDS, "message_version")
REQUIRED = ("started_at", "ended_at", "caller_type", "verification", "outcome")
_CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class CallRecordInvalid(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _text(record, key, problems, where, limit=200):
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        problems.append(f"{where}{key} must be text.")
        return None
    if len(value) > limit:
        problems.append(f"{where}{key} is longer than {limit:,} characters ({len(value):,}).")
    return value


def _enum(record, key, allowed, problems, where, required=False):
    value = record.get(key)
    if value is None or value == "":
        # an empty value counts as absent: a missing required one is reported once
        if required:
            problems.append(f"{where}{key} is required (one of {', '.join(allowed)}).")
        return None
    if value not in allowed:
        problems.append(f"{where}{key} {value!r} is not one of {', '.join(allowed)}.")
        return None
    return value


def _not_unicode(value) -> bool:
    """Whether any text in `value` holds a lone surrogate (from a JSON "\\ud800"
    escape or undecodable input): it cannot be stored or sent as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_not_unicode(k) or _not_unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_not_unicode(v) for v in value)
    return False


def validate_call_record(record, *, operator: str | None = None, where: str = "") -> dict:
    """The normalised record, or CallRecordInvalid listing every problem.

    `operator` fills in a record that names none; `where` prefixes each
    sentence (e.g. "line 3: ") so a batch's problems point at their line.
    """
    if not isinstance(record, dict):
        raise CallRecordInvalid([f"{where}a call record must be a JSON object."])
    problems: list[str] = []
    broken = [key for key in record if _not_unicode(key) or _not_unicode(record[key])]
    if broken:
        names = ", ".join(k.encode("utf-8", "backslashreplace").decode() for k in broken)
        problems.append(f"{where}{names} {'holds' if len(broken) == 1 else 'hold'} text that is not valid Unicode "
                        "(a lone surrogate).")
        raise CallRecordInvalid(problems)
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        problems.append(f"{where}unknown keys {', '.join(unknown)}; a call record has only {', '.join(FIELDS)}.")
    for key in REQUIRED:
        if record.get(key) in (None, ""):
            problems.append(f"{where}{key} is required.")

    call_id = record.get("call_id")
    if call_id in (None, ""):
        call_id = str(uuid.uuid4())
    elif not isinstance(call_id, str) or not _CALL_ID.fullmatch(call_id):
        problems.append(f"{where}call_id {call_id!r} is not a UUID or a short id of letters, digits and . _ : -.")

    times = {}
    for key in ("started_at", "ended_at"):
        value = record.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            problems.append(f"{where}{key} must be text: an ISO 8601 time with an offset, e.g. 2026-01-06T09:12:00+13:00.")
            continue
        try:
            instant = parse_instant(value, key)
        except OutsideCalendar:  # an offset that takes it past year 1 or 9999
            instant = None
        except TimeFormatError as exc:
            problems.append(f"{where}{exc}.")
            continue
        if instant is None or not EARLIEST <= instant < LATEST:
            problems.append(f"{where}{key} {value!r} is not between the years {EARLIEST.year} and {LATEST.year - 1}.")
            continue
        times[key] = instant
    if len(times) == 2 and times["ended_at"] < times["started_at"]:
        problems.append(f"{where}ended_at {record['ended_at']} is before started_at {record['started_at']}.")

    caller_type = _enum(record, "caller_type", CALLER_TYPES, problems, where)
    # optional, and absent from records made before it existed: a representative's relationship to the patient
    relationship = _enum(record, "relationship", RELATIONSHIPS, problems, where)
    if relationship is not None and caller_type not in (None, "representative"):
        problems.append(f"{where}relationship is set but the caller is not a representative.")
    verification = _enum(record, "verification", VERIFICATIONS, problems, where)
    assurance = _enum(record, "assurance", ASSURANCES, problems, where)
    disclosed = _enum(record, "disclosed_status", DISCLOSED, problems, where)
    outcome = _enum(record, "outcome", OUTCOMES, problems, where)
    if disclosed is not None and verification != "verified":
        problems.append(f"{where}disclosed_status is {disclosed!r} but the caller was not verified; nothing may be disclosed.")
    if assurance is not None and verification != "verified":
        problems.append(f"{where}assurance is set but the caller was not verified.")

    guidance = []
    delivered = record.get("guidance_delivered") or []
    if not isinstance(delivered, list):
        problems.append(f"{where}guidance_delivered must be a list of {{\"id\", \"version\"}} objects.")
        delivered = []
    for i, item in enumerate(delivered):
        if not isinstance(item, dict) or set(item) != {"id", "version"}:
            problems.append(f"{where}guidance_delivered[{i}] must be an object with exactly id and version.")
            continue
        if item["id"] not in GUIDANCE_IDS:
            problems.append(f"{where}guidance_delivered[{i}]: {item['id']!r} is not a guidance script.")
        if not isinstance(item["version"], (str, int)) or isinstance(item["version"], bool) or str(item["version"]) == "":
            problems.append(f"{where}guidance_delivered[{i}]: version must be text such as \"1\".")
            continue
        guidance.append({"id": item["id"], "version": str(item["version"])})

    topics = record.get("topics") or []
    if not isinstance(topics, list) or not all(isinstance(t, str) and 0 < len(t) <= 100 for t in topics):
        problems.append(f"{where}topics must be a list of short texts.")
        topics = []
    flags = record.get("flags") or []
    if not isinstance(flags, list):
        problems.append(f"{where}flags must be a list.")
        flags = []
    for flag in flags:
        if flag not in FLAGS:
            problems.append(f"{where}flag {flag!r} is not one of {', '.join(FLAGS)}.")

    notes = record.get("notes")
    if notes is not None and not isinstance(notes, str):
        problems.append(f"{where}notes must be text.")
    elif notes and len(notes) > NOTES_MAX:
        problems.append(f"{where}notes are {len(notes):,} characters; the most is {NOTES_MAX:,}.")

    scam = record.get("scam_report")
    if scam == {}:
        scam = None  # optional: absent, empty or null
    if scam is not None:
        if not isinstance(scam, dict):
            problems.append(f"{where}scam_report must be an object with {', '.join(SCAM_FIELDS)}.")
            scam = None
        else:
            extra = sorted(set(scam) - set(SCAM_FIELDS))
            if extra:
                problems.append(f"{where}scam_report has unknown keys {', '.join(extra)}.")
            _enum(scam, "channel", SCAM_CHANNELS, problems, f"{where}scam_report.", required=True)
            for key in ("contact", "claimed_identity", "asked_for"):
                _text(scam, key, problems, f"{where}scam_report.", limit=500)
            scam = {k: scam.get(k) or None for k in SCAM_FIELDS}

    acting = _text(record, "operator", problems, where, limit=64) or operator
    if not acting:
        problems.append(f"{where}operator is required: put it in the record or give --operator.")
    person_id = _text(record, "person_id", problems, where, limit=64)
    region = _text(record, "region", problems, where, limit=64)

    line = _line_fields(record, problems, where)

    if problems:
        raise CallRecordInvalid(problems)
    normalised = {
        "call_id": call_id,
        "started_at": record["started_at"].strip(),
        "ended_at": record["ended_at"].strip(),
        "operator": acting,
        "caller_type": caller_type,
        "person_id": person_id,
        "verification": verification,
        "assurance": assurance,
        "disclosed_status": disclosed,
        "guidance_delivered": guidance,
        "topics": list(topics),
        "flags": list(dict.fromkeys(flags)),
        "outcome": outcome,
        "region": region,
        "notes": notes or None,
        "scam_report": scam,
    }
    if relationship is not None:
        normalised["relationship"] = relationship  # only when given: older records keep their exact form
    normalised.update(line)
    return normalised


def _line_fields(record: dict, problems: list, where: str) -> dict:
    """The line's fields given in `record`, checked (sizes and types as the live channel's events)."""
    line = {}
    for key, limit in (("pbx_call_id", CALL_ID_MAX), ("queue", QUEUE_MAX)):
        value = _text(record, key, problems, where, limit=limit)
        if value is not None:
            line[key] = value
    for key in ("wait_seconds", "talk_seconds"):
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= LONGEST_WAIT_SECONDS:
            problems.append(f"{where}{key} must be a number of seconds from 0 to {LONGEST_WAIT_SECONDS}.")
        else:
            line[key] = value
    for key, allowed in (("hangup_cause", HANGUP_CAUSES), ("hung_up_by", HUNG_UP_BY)):
        value = _enum(record, key, allowed, problems, where)
        if value is not None:
            line[key] = value
    version = record.get("message_version")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 2**62:
            problems.append(f"{where}message_version must be a whole number from 1.")
        else:
            line["message_version"] = version
    if line and "pbx_call_id" not in line and set(line) - {"message_version"}:
        problems.append(f"{where}the line's fields ({', '.join(sorted(set(line) - {'message_version'}))}) "
                        "need the pbx_call_id of the call they describe.")
    return line


def handle_seconds(record: dict) -> float:
    return (parse_instant(record["ended_at"]) - parse_instant(record["started_at"])).total_seconds()


def call_row(record: dict, *, workstation: str, register_version: str | None, saved_at: str, text: str) -> dict:
    """A validated record as the calls table of a workstation and of the hub
    alike holds it, column by column: `text` is the canonical text of the
    stored body (the record with register_version and workstation), saved_at
    sortable UTC text."""
    return {
        "call_id": record["call_id"], "started_at": record["started_at"],
        "started_utc": utc_text(parse_instant(record["started_at"])), "ended_at": record["ended_at"],
        "handle_seconds": handle_seconds(record), "operator": record["operator"], "workstation": workstation,
        "caller_type": record["caller_type"], "person_id": record["person_id"],
        "verification": record["verification"], "assurance": record["assurance"],
        "disclosed_status": record["disclosed_status"], "outcome": record["outcome"], "region": record["region"],
        **{key: record.get(key) for key in LINE_COLUMNS},
        "register_version": register_version, "saved_at": saved_at, "record": text,
    }
