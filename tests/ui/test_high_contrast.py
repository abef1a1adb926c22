"""High contrast (issue 15): unticked checkboxes stay visible and disabled fields look disabled."""

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyle, QStyleOptionButton


def light_pixels(image, rect) -> int:
    return sum(QColor(image.pixel(x, y)).lightness() > 128
               for x in range(rect.left(), rect.right() + 1) for y in range(rect.top(), rect.bottom() + 1))


def test_unticked_boxes_show_and_disabled_fields_look_disabled(qtbot, window, screen):
    from console.ui.theme import apply_theme

    window.high_contrast.setChecked(True)
    try:
        screen.new_call()
        box = screen.flag_boxes["distress"]
        assert not box.isChecked()
        option = QStyleOptionButton()
        option.initFrom(box)
        indicator = box.style().subElementRect(QStyle.SE_CheckBoxIndicator, option, box)
        assert light_pixels(box.grab().toImage(), indicator) > 8  # an outline at least
        screen.flag_boxes["extortion"].setChecked(False)  # its scam report closed
        for enabled, disabled in ((screen.family_name, screen.scam_contact), (screen.caller_type, screen.relationship)):
            assert enabled.isEnabled() and not disabled.isEnabled()
            size = enabled.size().boundedTo(disabled.size())
            a, b = enabled.grab().toImage(), disabled.grab().toImage()
            top = lambda image: [image.pixel(x, 0) for x in range(4, size.width() - 4)]
            assert top(a) != top(b), disabled.accessibleName()
    finally:
        window.high_contrast.setChecked(False)
        apply_theme(False)


def test_every_unticked_box_shows_in_high_contrast(qtbot, window, screen):
    """Not only the flags: Escalate, and the boxes of the topics and the guidance scripts, unticked, each
    show at least an outline (high contrast once hid every unticked checkbox)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtWidgets import QApplication

    from console.ui.theme import apply_theme

    window.high_contrast.setChecked(True)
    try:
        screen.new_call()
        QApplication.processEvents()
        option = QStyleOptionButton()
        option.initFrom(screen.escalate)
        assert not screen.escalate.isChecked()
        indicator = screen.escalate.style().subElementRect(QStyle.SE_CheckBoxIndicator, option, screen.escalate)
        assert light_pixels(screen.escalate.grab().toImage(), indicator) > 8
        for view in (screen.topics, screen.guidance_view):
            index = view.model().index(0, 0)
            assert index.data(Qt.CheckStateRole) in (0, Qt.Unchecked)
            row = view.visualRect(index)
            image = view.viewport().grab().toImage()
            # the check box sits at the row's start, as tall as the row: look there only
            box = QRect(row.left(), row.top(), min(row.height() + 4, row.width()), row.height())
            assert light_pixels(image, box) > 8, view.accessibleName()
    finally:
        window.high_contrast.setChecked(False)
        apply_theme(False)
