"""Settings: declared once, typed, read leniently, written strictly, upgraded by named steps."""

import re

import pytest

from console.core.migrations import Migrations
from console.store import settings
from console.store.connection import open_cache
from console.store.settings import SETTINGS, SettingRefused


def test_every_setting_is_declared_once_with_a_default_that_round_trips():
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    for setting in SETTINGS:
        assert setting.description.endswith(".")
        assert isinstance(setting.default, setting.kind)
        assert setting.decode(None) == setting.default
        assert setting.parse(setting.encode(setting.default)) == setting.default


@pytest.mark.parametrize("stored, minutes", [(None, 10), ("5", 5), ("0", 1), ("-3", 1), ("999", 60), ("off", 10)])
def test_idle_lock_reads_as_never_off(stored, minutes):
    assert settings.declared("idle_lock_minutes").decode(stored) == minutes


@pytest.mark.parametrize("name, text, sentence", [
    ("idle_lock_minutes", "0", "idle_lock_minutes must be a whole number from 1 to 60; "
                               "the lock can be shortened or lengthened, never turned off."),
    ("idle_lock_minutes", "ten", "from 1 to 60"),
    ("sync_interval_seconds", "1", "sync_interval_seconds must be a whole number from 5 to 3600."),
    ("hub_url", "http://hub.example.nz", "an https:// address"),
    ("hub_url", "hub.example.nz", "an https:// address"),
    ("high_contrast", "maybe", "high_contrast must be true or false."),
])
def test_values_not_allowed_are_refused_with_a_sentence(name, text, sentence):
    with pytest.raises(SettingRefused, match=re.escape(sentence)):
        settings.declared(name).parse(text)


def test_a_setting_not_declared_is_refused():
    with pytest.raises(SettingRefused, match="There is no setting 'font_size'; the settings are idle_lock_minutes, "):
        settings.declared("font_size")


def _workstation(db) -> dict:
    return {k: v for k, v in settings.get_all(db).items() if k not in settings.LINE_SETTINGS}


def test_written_through_the_cache_typed_canonical_and_audited(cache):
    assert _workstation(cache.db) == {"idle_lock_minutes": 10, "hub_url": "", "sync_interval_seconds": 30,
                                          "high_contrast": False, "dial_scheme": "tel", "sip_domain": ""}
    assert cache.set_setting("idle_lock_minutes", " 05 ") == "5"
    assert cache.set_setting("high_contrast", "Yes") == "true"
    assert cache.set_setting("hub_url", "https://hub.helpline.example/") == "https://hub.helpline.example/"
    assert cache.set_setting("hub_url", "http://localhost:8000") == "http://localhost:8000"
    assert cache.set_setting("sync_interval_seconds", 45) == "45"
    assert _workstation(cache.db) == {"idle_lock_minutes": 5, "hub_url": "http://localhost:8000",
                                          "sync_interval_seconds": 45, "high_contrast": True, "dial_scheme": "tel",
                                          "sip_domain": ""}
    with pytest.raises(SettingRefused):
        cache.set_setting("idle_lock_minutes", "0")
    assert settings.get(cache.db, "idle_lock_minutes") == 5
    changes = [e["detail"] for e in cache.audit_entries(kind="setting_changed")]
    assert changes[0] == {"setting": "idle_lock_minutes", "value": "5"} and len(changes) == 5


