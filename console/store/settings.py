"""Workstation settings: each declared once, typed, with its default, and
upgraded by version (in the manner of Picard's options and config_upgrade).

Values live in the cache's meta table as text, under `setting.<name>`.
Reading never fails: a value missing or no longer valid reads as the default,
and a number outside its range is brought into it, so a hand-edited or older
cache still opens. Writing refuses, with a sentence, anything the declaration
does not allow.

Upgrades are named migrations (console.core.migrations), recorded as the set
`helpline-console.settings` beside the schema's. Each is written once and
never edited after it ships (it reads values as they were stored in its day,
not through today's declarations); a later change of meaning gets a new step.
They run in the transaction that brings the cache's schema up to date
(`console.store.connection.open_cache`).
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from console.core.contact import DIAL_SCHEMES
from console.core.migrations import Migrations
from console.core.session import IDLE_LOCK_DEFAULT_MINUTES, IDLE_LOCK_RANGE
from console.core.telephony import SERVICE_TARGET_SECONDS
from console.core.wallboard import FIGURES, setting_name
from console.store.schema import CacheLedger

META_PREFIX = "setting."
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class SettingRefused(ValueError):
    """A value a setting does not allow, or a setting that does not exist; the message says what is allowed."""


def _hub_address(text: str) -> bool:
    # calls travel to the hub: only encrypted, except to a hub on this machine
    parts = urlsplit(text)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


def _host_name(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?", text))


@dataclass(frozen=True)
class Setting:
    name: str
    kind: type  # int, bool or str
    default: object
    description: str
    bounds: tuple[int, int] | None = None  # int: the allowed range, inclusive
    accepts: object = None  # str: whether a non-empty value is allowed (the empty value means the default)
    rule: str = ""  # str: what is allowed, for the refusal; int: a reason added to the range
    permission: str = "change_settings"  # who may change it (console.core.roles)

    def parse(self, text: str):
        """The value `text` (as an administrator types it) stands for, or SettingRefused."""
        text = text.strip()
        if self.kind is bool:
            if text.lower() in _TRUE + _FALSE:
                return text.lower() in _TRUE
            raise SettingRefused(f"{self.name} must be true or false.")
        if self.kind is int:
            low, high = self.bounds
            if not text.isdigit() or not low <= int(text) <= high:
                reason = f"; {self.rule}" if self.rule else ""
                raise SettingRefused(f"{self.name} must be a whole number from {low} to {high}{reason}.")
            return int(text)
        if text and not self.accepts(text):
            raise SettingRefused(f"{self.name} must be {self.rule}.")
        return text

    def decode(self, stored: str | None):
        """The value of what is stored (None: nothing is): never fails."""
        if stored is None:
            return self.default
        if self.kind is int:
            try:
                number = int(stored)
            except ValueError:
                return self.default
            return min(max(number, self.bounds[0]), self.bounds[1])
        try:
            return self.parse(stored)
        except SettingRefused:
            return self.default

    def encode(self, value) -> str:
        if self.kind is bool:
            return "true" if value else "false"
        return str(value)


SETTINGS = (
    Setting("idle_lock_minutes", int, IDLE_LOCK_DEFAULT_MINUTES,
            "Minutes without input before the window locks (it also locks after 12 hours regardless).",
            bounds=IDLE_LOCK_RANGE, rule="the lock can be shortened or lengthened, never turned off"),
    Setting("hub_url", str, "",
            "The hub this workstation syncs with; empty: standalone, nothing is sent anywhere.",
            accepts=_hub_address,
            rule="empty (no hub) or an https:// address (http:// only for a hub on this machine)"),
    Setting("sync_interval_seconds", int, 30,
            "Seconds between syncs with the hub while the window is open.", bounds=(5, 3600)),
    Setting("high_contrast", bool, False, "Start the window in the high-contrast theme."),
    Setting("dial_scheme", str, "tel",
            "How a callback's number is handed to the softphone: tel: (the desktop's tel: handler) or sip:.",
            accepts=lambda text: text in DIAL_SCHEMES, rule=f"one of {', '.join(DIAL_SCHEMES)}"),
    Setting("sip_domain", str, "", "The PBX's SIP domain, for dial_scheme sip (sip:+64…@DOMAIN).",
            accepts=_host_name, rule="a host name such as pbx.helpline.example"),
    # the line's figures and the wallboard: supervisors set them (there is no hub-wide setting yet)
    Setting("queue_target_seconds", int, SERVICE_TARGET_SECONDS,
            "The service level's target: a call answered within this many seconds counts as answered in time.",
            bounds=(1, 3600), permission="dashboard"),
    Setting("wallboard_refresh_seconds", int, 5,
            "Seconds between the wallboard's reads of the hub's figures (stale after two of them).",
            bounds=(2, 300), permission="dashboard"),
    *(Setting(setting_name(figure.key, level), int, getattr(figure, level),
              f"The wallboard's {level} threshold for {figure.caption.lower()} "
              f"({'from' if figure.higher_is_worse else 'at or below'} this many "
              f"{ {'count': 'calls or operators', 'seconds': 'seconds', 'percent': 'per cent'}[figure.unit] }).",
              bounds=(0, 100) if figure.unit == "percent" else (0, 86_400), permission="dashboard")
      for figure in FIGURES for level in ("amber", "red")),
)
LINE_SETTINGS = tuple(setting.name for setting in SETTINGS if setting.permission == "dashboard")
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def declared(name: str) -> Setting:
    try:
        return SETTINGS_BY_NAME[name]
    except KeyError:
        raise SettingRefused(f"There is no setting {name!r}; the settings are {', '.join(SETTINGS_BY_NAME)}.") from None


def get(db, name: str):
    """The typed value of setting `name` on this cache."""
    setting = declared(name)
    row = db.execute("SELECT value FROM meta WHERE key = ?", [META_PREFIX + name]).fetchone()
    return setting.decode(row[0] if row else None)


def get_all(db) -> dict:
    return {setting.name: get(db, setting.name) for setting in SETTINGS}


def put(db, name: str, value) -> str:
    """Store `value` (text as typed, or a value of the setting's type) in the
    caller's transaction; returns the text stored. SettingRefused changes nothing."""
    setting = declared(name)
    text = value if isinstance(value, str) else setting.encode(value)
    stored = setting.encode(setting.parse(text))
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_PREFIX + name, stored])
    return stored


