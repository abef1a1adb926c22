"""Keystroke benchmark (issue 15): the six kinds of call, driven through the real window by keys alone.

Prints, per call, the command keys (every key that is not a typed character of a field) and the typed
characters, for this checkout beside a baseline measured in the same run: the same driver on the
window as it was at a given commit (default: where this branch left main, `git merge-base HEAD main`),
unpacked with `git archive` into a temp folder. The reviewer's own count on the window before issue 15
(29 command keys for a code-verified call, 32 for an extortion contact with a scam report) and the
goals (15 and 22) are printed beside them.

Usage: python tests/perf/bench_keystrokes.py [--baseline COMMIT | --no-baseline] [--steps]
Runs offscreen (QT_QPA_PLATFORM=offscreen unless set); the callers come from a demo register
(console.demo.register, 3,000 persons, seed 1).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.append(str(REPO))  # after PYTHONPATH: a child measures the code its PYTHONPATH names first

from tests.support.baseline import baseline_tree, run_child  # noqa: E402 (after the path)


def drive(register: str, steps: bool) -> dict:
    """In this process: open the window on the register and drive the six calls (the code on sys.path)."""
    from datetime import date

    from PySide6.QtCore import QEventLoop, QTimer

    from console.ui.app import make_app
    from tests.support.call_keys import KINDS, drive_all, pick_callers
    from tests.support.window import in_memory_keystore, window_on

    app = make_app()
    in_memory_keystore()

    def wait_until(condition, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not answer in time")
            loop = QEventLoop()
            QTimer.singleShot(10, loop.quit)  # let the window's events run, then look again
            loop.exec()

    window = window_on(register, "op-bench")
    wait_until(lambda: window.session is not None, 20_000)
    counts = drive_all(window, wait_until, pick_callers(Path(register), date.today()))
    window.worker.shutdown()
    app.processEvents()
    return {kind: {"keys": counts[kind].keys, "typed": counts[kind].typed,
                   **({"steps": counts[kind].steps} if steps else {})} for kind in KINDS}


def measure(code_root: Path, register: str, steps: bool) -> dict:
    """Drive the window of the code under code_root in a child process (its own QApplication)."""
    return run_child(__file__, code_root, [register] + (["--steps"] if steps else []), timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="commit to measure beside this checkout (default: merge-base with main)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--steps", action="store_true", help="print every command key pressed (both windows)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(drive(args.child, args.steps)))
        return 0

    from tests.support.call_keys import GOALS, KINDS, REVIEWER, write_register

    register = str(write_register(Path(tempfile.mkdtemp(prefix="keystrokes-register-"))))
    now = measure(REPO, register, args.steps)
    before, label = None, None
    if not args.no_baseline:
        commit = args.baseline or subprocess.run(["git", "-C", str(REPO), "merge-base", "HEAD", "main"],
                                                 check=True, capture_output=True, text=True).stdout.strip()
        label = commit[:8]
        before = measure(baseline_tree(commit, "keystrokes"), register, args.steps)
    print(f"Command keys / typed characters per call (demo register, {len(KINDS)} calls, keyboard only)")
    header = f"{'call':24} {'this checkout':>15}"
    if before:
        header += f" {'baseline ' + label:>18}"
    print(header + f" {'reviewer':>9} {'goal':>6}")
    for kind in KINDS:
        line = f"{kind:24} {now[kind]['keys']:>7} / {now[kind]['typed']:>4} "
        if before:
            line += f"{before[kind]['keys']:>11} / {before[kind]['typed']:>4} "
        line += f"{REVIEWER.get(kind, ''):>9} {('<= ' + str(GOALS[kind])) if kind in GOALS else '':>6}"
        print(line)
    if args.steps:
        for kind in KINDS:
            print(f"\n{kind}: " + ", ".join(now[kind]["steps"]))
            if before:
                print(f"{kind}, baseline {label}: " + ", ".join(before[kind]["steps"]))
    met = all(now[kind]["keys"] <= goal for kind, goal in GOALS.items())
    print("\ngoals " + ("met" if met else "NOT met"))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
