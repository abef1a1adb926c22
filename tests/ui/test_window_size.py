"""Sizes (issue 15): the window fits a 1280×720 screen and opens maximised on a larger one."""

from PySide6.QtCore import QRect, Qt


def test_the_window_fits_1280_by_720(qtbot, window, screen):
    screen.new_call()
    screen.leave_bar.show()
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert hint.width() <= 1280 and hint.height() <= 720 - 40  # 40 px for the title bar


def test_it_opens_maximised_on_a_larger_screen_and_fills_a_small_one(qtbot, window):
    from console.ui.app import show_on

    window.showNormal()
    show_on(window, QRect(0, 0, 1280, 690))
    assert not window.windowState() & Qt.WindowMaximized
    assert window.geometry().size().width() == 1280
    show_on(window, QRect(0, 0, 1920, 1050))
    assert window.windowState() & Qt.WindowMaximized
