"""The application icon: one id, every size rendered from the SVG source, on every window."""

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

from console import APP_ID
from console.paths import resource_path
from console.ui.app import ICON_SIZES, app_icon, make_app


def test_every_size_is_there_and_is_that_size():
    hicolor = resource_path("icons", "hicolor")
    assert (hicolor / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for size in ICON_SIZES:
        image = QImage(str(hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
        assert image.size() == QSize(size, size) and image.hasAlphaChannel()
    assert sorted(p.parent.parent.name for p in hicolor.glob(f"*/apps/{APP_ID}.png")) == sorted(
        f"{size}x{size}" for size in ICON_SIZES)


def test_the_window_icon_has_every_size(qapp):
    assert sorted(s.width() for s in app_icon().availableSizes()) == list(ICON_SIZES)
    app = make_app()
    assert app.windowIcon().availableSizes() == app_icon().availableSizes()
    assert app.desktopFileName() == APP_ID
