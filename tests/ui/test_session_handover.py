"""Lock, sign-in and shift handover (issue 15, "Lock and sign-in"): the demo can be unlocked, a refused
sign-in is read in full, an operator signs out and the next signs in, each audited."""

from PySide6.QtCore import QPoint, Qt

from test_session import PASSWORD, sign_in, signed_window  # noqa: F401 (fixture)


def session_audit(window) -> list[tuple[str, str]]:
    return window.worker.run(lambda cache: list(cache.db.execute(
        "SELECT kind, operator FROM audit WHERE kind IN ('sign_in', 'sign_out') ORDER BY seq"))).result()


def test_the_demo_has_an_account_whose_password_it_shows_so_ctrl_l_can_be_undone(qtbot, tmp_path):
    from console.demo import prepare_demo
    from console.ui.app import build_window

    demo = prepare_demo(1500, folder=tmp_path / "demo")
    assert demo.password and demo.password in demo.instructions()
    assert f"--operator demo-operator" in demo.instructions()
    window = build_window(demo.cache_path, operator="demo-operator", demo=demo)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
        assert window.gate.hint.isVisible() and demo.password in window.gate.hint.text()
        assert window.gate.operator_id.text() == "demo-operator"
        window.gate.password.setText(demo.password)
        window.gate.button.click()
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.call_screen, timeout=10_000)
        qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)
        assert window.stack.currentWidget() is window.gate and "Locked" in window.gate.title.text()
        assert window.gate.hint.isVisible() and demo.password in window.gate.hint.text()
        window.gate.password.setText(demo.password)
        window.gate.button.click()
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.call_screen, timeout=10_000)
    finally:
        window.worker.shutdown()
        demo.discard()


def test_outside_the_demo_no_password_is_shown(qtbot, signed_window):
    window = signed_window
    qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
    assert not window.gate.hint.isVisible() and window.gate.hint.text() == ""


def test_a_refused_sign_in_is_read_in_full_on_the_smallest_screen(qtbot, signed_window):
    window = signed_window
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
    sign_in(qtbot, window, "op-1", "wrong password")
    qtbot.waitUntil(lambda: "Sign-in failed" in window.gate.message.text(), timeout=10_000)
    message = window.gate.message
    qtbot.waitUntil(lambda: message.height() >= message.heightForWidth(message.width()), timeout=5000)
    assert message.wordWrap() and message.width() >= 300
    corner = message.mapTo(window, QPoint(message.width(), message.height()))
    assert window.rect().contains(corner)


def test_sign_out_hands_the_console_to_the_next_operator(qtbot, signed_window):
    window = signed_window
    qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
    sign_in(qtbot, window, "op-1", PASSWORD)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.call_screen, timeout=10_000)
    assert window.operator_label.text() == "Operator: op-1"
    screen = window.call_screen
    screen.new_call()
    screen.family_name.setText("Pōtae")
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)
    # a call with something in it is not left behind
    assert window.stack.currentWidget() is screen and screen.family_name.text() == "Pōtae"
    assert "A call is open" in window.statusBar().currentMessage()
    screen.family_name.setText("")
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.gate, timeout=10_000)
    assert window.gate.title.text().startswith("Sign in") and not window.gate.operator_id.isReadOnly()
    assert "op-1 signed out" in window.gate.message.text()
    assert window.operator_label.text() == "Not signed in"
    assert not any(a.isEnabled() for a in window.call_actions) and not window.dashboard_action.isEnabled()
    assert screen.call is None
    sign_in(qtbot, window, "admin-1", PASSWORD)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.call_screen, timeout=10_000)
    assert window.operator_label.text() == "Operator: admin-1" and screen.operator == "admin-1"
    assert window.dashboard_action.isEnabled()
    assert session_audit(window) == [("sign_in", "op-1"), ("sign_out", "op-1"), ("sign_in", "admin-1")]


def test_sign_out_is_in_the_menu_and_the_keys_list(qtbot, signed_window):
    window = signed_window
    assert window.sign_out_action.shortcut().toString() == "Ctrl+Shift+L"
    assert "Ctrl+Shift+L" in [keys for keys, _ in window._shortcut_rows]