def _meta(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _applied(db) -> set[str]:
    return settings.ledger(db).applied()


def _with_upgrades(monkeypatch, *steps):
    """The console's upgrades followed by `steps`, as a newer console would have them."""
    newer = Migrations(settings.upgrades.name)
    for step in settings.upgrades.steps + list(steps):
        newer(step)
    monkeypatch.setattr(settings, "upgrades", newer)


def test_a_new_cache_has_had_every_upgrade(tmp_path):
    db = open_cache(tmp_path / "c.db")
    assert _applied(db) == set(settings.upgrades.names) and not settings.upgrades_pending(db)
    assert _meta(db, settings.LEGACY_VERSION_KEY) is None
    db.close()


@pytest.mark.parametrize("typed, stored", [("0", "1"), ("999", "60"), ("off", "10"), ("7", "7"), (" 5", "5")])
def test_m001_stores_idle_lock_as_it_was_read(tmp_path, typed, stored):
    path = tmp_path / "c.db"
    db = open_cache(path)
    idle = settings.declared("idle_lock_minutes")
    # as a cache made before settings were declared: no upgrade recorded
    db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = ?", [settings.upgrades.name])
    db.execute("INSERT OR REPLACE INTO meta VALUES ('setting.idle_lock_minutes', ?)", [typed])
    read_before = idle.decode(typed)
    db.close()
    db = open_cache(path)
    assert _meta(db, "setting.idle_lock_minutes") == stored
    assert settings.get(db, "idle_lock_minutes") == read_before
    assert _applied(db) == {"m001_idle_lock_as_read"}
    db.close()


def test_a_cache_counting_its_upgrades_by_version_has_them_named_and_none_run_again(tmp_path, monkeypatch):
    """A cache made by a console that kept `settings_version` in meta (and no
    settings upgrade in _sqlite_migrations) upgrades without running v1 again."""
    path = tmp_path / "c.db"
    db = open_cache(path)
    db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = ?", [settings.upgrades.name])
    db.execute("INSERT INTO meta VALUES ('settings_version', '1')")
    # a value v1 would change, so a second run would show
    db.execute("INSERT OR REPLACE INTO meta VALUES ('setting.idle_lock_minutes', '999')")
    db.close()
    ran = []

    def m002_later(db):
        ran.append("m002")

    _with_upgrades(monkeypatch, m002_later)
    db = open_cache(path)
    assert _meta(db, "setting.idle_lock_minutes") == "999" and ran == ["m002"]
    assert _applied(db) == {"m001_idle_lock_as_read", "m002_later"}
    assert _meta(db, "settings_version") is None
    db.close()
    open_cache(path).close()
    assert ran == ["m002"]


def test_upgrades_run_once_in_order_and_never_downgrade(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    open_cache(path).close()
    ran = []

    def m002_sync_interval(db):
        ran.append("m002")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('setting.sync_interval_seconds', '60')")

    def m003_nothing(db):
        ran.append("m003")

    _with_upgrades(monkeypatch, m002_sync_interval, m003_nothing)
    db = open_cache(path)
    assert ran == ["m002", "m003"] and _applied(db) == {"m001_idle_lock_as_read", "m002_sync_interval", "m003_nothing"}
    assert settings.get(db, "sync_interval_seconds") == 60
    db.close()
    open_cache(path).close()
    assert ran == ["m002", "m003"]
    monkeypatch.undo()  # an older console opens the newer cache
    db = open_cache(path)
    assert len(_applied(db)) == 3 and settings.get(db, "sync_interval_seconds") == 60
    db.close()


def test_a_failed_upgrade_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    open_cache(path).close()

    def m002_fails(db):
        db.execute("INSERT OR REPLACE INTO meta VALUES ('setting.high_contrast', 'true')")
        raise RuntimeError("upgrade failed half-way")

    _with_upgrades(monkeypatch, m002_fails)
    with pytest.raises(RuntimeError):
        open_cache(path)
    monkeypatch.undo()
    db = open_cache(path)
    assert _applied(db) == {"m001_idle_lock_as_read"} and _meta(db, "setting.high_contrast") is None
    db.close()


def test_the_command_refuses_before_opening_the_cache(tmp_path, capsys):
    from console.cli import main

    db = tmp_path / "c.db"
    assert main(["--db", str(db), "settings", "font_size", "3"]) == 2
    assert main(["--db", str(db), "settings", "sync_interval_seconds", "2"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "There is no setting 'font_size'; the settings are idle_lock_minutes, hub_url, sync_interval_seconds, "
        f"high_contrast, dial_scheme, sip_domain, {', '.join(settings.LINE_SETTINGS)}.",
        "sync_interval_seconds must be a whole number from 5 to 3600."]
    assert not db.exists()


def test_supervisors_set_the_lines_target_and_thresholds_and_only_those(tmp_path):
    from console.core.roles import NotPermitted
    from console.store.cache import Cache

    cache = Cache.open(tmp_path / "roles.db")
    cache.add_operator("admin-1", "admin", "a long enough password")
    cache.add_operator("sup-1", "supervisor", "a long enough password")
    cache.add_operator("op-1", "operator", "a long enough password")
    cache.sign_in("sup-1", "a long enough password")
    assert settings.get(cache.db, "queue_target_seconds") == 60
    assert cache.set_setting("queue_target_seconds", "20") == "20"
    assert cache.set_setting("wallboard_service_level_red", "55") == "55"
    with pytest.raises(SettingRefused, match="from 0 to 100"):
        cache.set_setting("wallboard_service_level_amber", "120")
    with pytest.raises(NotPermitted):
        cache.set_setting("idle_lock_minutes", "5")
    cache.sign_in("op-1", "a long enough password")
    with pytest.raises(NotPermitted):
        cache.set_setting("queue_target_seconds", "30")
    assert settings.get(cache.db, "queue_target_seconds") == 20
    cache.close()
