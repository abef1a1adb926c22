"""Themes: the platform's own, or high contrast. Sizes follow the system font."""

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from console.paths import resource_path

_default_palette = None


def apply_theme(high_contrast: bool) -> None:
    global _default_palette
    app = QApplication.instance()
    if _default_palette is None:
        _default_palette = QPalette(app.palette())
    base = (resource_path("styles", "console.qss")).read_text(encoding="utf-8")
    if not high_contrast:
        app.setPalette(_default_palette)
        app.setStyleSheet(base)
        return
    palette = QPalette()
    black, white, yellow, cyan = QColor("#000000"), QColor("#ffffff"), QColor("#ffff00"), QColor("#00ffff")
    for role, colour in ((QPalette.Window, black), (QPalette.WindowText, white), (QPalette.Base, black),
                         (QPalette.AlternateBase, QColor("#1a1a1a")), (QPalette.Text, white),
                         (QPalette.Button, black), (QPalette.ButtonText, white), (QPalette.Highlight, yellow),
                         (QPalette.HighlightedText, black), (QPalette.ToolTipBase, black),
                         (QPalette.ToolTipText, white), (QPalette.Link, cyan), (QPalette.PlaceholderText, QColor("#c0c0c0"))):
        palette.setColor(role, colour)
    app.setPalette(palette)
    app.setStyleSheet(base + (resource_path("styles", "high-contrast.qss")).read_text(encoding="utf-8"))
