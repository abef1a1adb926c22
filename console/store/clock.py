"""The hub's clock as this workstation last saw it: the offset (seconds the
hub is ahead) kept in the cache at every sync, and the time by the hub's
clock that the lockout judges attempts with."""

from datetime import datetime, timedelta

from console.core.timeutil import now

OFFSET_KEY = "sync.clock_offset_seconds"


def record_offset(db, seconds: float) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [OFFSET_KEY, f"{seconds:.3f}"])


def clock_offset(db) -> float | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [OFFSET_KEY]).fetchone()
    return float(row[0]) if row else None


def hub_now(db) -> datetime:
    """Now by the hub's clock, as far as this workstation knows it."""
    return now() + timedelta(seconds=clock_offset(db) or 0.0)