# upgrades

upgrades = Migrations("helpline-console.settings")

# Before the upgrades were named, meta's `settings_version` counted how many
# had run, in this order (frozen: these are the steps it counted).
LEGACY_VERSION_KEY = "settings_version"
LEGACY_VERSIONS = ("m001_idle_lock_as_read",)


@upgrades
def m001_idle_lock_as_read(db) -> None:
    """Before settings were declared, idle_lock_minutes (the only one) was
    stored as typed and read clamped into 1-60, anything not a number as 10:
    store what it was read as, so the stored text means what the window did."""
    row = db.execute("SELECT value FROM meta WHERE key = 'setting.idle_lock_minutes'").fetchone()
    if row is None:
        return
    try:
        minutes = min(max(int(row[0]), 1), 60)
    except ValueError:
        minutes = 10
    db.execute("UPDATE meta SET value = ? WHERE key = 'setting.idle_lock_minutes'", [str(minutes)])


def ledger(db) -> CacheLedger:
    return CacheLedger(db, upgrades.name)


def _legacy_version(db) -> int | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [LEGACY_VERSION_KEY]).fetchone()
    return int(row[0]) if row else None


def upgrades_pending(db) -> bool:
    """Whether upgrade() has work to do (a read: no lock taken)."""
    return _legacy_version(db) is not None or bool(upgrades.pending(ledger(db).applied()))


def upgrade(db) -> list[str]:
    """Run the upgrades this cache has not had, in order, each with its
    record; the names of those run. A cache still counting its upgrades in
    `settings_version` has that count turned into their names first. Names a
    newer console recorded are left as they are."""
    cache = ledger(db)
    version = _legacy_version(db)
    if version is not None:
        with cache.transaction():
            recorded = cache.applied()
            for name in LEGACY_VERSIONS[:version]:
                if name not in recorded:
                    cache.record(db, name)
            db.execute("DELETE FROM meta WHERE key = ?", [LEGACY_VERSION_KEY])
    return upgrades.apply(cache)
