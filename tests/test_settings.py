"""Settings: declared once, typed, read leniently, written strictly, upgraded by version."""

import re

import pytest

from console import settings
from console.settings import SETTINGS, SettingRefused
from console.store.connection import open_cache


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


def test_written_through_the_cache_typed_canonical_and_audited(cache):
    assert settings.get_all(cache.db) == {"idle_lock_minutes": 10, "hub_url": "", "sync_interval_seconds": 30,
                                          "high_contrast": False}
    assert cache.set_setting("idle_lock_minutes", " 05 ") == "5"
    assert cache.set_setting("high_contrast", "Yes") == "true"
    assert cache.set_setting("hub_url", "https://hub.helpline.example/") == "https://hub.helpline.example/"
    assert cache.set_setting("hub_url", "http://localhost:8000") == "http://localhost:8000"
    assert cache.set_setting("sync_interval_seconds", 45) == "45"
    assert settings.get_all(cache.db) == {"idle_lock_minutes": 5, "hub_url": "http://localhost:8000",
                                          "sync_interval_seconds": 45, "high_contrast": True}
    with pytest.raises(SettingRefused):
        cache.set_setting("idle_lock_minutes", "0")
    assert settings.get(cache.db, "idle_lock_minutes") == 5
    changes = [e["detail"] for e in cache.audit_entries(kind="setting_changed")]
    assert changes[0] == {"setting": "idle_lock_minutes", "value": "5"} and len(changes) == 5


def _meta(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def test_a_new_cache_is_at_the_current_version(tmp_path):
    db = open_cache(tmp_path / "c.db")
    assert settings.settings_version(db) == len(settings.UPGRADES) and not settings.upgrades_pending(db)
    db.close()


@pytest.mark.parametrize("typed, stored", [("0", "1"), ("999", "60"), ("off", "10"), ("7", "7"), (" 5", "5")])
def test_upgrade_to_v1_stores_idle_lock_as_it_was_read(tmp_path, typed, stored):
    path = tmp_path / "c.db"
    db = open_cache(path)
    idle = settings.declared("idle_lock_minutes")
    db.execute("DELETE FROM meta WHERE key = 'settings_version'")  # as a cache made before settings were declared
    db.execute("INSERT OR REPLACE INTO meta VALUES ('setting.idle_lock_minutes', ?)", [typed])
    read_before = idle.decode(typed)
    db.close()
    db = open_cache(path)
    assert _meta(db, "setting.idle_lock_minutes") == stored
    assert settings.get(db, "idle_lock_minutes") == read_before
    assert settings.settings_version(db) == 1
    db.close()


def test_upgrades_run_once_in_order_and_never_downgrade(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    open_cache(path).close()
    ran = []

    def upgrade_to_v2(db):
        ran.append("v2")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('setting.sync_interval_seconds', '60')")

    def upgrade_to_v3(db):
        ran.append("v3")

    monkeypatch.setattr(settings, "UPGRADES", settings.UPGRADES + (upgrade_to_v2, upgrade_to_v3))
    db = open_cache(path)
    assert ran == ["v2", "v3"] and settings.settings_version(db) == 3
    assert settings.get(db, "sync_interval_seconds") == 60
    db.close()
    open_cache(path).close()
    assert ran == ["v2", "v3"]
    monkeypatch.setattr(settings, "UPGRADES", settings.UPGRADES[:1])  # an older console opens the newer cache
    db = open_cache(path)
    assert settings.settings_version(db) == 3 and settings.get(db, "sync_interval_seconds") == 60
    db.close()


def test_a_failed_upgrade_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    open_cache(path).close()

    def upgrade_to_v2(db):
        db.execute("INSERT OR REPLACE INTO meta VALUES ('setting.high_contrast', 'true')")
        raise RuntimeError("upgrade failed half-way")

    monkeypatch.setattr(settings, "UPGRADES", settings.UPGRADES + (upgrade_to_v2,))
    with pytest.raises(RuntimeError):
        open_cache(path)
    monkeypatch.undo()
    db = open_cache(path)
    assert settings.settings_version(db) == 1 and _meta(db, "setting.high_contrast") is None
    db.close()


def test_the_command_refuses_before_opening_the_cache(tmp_path, capsys):
    from console.cli import main

    db = tmp_path / "c.db"
    assert main(["--db", str(db), "settings", "font_size", "3"]) == 2
    assert main(["--db", str(db), "settings", "sync_interval_seconds", "2"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "There is no setting 'font_size'; the settings are idle_lock_minutes, hub_url, sync_interval_seconds, "
        "high_contrast.",
        "sync_interval_seconds must be a whole number from 5 to 3600."]
    assert not db.exists()
