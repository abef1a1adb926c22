"""The workstation's clock against the hub's: the hub puts its time on every
answer (SERVER_TIME_HEADER), the workstation keeps the offset, and warns when
it is more than SKEW_LIMIT_SECONDS off."""

from datetime import datetime

SERVER_TIME_HEADER = "X-Server-Time"
SKEW_LIMIT_SECONDS = 5 * 60


def offset_seconds(server_time: datetime, sent: datetime, received: datetime) -> float:
    """How far the hub's clock is ahead of this one (negative: behind), taking
    the hub's time as read half-way through the exchange."""
    middle = sent + (received - sent) / 2
    return (server_time - middle).total_seconds()


def skew_warning(offset: float | None) -> str | None:
    """A sentence when this clock is more than SKEW_LIMIT_SECONDS off the hub's, else None."""
    if offset is None or abs(offset) <= SKEW_LIMIT_SECONDS:
        return None
    minutes = round(abs(offset) / 60)
    way = "behind" if offset > 0 else "ahead of"
    return (f"This workstation's clock is {minutes} minutes {way} the hub's: ask IT to set it right; "
            "meanwhile lockouts are judged by the hub's clock.")
