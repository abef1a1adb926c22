"""Memory a call leaves behind (issue 15, trap 7): resident memory against the number of calls.

Drives N calls through the real window, each typed key by key as an operator would (a caller's family
and given names, date of birth, notification code and a note), then Ctrl+N and, where the window asks,
a reason for discarding it. Prints the growth of resident memory per call (the slope of a least-squares
line through samples taken every 250 calls after a warm-up of 250), for this checkout beside a baseline
driven the same way in the same run: the window as it was before the trap fixes (default ecb2982^, where
each field was emptied with an undoable QLineEdit.clear(), so every keystroke of every caller stayed in
its undo history), unpacked with `git archive` into a temp folder. The reviewer measured 1.9 KB a call on
that window (+21 MB over 10,000 calls, no plateau) and 0.19 KB a call without the undo history.

Usage: python tests/perf/bench_call_memory.py [--calls 3000] [--baseline COMMIT | --no-baseline]
Runs offscreen (QT_QPA_PLATFORM=offscreen unless set); each window runs in a child process of its own.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.append(str(REPO))  # after PYTHONPATH: a child measures the code its PYTHONPATH names first

from tests.support.baseline import baseline_tree, run_child  # noqa: E402 (after the path)

WARM_UP = 250
SAMPLE_EVERY = 250
DEFAULT_BASELINE = "ecb2982^"  # the window before issue 15's call-screen traps were fixed


def resident_bytes() -> int:
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def drive(register: str, calls: int) -> dict:
    """In this process: open the window on the register and drive `calls` calls; samples of memory."""
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtTest import QTest

    from console.ui.app import make_app
    from tests.support.window import in_memory_keystore, window_on

    app = make_app()
    in_memory_keystore()

    def wait_until(condition, timeout_ms=20_000):
        deadline = time.monotonic() + timeout_ms / 1000
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not answer in time")
            # until the next event (the worker's answer, the window's clock): no object made per wait,
            # so the benchmark's own waiting leaves nothing behind to be counted against the window
            app.processEvents(QEventLoop.WaitForMoreEvents)

    window = window_on(register, "op-bench")
    wait_until(lambda: window.session is not None)
    screen = window.call_screen
    samples = []
    for n in range(calls + 1):
        previous = screen.call
        QTest.keyClick(window, Qt.Key_N, Qt.ControlModifier)
        leave_bar = getattr(screen, "leave_bar", None)  # the fixed window asks before dropping a call
        if leave_bar is not None and leave_bar.isVisible():
            QTest.keyClicks(screen.leave_reason, "benchmark call")
            QTest.keyClick(screen.leave_reason, Qt.Key_Return)
        wait_until(lambda: screen.call is not None and screen.call is not previous)
        if n >= WARM_UP and (n - WARM_UP) % SAMPLE_EVERY == 0:
            app.processEvents()
            samples.append((n, resident_bytes()))
        if n == calls:
            break
        # QTest types ASCII only: "Anahera" without its macron
        for edit, text in ((screen.family_name, f"Te Rangi-Wilson{n}"), (screen.given_name, "Mere Anahera"),
                           (screen.dob, "14/02/1987"), (screen.code, f"HK7Q-{n:04d}-ZX3P"),
                           (screen.notes, f"Asked about the stolen files; call {n}.")):
            QTest.keyClicks(edit, text)
    window.worker.shutdown()
    app.processEvents()
    return {"samples": samples}


def slope_kb_per_call(samples) -> float:
    xs, ys = [n for n, _ in samples], [rss / 1024 for _, rss in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def measure(code_root: Path, register: str, calls: int) -> dict:
    return run_child(__file__, code_root, [register, "--calls", str(calls)], timeout=3600)


def report(label: str, result: dict) -> None:
    samples = result["samples"]
    first, last = samples[0], samples[-1]
    half = len(samples) // 2  # the second half's slope says whether the growth levels off
    print(f"{label:<34} {slope_kb_per_call(samples):6.2f} KB a call ({slope_kb_per_call(samples[half:]):5.2f} over "
          f"the second half)   resident {first[1] / 2**20:6.1f} MB at call {first[0]:,} -> "
          f"{last[1] / 2**20:6.1f} MB at call {last[0]:,}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help=f"commit whose window is measured beside this checkout (default {DEFAULT_BASELINE})")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.calls < WARM_UP + 2 * SAMPLE_EVERY:
        parser.error(f"--calls must be at least {WARM_UP + 2 * SAMPLE_EVERY} (a warm-up and two samples)")
    if args.child:
        print(json.dumps(drive(args.child, args.calls)))
        return 0
    from console.demo.register import write_demo_register

    with tempfile.TemporaryDirectory(prefix="call-memory-") as work:
        register = Path(work) / "register"
        write_demo_register(register, 500, seed=1, register_version="call-memory")
        print(f"{args.calls:,} calls typed key by key into the real window, each discarded with Ctrl+N")
        report("this checkout", measure(REPO, str(register), args.calls))
        if not args.no_baseline:
            tree = baseline_tree(args.baseline, "call-memory")
            commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.baseline],
                                    capture_output=True, text=True).stdout.strip()
            report(f"baseline {commit} (before trap 7)", measure(tree, str(register), args.calls))
        print("reviewer, on the window before trap 7's fix: 1.9 KB a call; 0.19 KB without the undo history")
    return 0


if __name__ == "__main__":
    sys.exit(main())
