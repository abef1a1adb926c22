"""Keys (issue 15, "Keys, reading, sizes"): no Alt+letter used twice on what a window shows,
no shortcut bound twice or onto a mnemonic, and F1 lists every key."""

from collections import Counter

import pytest

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QTabWidget, QWidget

from test_callback_dial import dialling  # noqa: F401 (fixture)
from test_supervisor import fixed_clock, open_dashboard, seeded_window  # noqa: F401 (fixtures)


def mnemonic(text: str) -> str | None:
    text = text.replace("&&", "")
    at = text.find("&")
    return text[at + 1].upper() if 0 <= at < len(text) - 1 else None


def shown_mnemonics(window) -> list[tuple[str, str]]:
    """(letter, text) of every Alt+letter active on what the window shows: the menu bar's titles,
    and the visible labels, buttons, group boxes and tabs."""
    found = [(mnemonic(a.text()), a.text()) for a in window.menuBar().actions()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        texts = []
        if isinstance(widget, (QLabel, QAbstractButton)):
            texts.append(widget.text())
        if isinstance(widget, QGroupBox) and widget.isCheckable():
            texts.append(widget.title())
        if isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        found += [(mnemonic(t), t) for t in texts]
    return [(letter, text) for letter, text in found if letter]


def every_action(window) -> list[QAction]:
    """The window's actions and every menu's, each once: a menu-only key is still a key."""
    actions = list(window.actions())
    for menu in window.menuBar().actions():
        actions += [a for a in menu.menu().actions() if a not in actions and not a.isSeparator()]
    return actions


def assert_no_clash(window):
    found = shown_mnemonics(window)
    twice = {letter for letter, n in Counter(letter for letter, _ in found).items() if n > 1}
    assert not twice, sorted((letter, text) for letter, text in found if letter in twice)
    shortcuts = [a.shortcut().toString() for a in every_action(window) if not a.shortcut().isEmpty()]
    assert len(shortcuts) == len(set(shortcuts)), shortcuts
    alt = {f"Alt+{letter}" for letter, _ in found}
    assert not alt & set(shortcuts)


def test_no_mnemonic_twice_on_the_call_screen(qtbot, window, screen):
    screen.new_call()
    screen.caller_type.setCurrentIndex(screen.caller_type.findData("representative"))
    assert_no_clash(window)
    screen.family_name.setText("Pōtae")  # not verified: the callback button shows
    screen.given_name.setText("Wiremu")
    screen.dob.setText("24/12/1944")
    screen.nhi.setText("ZZZ0016")
    screen.email.setText("w@example.nz")
    screen.check_caller()
    qtbot.waitUntil(lambda: screen.call.verification is not None, timeout=5000)
    assert screen.callback_button.isVisible()
    assert_no_clash(window)


def test_no_mnemonic_twice_with_every_part_of_the_call_screen_shown(qtbot, dialling):
    """The parts shown only now and then: the callbacks-to-dial row, the scam report, the skip
    reason, the leave bar, all at once; then the sign-in screen."""
    window, screen, _ = dialling
    screen.new_call()
    screen.family_name.setText("Pōtae")
    screen.flag_boxes["extortion"].setChecked(True)
    screen._show_skip_reason(["opening"])
    screen.new_call()  # a call with something in it: the leave bar asks
    for part in (screen.dial_box, screen.scam, screen.skip_reason, screen.leave_bar):
        assert part.isVisible(), part.accessibleName()
    assert_no_clash(window)
    screen.keep_call()
    window.lock_now()
    assert window.gate.isVisible() and window.gate.password.isVisible()
    assert_no_clash(window)


def test_no_mnemonic_twice_on_any_dashboard_tab(qtbot, seeded_window):
    view = open_dashboard(qtbot, seeded_window)
    for tab in range(view.tabs.count()):
        view.tabs.setCurrentIndex(tab)
        assert_no_clash(seeded_window)


def test_f1_lists_every_key(qtbot, window, screen):
    window.shortcuts_action.setChecked(True)
    table = window.shortcuts_panel.widget()
    listed = " ".join(table.item(r, 0).text() for r in range(table.rowCount()))
    for action in every_action(window):  # menu-only ones too (View → Wallboard)
        if not action.shortcut().isEmpty():
            assert action.shortcut().toString() in listed, action.text()
    for letter, text in shown_mnemonics(window):
        assert f"Alt+{letter}" in listed, text
    for keys in ("Enter", "Space", "Esc", "Tab", "Page Down"):
        assert keys in listed, keys


def elided_rows(table) -> list[str]:
    """The rows whose text the table cuts off: the keys on one line, the description wrapped to its
    column, each within its cell's width less the style's text margins, and the columns within the view."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyle

    margin = 2 * (table.style().pixelMetric(QStyle.PM_FocusFrameHMargin, None, table) + 1)
    metrics = table.fontMetrics()
    cut = []
    for row in range(table.rowCount()):
        keys, does = table.item(row, 0).text(), table.item(row, 1).text()
        room = table.columnWidth(1) - margin
        wrapped = metrics.boundingRect(QRect(0, 0, room, 100_000), Qt.TextWordWrap, does)
        if (metrics.horizontalAdvance(keys) > table.columnWidth(0) - margin or wrapped.width() > room
                or wrapped.height() > table.rowHeight(row)):
            cut.append(f"{keys}: {does}")
    if table.columnWidth(0) + table.columnWidth(1) > table.viewport().width():
        cut.append("the columns are wider than the panel")
    return cut


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_f1_shows_every_row_whole(qtbot, window, screen, size):
    window.resize(*size)
    screen.new_call()
    qtbot.keyClick(screen.family_name, Qt.Key_F1)
    assert window.shortcuts_panel.isVisible()
    qtbot.wait(50)  # the dock takes its size
    table = window.shortcuts_panel.widget()
    assert table.rowCount() > 20
    assert elided_rows(table) == []
    assert table.width() <= window.width() // 2  # the call screen stays beside it


def test_page_down_scrolls_the_script_and_stays_on_the_list(qtbot, window, screen):
    window.resize(1280, 720)
    screen.new_call()
    screen.flag_boxes["distress"].setChecked(True)
    screen.guidance_view.setFocus()
    screen.script_text.setMarkdown("\n\n".join(f"Paragraph {n}." for n in range(200)))
    bar = screen.script_text.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    current = screen.guidance_view.currentIndex().row()
    qtbot.keyClick(screen.guidance_view, Qt.Key_PageDown)
    assert bar.value() > 0 and screen.guidance_view.hasFocus()
    assert screen.guidance_view.currentIndex().row() == current
