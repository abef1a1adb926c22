"""Sign-in at window start, the idle lock and the 12-hour lock, on a fake clock."""

import pytest

from console.core.session import Session

PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def test_session_rules_on_a_fake_clock():
    clock = FakeClock()
    session = Session("op-1", idle_minutes=10, clock=clock)
    clock.advance(9 * 60)
    assert session.check() is None
    session.activity()
    clock.advance(9 * 60)
    assert session.check() is None
    clock.advance(61)
    assert session.check() == "idle"
    session.activity()  # input while locked does not unlock
    assert session.check() == "idle"
    session.unlocked()
    for _ in range(12 * 6):
        clock.advance(9 * 60 + 59)
        session.activity()
        if session.check():
            break
    assert session.locked == "session_age"
    session.unlocked()
    assert session.check() is None


@pytest.fixture
def signed_window(qtbot, tmp_path, sample_register):
    from console.store.cache import Cache
    from console.ui.app import build_window

    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path)
    cache.import_register(sample_register)
    cache.add_operator("admin-1", "admin", PASSWORD)
    cache.add_operator("op-1", "operator", PASSWORD)
    cache.set_setting("idle_lock_minutes", "5")
    cache.close()
    clock = FakeClock()
    window = build_window(db_path, clock=clock)
    qtbot.addWidget(window)
    window.show()
    window.clock_for_test = clock
    yield window
    window.worker.shutdown()


def sign_in(qtbot, window, who, password):
    window.gate.operator_id.setText(who)
    window.gate.password.setText(password)
    window.gate.button.click()


def test_sign_in_is_required_and_checked(qtbot, signed_window):
    window = signed_window
    qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
    assert window.stack.currentWidget() is window.gate
    assert window.operator_label.text() == "Not signed in"  # not the workstation's user (issue 15)
    assert not any(a.isEnabled() for a in window.call_actions)
    sign_in(qtbot, window, "op-1", "wrong password")
    qtbot.waitUntil(lambda: "Sign-in failed" in window.gate.message.text(), timeout=10_000)
    sign_in(qtbot, window, "op-1", PASSWORD)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.call_screen, timeout=10_000)
    assert window.call_screen.operator == "op-1" and window.session.idle_minutes == 5


def test_idle_lock_keeps_the_open_call_hidden_and_needs_the_password(qtbot, signed_window):
    window = signed_window
    qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
    sign_in(qtbot, window, "op-1", PASSWORD)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    screen = window.call_screen
    screen.new_call()
    screen.family_name.setText("Pōtae")
    window.clock_for_test.advance(4 * 60)
    window.check_session()
    assert window.stack.currentWidget() is screen
    window.clock_for_test.advance(61)
    window.check_session()
    assert window.stack.currentWidget() is window.gate and not screen.isVisible()
    assert "Locked" in window.gate.title.text() and window.gate.operator_id.isReadOnly()
    assert not any(a.isEnabled() for a in window.call_actions)
    sign_in(qtbot, window, "op-1", "not the password")
    qtbot.waitUntil(lambda: "Sign-in failed" in window.gate.message.text(), timeout=10_000)
    assert window.stack.currentWidget() is window.gate
    sign_in(qtbot, window, "op-1", PASSWORD)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is screen, timeout=10_000)
    assert screen.family_name.text() == "Pōtae" and screen.call is not None


def test_twelve_hours_lock_regardless_of_activity(qtbot, signed_window):
    window = signed_window
    qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
    sign_in(qtbot, window, "op-1", PASSWORD)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    for _ in range(12 * 60 // 4):
        window.clock_for_test.advance(4 * 60)
        window.note_activity()
        window.check_session()
        if window.stack.currentWidget() is window.gate:
            break
    assert window.session.locked == "session_age"
    assert "12 hours" in window.gate.title.text()


def test_the_idle_lock_is_announced_and_a_key_extends_it(qtbot, signed_window, monkeypatch):
    from console.ui import main_window

    announced = []
    real_update = main_window.QAccessible.updateAccessibility

    def update(event):
        if isinstance(event, main_window.QAccessibleAnnouncementEvent):
            announced.append(event.message())
        real_update(event)

    monkeypatch.setattr(main_window.QAccessible, "updateAccessibility", update)
    window = signed_window
    qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
    sign_in(qtbot, window, "op-1", PASSWORD)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    window.clock_for_test.advance(4 * 60 + 10)
    window.check_session()
    assert "locks in 50 s" in window.statusBar().currentMessage()
    window.clock_for_test.advance(5)
    window.check_session()  # the count goes on in the status bar; a screen reader heard it once
    assert [m for m in announced if "locks in" in m] == [
        "The console locks in 50 s for inactivity: press any key to stay signed in."]
    qtbot.keyClick(window.call_screen.family_name, "a")  # any key: still here
    window.clock_for_test.advance(30)
    window.check_session()
    assert window.stack.currentWidget() is window.call_screen
    assert "locks in" not in window.statusBar().currentMessage()
