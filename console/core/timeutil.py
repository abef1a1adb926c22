"""Times and dates as the helpline uses them: instants carry an offset, every
rule about time uses the time of the call."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

HELPLINE_ZONE = ZoneInfo("Pacific/Auckland")


class TimeFormatError(ValueError):
    """A typed time refused; the message is a sentence naming what was typed."""


class OutsideCalendar(TimeFormatError):
    """A time whose offset takes it past year 1 or 9999 in UTC (e.g. 0001-01-01T00:00:00+14:00)."""


def parse_instant(text: str, what: str = "time") -> datetime:
    """An ISO 8601 date-time with an offset (a trailing Z is UTC) that is an
    instant of the calendar in UTC; TimeFormatError (a sentence) otherwise.
    The one parser of a typed instant, for the command line, the hub and the
    call records alike."""
    if not isinstance(text, str) or not text.strip():
        raise TimeFormatError(f"{what} is missing; give an ISO 8601 time with an offset, e.g. 2026-01-06T09:12:00+13:00")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeFormatError(f"{what} {text!r} is not an ISO 8601 time, e.g. 2026-01-06T09:12:00+13:00") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimeFormatError(f"{what} {text!r} has no UTC offset; add one, e.g. +13:00 or Z")
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise OutsideCalendar(f"{what} {text!r} is outside the calendar") from None
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


_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")], start=1)
    for name in names
}


def parse_spoken_date(text: str, today: date | None = None) -> date | None:
    """A date of birth as a caller says it and an operator types it:
    `12/4/1975`, `12-4-75`, `12.04.1975` (New Zealand order: day first),
    `12 April 1975`, `April 12 1975`, `1975-04-12`. None when unclear."""
    import re

    words = re.findall(r"[A-Za-z]+|\d+", text or "")
    if len(words) != 3:
        return None
    today = today or now().date()
    numbers = [w for w in words if w.isdigit()]
    month_words = [w for w in words if not w.isdigit()]
    try:
        if month_words:
            month = _MONTHS.get(month_words[0].lower())
            if month is None or len(numbers) != 2:
                return None
            day, year = (numbers if len(numbers[1]) >= len(numbers[0]) else numbers[::-1])
            day, year = int(day), _full_year(year, today)
        elif len(words[0]) == 4:
            year, month, day = int(words[0]), int(words[1]), int(words[2])
        else:
            day, month, year = int(words[0]), int(words[1]), _full_year(words[2], today)
        value = date(year, month, day)
    except ValueError:
        return None
    return value if date(1900, 1, 1) <= value <= today else None


def _full_year(text: str, today: date) -> int:
    year = int(text)
    if len(text) == 2:
        # a two-digit birth year is the most recent one not in the future
        year += 2000 if 2000 + year <= today.year else 1900
    elif len(text) != 4:
        raise ValueError(text)
    return year
