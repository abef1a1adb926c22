"""The wallboard's figures: six of the queue's figures (console.core.telephony.queue_figures,
as the hub gives them) set against the thresholds supervisors chose, each with a state
said in a word and a symbol as well as a colour (for colour-blind staff).

`THRESHOLDS` declares each figure once: its key, caption, whether a higher
value is worse, and its default amber and red thresholds. A figure is red
past its red threshold, amber past its amber one, else on target; a figure
the hub has no value for yet (no calls today) is "no data", never green.
"""

from dataclasses import dataclass

from console.core.telephony import SERVICE_TARGET_SECONDS

OK, AMBER, RED, NO_DATA = "ok", "amber", "red", "none"
# the state as a word and a symbol, so colour is never the only sign
WORDS = {OK: "On target", AMBER: "Near limit", RED: "Over limit", NO_DATA: "No data yet"}
SYMBOLS = {OK: "✔", AMBER: "▲", RED: "✖", NO_DATA: "–"}


@dataclass(frozen=True)
class Figure:
    key: str
    caption: str
    unit: str  # "count", "seconds" or "percent"
    higher_is_worse: bool
    amber: int  # defaults; supervisors change them (the workstation's settings wallboard_<key>_amber/_red)
    red: int


FIGURES = (
    Figure("waiting_now", "Waiting now", "count", True, 3, 6),
    Figure("longest_wait", "Longest wait", "seconds", True, 60, 180),
    Figure("service_level", "Service level", "percent", False, 80, 60),
    Figure("abandoned_rate", "Abandoned", "percent", True, 5, 10),
    Figure("average_speed_of_answer", "Average speed of answer", "seconds", True, 30, 60),
    Figure("operators_available", "Operators available", "count", False, 1, 0),
)
FIGURES_BY_KEY = {figure.key: figure for figure in FIGURES}


def setting_name(key: str, level: str) -> str:
    """The workstation setting holding a figure's amber or red threshold."""
    return f"wallboard_{key}_{level}"


@dataclass(frozen=True)
class Tile:
    key: str
    caption: str
    value: float | None
    text: str  # the value as the wallboard shows it
    state: str  # OK, AMBER, RED or NO_DATA
    word: str
    symbol: str
    target: str  # the thresholds, in words


def seconds_text(seconds: float | None) -> str:
    """A wait as a wallboard reads it: "45 s", "3:05" (minutes), "1 h 02 min"."""
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60}:{whole % 60:02d}"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def percent_text(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.0f} %"


def abandoned_rate(overall: dict) -> float | None:
    """Abandoned ÷ (offered − short abandons): the callers who gave up, of those who meant to wait."""
    base = overall["offered"] - overall["short_abandoned"]
    return round(overall["abandoned"] / base, 4) if base else None


def operators_available(operators: dict) -> int | None:
    """Signed in, less those on a call and those in wrap-up (where the hub knows them)."""
    if operators.get("signed_in") is None:
        return None
    return max(0, operators["signed_in"] - (operators.get("on_call") or 0) - (operators.get("wrap_up") or 0))


def wallboard_values(figures: dict) -> dict:
    """The six figures' values from the hub's queue figures (GET /v1/queue): counts, seconds, fractions."""
    overall = figures["overall"]
    return {
        "waiting_now": overall["waiting_now"],
        "longest_wait": overall["longest_wait_seconds"] or (0 if overall["waiting_now"] == 0 else None),
        "service_level": overall["service_level"],
        "abandoned_rate": abandoned_rate(overall),
        "average_speed_of_answer": overall["average_speed_of_answer_seconds"],
        "operators_available": operators_available(figures.get("operators") or {}),
    }


def state_of(figure: Figure, value: float | None, amber: float, red: float) -> str:
    if value is None:
        return NO_DATA
    if figure.unit == "percent":
        value = value * 100
    if figure.higher_is_worse:
        return RED if value >= red else AMBER if value >= amber else OK
    return RED if value <= red else AMBER if value <= amber else OK


def _limit_text(figure: Figure, limit: int) -> str:
    if figure.unit == "seconds":
        return seconds_text(limit)
    return f"{limit} %" if figure.unit == "percent" else str(limit)


def target_text(figure: Figure, amber: int, red: int) -> str:
    """The thresholds in words: "amber from 60 s, red from 3:00"."""
    word = "from" if figure.higher_is_worse else "at or below"
    return f"amber {word} {_limit_text(figure, amber)}, red {word} {_limit_text(figure, red)}"


def value_text(figure: Figure, value: float | None) -> str:
    if figure.unit == "seconds":
        return seconds_text(value)
    if figure.unit == "percent":
        return percent_text(value)
    return "—" if value is None else f"{value:,}"


def tiles(figures: dict, thresholds: dict | None = None) -> list[Tile]:
    """The wallboard's tiles, in reading order, from the hub's queue figures and the
    thresholds ({setting_name(key, "amber"|"red"): n}; a missing one is the default)."""
    thresholds = thresholds or {}
    values = wallboard_values(figures)
    shown = []
    for figure in FIGURES:
        amber = thresholds.get(setting_name(figure.key, "amber"), figure.amber)
        red = thresholds.get(setting_name(figure.key, "red"), figure.red)
        value = values[figure.key]
        state = state_of(figure, value, amber, red)
        caption = figure.caption
        if figure.key == "service_level":
            caption = f"Service level ({figures.get('target_seconds', SERVICE_TARGET_SECONDS)} s)"
        shown.append(Tile(figure.key, caption, value, value_text(figure, value), state, WORDS[state],
                          SYMBOLS[state], target_text(figure, amber, red)))
    return shown
