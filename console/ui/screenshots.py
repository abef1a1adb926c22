"""Screenshots of the real window for the README.

Run under a virtual screen with the X11 platform, e.g.:
    xvfb-run -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb python -m console.ui.screenshots resources/screenshots
It drives the window on the sample register: a new call, a verified-affected
caller with guidance, and a caller who is not verified.
"""

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from console.paths import resource_path


def settle(ms: int = 300):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition, timeout_ms: int = 10_000):
    waited = 0
    while not condition() and waited < timeout_ms:
        settle(50)
        waited += 50


def shoot(window, path: Path):
    settle(400)
    screen = QApplication.primaryScreen()
    image = screen.grabWindow(window.winId()) if QApplication.platformName() == "xcb" else window.grab()
    image.save(str(path))
    print(f"wrote {path}")


def main(out: str, register: str | None = None) -> int:
    from console.store.cache import Cache
    from console.ui.app import build_window

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    register = register or str(resource_path("sample-register"))
    db = Path(tempfile.mkdtemp(prefix="helpline-shots-")) / "cache.db"
    cache = Cache.open(db, operator="setup")
    cache.import_register(register)
    cache.close()
    window = build_window(db, operator="op-17")
    window.resize(1500, 940)
    window.show()
    screen = window.call_screen
    screen.new_call()
    screen.family_name.setText("Ngāti-Rēhia")
    screen.given_name.setText("Hine")
    screen.dob.setText("29/2/1968")
    shoot(window, out_dir / "new-call.png")
    screen.code.setText("7QF2-M9DA")
    screen.flag_boxes["distress"].setChecked(True)
    screen.check_caller()
    wait_for(lambda: screen.call.verification is not None)
    screen.tick_current_script()
    screen.tick_current_script()
    shoot(window, out_dir / "verified-affected.png")
    screen.new_call()
    screen.family_name.setText("Pōtae")
    screen.given_name.setText("Wiremu")
    screen.dob.setText("24 December 1944")
    screen.check_caller()
    wait_for(lambda: screen.call.verification is not None)
    shoot(window, out_dir / "not-verified.png")
    screen._clear_form()
    window.worker.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
