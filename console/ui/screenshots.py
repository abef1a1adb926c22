"""Screenshots of the real window for the README.

Run under a virtual screen with the X11 platform, e.g.:
    xvfb-run -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb python -m console.ui.screenshots resources/screenshots
It drives the window on the sample register: a new call, a verified-affected
caller mid-call (guidance partly delivered) with its verdict banner close up and
in high contrast, and a caller who is not verified; then, over a
synthetic surge day, the Supervisor dashboard (its overview, its queues, the
high-contrast theme) and the first pages of its daily report; over a
synthetic line day, the Line tab and the wallboard (fresh and stale); and a
new workstation's setup assistant.
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


def shoot(window, path: Path, whole_window: bool = True):
    """The window as the X server shows it (xcb), or one widget of it as Qt paints it."""
    settle(400)
    screen = QApplication.primaryScreen()
    image = (screen.grabWindow(window.winId()) if whole_window and QApplication.platformName() == "xcb"
             else window.grab())
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
    shoot(screen.verdict.parentWidget(), out_dir / "verdict-banner.png", whole_window=False)
    window.high_contrast.setChecked(True)
    shoot(window, out_dir / "call-high-contrast.png")
    window.high_contrast.setChecked(False)
    screen.new_call()
    screen.family_name.setText("Pōtae")
    screen.given_name.setText("Wiremu")
    screen.dob.setText("24 December 1944")
    screen.check_caller()
    wait_for(lambda: screen.call.verification is not None)
    shoot(window, out_dir / "not-verified.png")
    screen._clear_form()
    shoot_dashboard(window, out_dir)
    shoot_line(window, out_dir)
    window.worker.shutdown()
    shoot_setup(out_dir)
    return 0


def shoot_setup(out_dir: Path):
    """A new workstation's first start: the setup assistant, on its hub page."""
    from console.ui.app import build_window

    window = build_window(Path(tempfile.mkdtemp(prefix="helpline-new-")) / "cache.db", operator="new")
    window.resize(1500, 940)
    window.show()
    wait_for(lambda: getattr(window, "setup_assistant", None) is not None)
    assistant = window.setup_assistant
    shoot(window, out_dir / "setup-choice.png")
    assistant.next_button.click()
    assistant.hub_url.setText("https://hub.helpline.example")
    assistant.hub_operator.setText("op-17")
    assistant.hub_password.setText("correct horse battery staple")
    shoot(window, out_dir / "setup-hub.png")
    window.close()
    window.worker.shutdown()


def shoot_line(window, out_dir: Path):
    """The dashboard's Line tab and the wallboard over a synthetic line day at 14:20
    (console.demo.line_day: the core's figures, as the hub gives them)."""
    from datetime import datetime, time, timedelta

    from console.core.timeutil import HELPLINE_ZONE, now
    from console.demo.line_day import demo_line_reader

    window.set_hub_reader(demo_line_reader(datetime.combine(now().date(), time(14, 20), HELPLINE_ZONE)))
    window.show_supervisor()
    view = window.supervisor
    view.tabs.setCurrentWidget(view.line)
    wait_for(lambda: view.line.figures is not None and not view.line.refreshing)
    shoot(window, out_dir / "dashboard-line.png")
    window.show_wallboard()
    wait_for(lambda: window.wallboard is not None and window.wallboard.figures is not None)
    board = window.wallboard
    shoot(board, out_dir / "wallboard.png")
    later = board.last_success + timedelta(seconds=3 * board.period_seconds)
    board.clock = lambda: later
    board._timer.stop()  # the figures stay as they were: the shot shows them gone stale
    board.check_stale()
    shoot(board, out_dir / "wallboard-stale.png")
    board.close_down()
    board.close()
    window.show_call_screen()


def surge_until():
    """Where the surge day the dashboard is shot over ends: 16:30 on the
    helpline's clock today, or yesterday before then, so the shots show a
    whole day's calls at whatever hour they are taken (just after midnight
    in New Zealand, "today" has none)."""
    from datetime import timedelta

    from console.core.timeutil import HELPLINE_ZONE, now

    local = now().astimezone(HELPLINE_ZONE)
    end = local.replace(hour=16, minute=30, second=0, microsecond=0)
    return end if end <= local else end - timedelta(days=1)


def seed_surge_day(cache, until):
    """The calls of the day `until` ends and of the day before (never about the
    callers shot above), two overdue callbacks and a person locked out, for the dashboard."""
    from datetime import date, timedelta

    from console.core.policy import CallerClaim
    from console.core.timeutil import now
    from console.demo.surge_day import demo_calls

    at = now()
    cache.log_calls(demo_calls(until, ["S0002", "S0003", "S0004", "S0005"]))
    for hours in (2, 1):
        cache.book_callback(CallerClaim("O'Connor", "Patrick", date(1952, 11, 3)), due_at=at - timedelta(hours=hours))
    for minutes in (30, 20, 10):
        cache.verify_caller(CallerClaim("Smith", "Jane", date(1979, 4, 1)), at=at - timedelta(minutes=minutes))


def shoot_dashboard(window, out_dir: Path):
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    from PySide6.QtCore import QDate

    until = surge_until()
    window.worker.run(lambda cache: seed_surge_day(cache, until)).result()  # after the call screen's shots
    window.refresh_status()
    window.show_supervisor()
    view = window.supervisor
    view.day_edit.setDate(QDate(until.date()))  # that day: today, or yesterday named by its date
    wait_for(lambda: view.figures is not None and not view.refreshing)
    shoot(window, out_dir / "dashboard.png")
    view.tabs.setCurrentIndex(2)  # the queues
    shoot(window, out_dir / "dashboard-queues.png")
    view.tabs.setCurrentIndex(0)
    window.high_contrast.setChecked(True)
    shoot(window, out_dir / "dashboard-high-contrast.png")
    window.high_contrast.setChecked(False)
    view.notes.setPlainText("Calls peaked at 10:00 after the morning news; Northland lines were doubled from 11:00.")
    report = Path(tempfile.mkdtemp(prefix="helpline-report-")) / "report.pdf"
    view.ask_save_path = lambda *_: str(report)
    view.save_report()
    wait_for(lambda: report.exists() and view.report_message.text().startswith("The report"))
    document = QPdfDocument()
    document.load(str(report))
    for page in range(min(2, document.pageCount())):
        path = out_dir / f"report-page-{page + 1}.png"
        document.render(page, QSize(827, 1169)).save(str(path))
        print(f"wrote {path}")
    window.show_call_screen()


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
