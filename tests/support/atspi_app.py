"""The console's window for the AT-SPI test (tests/ui/test_screen_reader.py), run by the venv's python
under Xvfb with the xcb platform and Qt's AT-SPI bridge on.

It opens the window on the sample register with a call whose caller's details are typed, prints "ready",
then obeys one command a line on stdin: "tab" (a Tab key to the focused widget), "check" (check the
caller, as Enter does), "extortion" (the flag, as Alt+X), "first" (the focus on the first field), "quit". Each command is answered with "done <command>" once Qt has handled it.
"""

import sys
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[2]


def main(register: str) -> int:
    from console.ui.app import make_app
    from tests.support.window import in_memory_keystore, window_on

    app = make_app()
    in_memory_keystore()  # a throwaway cache
    # tall enough that no panel scrolls, even with the scam report open: a stop's place on the screen is
    # then its place in its panel, which the focus order is checked against
    window = window_on(register, "op-atspi", size=(1400, 1080))
    screen = window.call_screen

    def started():
        if window.session is None or not window.isActiveWindow():
            return False
        screen.new_call()
        caller = ("Ngāti-Rēhia", "Hine", "29/2/1968", "7QF2-M9DA")  # affected: the files are listed
        for edit, text in zip((screen.family_name, screen.given_name, screen.dob, screen.code), caller):
            edit.setText(text)
        screen.caller_type.setFocus()  # the first field: the walker follows Tab from here
        return True

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Read)

    def command():
        line = sys.stdin.readline().strip()
        if line == "tab":
            QTest.keyClick(QApplication.focusWidget() or window, Qt.Key_Tab)
        elif line == "check":
            screen.check_caller()
        elif line == "extortion":  # as Alt+X does
            screen.flag_boxes["extortion"].toggle()
        elif line == "first":
            screen.caller_type.setFocus()
        elif line in ("quit", ""):
            notifier.setEnabled(False)
            window.worker.shutdown()
            app.exit(0)  # not quit(): the window refuses to close on a call in progress
            return
        print("done", line, flush=True)

    notifier.activated.connect(command)
    # ready once the session is open and the window active: looked at as the event loop turns
    poll = QTimer(window)

    def maybe_ready():
        if started():
            poll.stop()
            print("ready", flush=True)

    poll.timeout.connect(maybe_ready)
    poll.start(50)
    return app.exec()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main(sys.argv[1]))
