"""Window benchmark (issue: the operator's window).

Prints, in one run:
- process start to window shown and ready for input, the console beside a
  bare PySide6 window (goal: within 1.5x);
- resident memory with the cache open beside the bare window (goal: at most
  1.3x + 60 MB);
- Check-to-result latency p50/p95 over real callers of the register.

Usage: python tests/perf/bench_window.py --cache CACHE.db --register REGISTER_DIR [--checks 200]
(bench_core.py --work DIR --keep leaves DIR/cache.db and DIR/register of 2 M persons.)
Runs offscreen; the figures are the same order under Xvfb.
"""

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BARE = """
import sys, time, resource
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1400, 900); w.show()
def ready():
    rss = int(open('/proc/self/statm').read().split()[1]) * 4096
    print(time.time(), rss); app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""

CONSOLE = """
import sys, time
from PySide6.QtCore import QTimer
from console.ui.app import build_window, make_app
app = make_app()
w = build_window(sys.argv[1], operator="bench"); w.resize(1400, 900); w.show()
def ready():
    w.call_screen.new_call()  # ready for input: a call can be typed
    rss = int(open('/proc/self/statm').read().split()[1]) * 4096
    print(time.time(), rss); w.worker.shutdown(); app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def start_to_ready(script: str, *args) -> tuple[float, int]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.time()
    out = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True,
                         cwd=REPO, env=env).stdout.split()
    return float(out[0]) - started, int(out[1])


def callers(register: Path, count: int) -> list[dict]:
    rng = random.Random(5)
    with open(register / "persons.csv", encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["date_of_birth"] and r["notification_code"]]
    picked = rng.sample(rows, count)
    for i, row in enumerate(picked):
        if i % 4 == 3:
            row["notification_code"] = "WRONG-123"  # some callers are not verified
    return picked


def check_latency(cache: str, register: Path, count: int) -> list[float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))
    from PySide6.QtWidgets import QApplication

    from console.ui.app import build_window

    window = build_window(cache, operator="bench")
    window.show()
    screen = window.call_screen
    app = QApplication.instance()
    while window.worker.pending:
        app.processEvents()
    latencies = []
    for row in callers(register, count):
        screen.new_call()
        screen.family_name.setText(row["family_name"])
        screen.given_name.setText(row["given_names"].split()[0])
        y, m, d = row["date_of_birth"].split("-")
        screen.dob.setText(f"{int(d)}/{int(m)}/{y}")
        screen.code.setText(row["notification_code"])
        t = time.perf_counter()
        screen.check_caller()
        while screen.call.verification is None:
            app.processEvents()
        latencies.append(time.perf_counter() - t)
    screen._clear_form()
    window.worker.shutdown()
    return latencies


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", required=True)
    parser.add_argument("--register", type=Path, required=True)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bare = [start_to_ready(BARE) for _ in range(args.runs)]
    ours = [start_to_ready(CONSOLE, args.cache) for _ in range(args.runs)]
    bare_t, ours_t = statistics.median(t for t, _ in bare), statistics.median(t for t, _ in ours)
    bare_rss, ours_rss = statistics.median(r for _, r in bare), statistics.median(r for _, r in ours)
    persons = json.loads((args.register / "manifest.json").read_text())["counts"]["persons"]
    print(f"## Window ({persons:,}-person cache)")
    print(f"start to ready: bare PySide6 window {bare_t * 1000:.0f} ms, console {ours_t * 1000:.0f} ms, "
          f"ratio {ours_t / bare_t:.2f} (goal <= 1.5)")
    print(f"resident memory: bare {bare_rss / 2**20:.0f} MB, console {ours_rss / 2**20:.0f} MB "
          f"(goal <= {1.3 * bare_rss / 2**20 + 60:.0f} MB = 1.3x + 60 MB)")
    latencies = check_latency(args.cache, args.register, args.checks)
    latencies.sort()
    print(f"Check to result over {len(latencies)} callers: p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.1f} ms (goal < 100 ms)")


if __name__ == "__main__":
    main()
