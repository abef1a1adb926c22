"""Times and dates as the helpline uses them: instants carry an offset, every
rule about time uses the time of the call."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

HELPLINE_ZONE = ZoneInfo("Pacific/Auckland")


class TimeFormatError(ValueError):
    pass


def parse_instant(text: str, what: str = "time") -> datetime:
    """An ISO 8601 date-time with an offset (a trailing Z is UTC)."""
    if not isinstance(text, str) or not text.strip():
        raise TimeFormatError(f"{what} is missing; give an ISO 8601 time with an offset, e.g. 2026-01-06T09:12:00+13:00")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeFormatError(f"{what} {text!r} is not an ISO 8601 time, e.g. 2026-01-06T09:12:00+13:00") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimeFormatError(f"{what} {text!r} has no UTC offset; add one, e.g. +13:00 or Z")
    return value


def parse_day(text: str, what: str = "date") -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise TimeFormatError(f"{what} {text!r} is not a date written YYYY-MM-DD") from None


def now() -> datetime:
    return datetime.now(HELPLINE_ZONE)


def utc_text(value: datetime) -> str:
    """A sortable UTC form for storage and comparison."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def age_on(born: date, on: date) -> int:
    """Whole years; a 29 February birthday comes of age on 1 March in common years."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
