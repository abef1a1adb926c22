"""The live channel's events (hub → workstation), as pure rules: their
shapes, checked alike where the hub publishes them and where a workstation
receives them, and the supervisors' "what we know now" message.

Events (JSON objects; "type" says which):

answer   the PBX says an operator answered a call (console/hub/telephony.py
         maps the PBX's `user`/`answeringNumber` to the operator):
         {"type": "answer", "callId": str (≤ 250, the PBX's), "from": str | null
          (the calling number as the PBX says it, "anonymous" or null when
          withheld: caller ID can be forged, so it is shown, never verified),
          "queue": str | null, "waitSeconds": number ≥ 0 | null,
          "answeredAt": ISO 8601 time with an offset}
hangup   the call ended: {"type": "hangup", "callId": str, "cause": one of
         HANGUP_CAUSES, "hungUpBy": "caller" | "operator" | null,
         "talkSeconds": number ≥ 0 | null (optional), "at": ISO 8601 (optional)}
message  a supervisor published "what we know now" (to every operator):
         {"type": "message", "version": int ≥ 1, "text": str (≤ MESSAGE_MAX_CHARS),
          "author": str, "publishedAt": ISO 8601}

Each check answers None when the event is well formed, or one sentence naming
the field that is not (never quoting its value: it may be a caller's number).
"""

from console.core.telephony import CAUSES
from console.core.timeutil import TimeFormatError, parse_instant

EVENT_TYPES = ("answer", "hangup", "message")
HANGUP_CAUSES = CAUSES  # Zammad's generic CTI causes, as the hub takes them from the PBX
HUNG_UP_BY = ("caller", "operator")
CALL_ID_MAX = 250  # Zammad's callId: unique per call, up to 250 characters
QUEUE_MAX = 100
NUMBER_MAX = 64
MESSAGE_MAX_CHARS = 1000  # "short": read out in a breath, shown above the caller's form
OPERATOR_MAX = 64
LONGEST_WAIT_SECONDS = 7 * 24 * 3600  # a wait or talk time longer than a week is a PBX's mistake


def _text_problem(event: dict, key: str, limit: int, nullable: bool) -> str | None:
    value = event.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value.strip():
        return f"{key} must be {'text or null' if nullable else 'non-empty text'}"
    if len(value) > limit:
        return f"{key} is longer than {limit} characters"
    if "\x00" in value:
        return f"{key} holds a NUL character"
    return None


def _seconds_problem(event: dict, key: str) -> str | None:
    value = event.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= LONGEST_WAIT_SECONDS:
        return f"{key} must be a number of seconds from 0 to {LONGEST_WAIT_SECONDS}, or null"
    return None


def _instant_problem(event: dict, key: str, required: bool = True) -> str | None:
    value = event.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        return f"{key} must be an ISO 8601 time with an offset"
    try:
        parse_instant(value, key)
    except TimeFormatError:
        return f"{key} must be an ISO 8601 time with an offset"
    return None


FIELDS = {
    "answer": ("type", "callId", "from", "queue", "waitSeconds", "answeredAt"),
    "hangup": ("type", "callId", "cause", "hungUpBy", "talkSeconds", "at"),
    "message": ("type", "version", "text", "author", "publishedAt"),
}


def event_problem(event) -> str | None:
    """Why `event` is not a live event (a sentence), or None when it is one."""
    if not isinstance(event, dict):
        return "A live event must be a JSON object."
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        return f"A live event's type must be one of {', '.join(EVENT_TYPES)}."
    unknown = sorted(set(event) - set(FIELDS[kind]))
    if unknown:
        return f"A {kind} event has no field {', '.join(k if isinstance(k, str) else '?' for k in unknown)[:200]}."
    if kind == "answer":
        problem = (_text_problem(event, "callId", CALL_ID_MAX, False)
                   or _text_problem(event, "from", NUMBER_MAX, True)
                   or _text_problem(event, "queue", QUEUE_MAX, True)
                   or _seconds_problem(event, "waitSeconds")
                   or _instant_problem(event, "answeredAt"))
    elif kind == "hangup":
        problem = _text_problem(event, "callId", CALL_ID_MAX, False)
        if problem is None and event.get("cause") not in HANGUP_CAUSES:
            problem = f"cause must be one of {', '.join(HANGUP_CAUSES)}"
        if problem is None and event.get("hungUpBy") not in (None, *HUNG_UP_BY):
            problem = f"hungUpBy must be {' or '.join(HUNG_UP_BY)}, or null"
        problem = problem or _seconds_problem(event, "talkSeconds") or _instant_problem(event, "at", False)
    else:
        version = event.get("version")
        problem = None
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            problem = "version must be a whole number from 1"
        problem = (problem or message_problem(event.get("text"))
                   or _text_problem(event, "author", OPERATOR_MAX, False)
                   or _instant_problem(event, "publishedAt"))
        if problem:
            problem = problem.removesuffix(".")
    return f"In a {kind} event: {problem}." if problem else None


def message_problem(text) -> str | None:
    """Why `text` cannot be published as the live message, or None."""
    if not isinstance(text, str) or not text.strip():
        return "The message must be non-empty text."
    if len(text) > MESSAGE_MAX_CHARS:
        return f"The message has {len(text):,} characters; it may have at most {MESSAGE_MAX_CHARS:,}."
    if "\x00" in text:
        return "The message holds a NUL character."
    return None
