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
