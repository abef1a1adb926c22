"""This machine's enrolment on a hub as the OS keystore keeps it, one entry
per hub address: the workstation's id, its private key (console.sync.device
makes and uses them) and when the hub first enrolled it, which the cache
judges what it records itself by (console.core.attest.enrolment_problem)."""

import json
from datetime import datetime

from console.core.timeutil import TimeFormatError, parse_instant
from console.store.keystore import open_keystore


def _entry(hub_url: str) -> str:
    return f"hub-device@{hub_url.rstrip('/')}"


def read_enrolment(hub_url: str) -> dict | None:
    """The kept record {"workstation", "key", "enrolled_at"?} of this machine on that hub, or None."""
    text = open_keystore().get_secret(_entry(hub_url))
    return json.loads(text) if text else None


def keep_enrolment(hub_url: str, record: dict) -> None:
    open_keystore().put_secret(_entry(hub_url), json.dumps(record))


def enrolled_at(hub_url: str | None) -> datetime | None:
    """When the hub first enrolled this machine; None when there is no hub,
    the machine is not enrolled on it, or it was enrolled before hubs said
    when (nothing to judge by, as on the hub)."""
    kept = read_enrolment(hub_url) if hub_url else None
    try:
        return parse_instant(kept["enrolled_at"]) if kept and kept.get("enrolled_at") else None
    except TimeFormatError:
        return None  # kept only after the hub's answer was checked; a damaged entry judges nothing
