#!/usr/bin/env python3
"""Render the application icon from its SVG source into the committed PNGs and
the Windows .ico:

    resources/icons/hicolor/scalable/apps/<APP_ID>.svg          the source
    resources/icons/hicolor/<N>x<N>/apps/<APP_ID>.png           N in SIZES (the window and Linux desktops)
    packaging/windows/helpline-console.ico                       every size, for the Windows bundle's .exe

Run after changing the SVG: .venv/bin/python packaging/make-icons.py
(Qt's SVG renderer, offscreen: no display needed.)
"""

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from console import APP_ID  # noqa: E402

SIZES = (16, 32, 48, 64, 128, 256)
ICONS = ROOT / "resources" / "icons" / "hicolor"
SOURCE = ICONS / "scalable" / "apps" / f"{APP_ID}.svg"
WINDOWS_ICON = ROOT / "packaging" / "windows" / "helpline-console.ico"


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico(pngs: dict[int, bytes]) -> bytes:
    """An .ico holding each size as a PNG (read by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 stands for 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(images))
        images += png
    return header + entries + images


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QImage painting needs one)
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"{SOURCE} is not an SVG Qt can render.", file=sys.stderr)
        return 1
    pngs = {}
    for size in SIZES:
        pngs[size] = render_png(renderer, size)
        target = ICONS / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
        print(f"wrote {target.relative_to(ROOT)}")
    WINDOWS_ICON.parent.mkdir(parents=True, exist_ok=True)
    WINDOWS_ICON.write_bytes(ico(pngs))
    print(f"wrote {WINDOWS_ICON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
