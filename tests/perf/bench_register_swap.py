"""How long a save waits for the writer lock while a register is imported
over another one (issue 12: at most a second whatever the register's size).

Imports a register of --persons persons into an encrypted cache, then imports
a second version of it over the first while another connection saves (a
small write transaction, as logging a call is) every --every seconds, and
prints the longest wait of a save in each stage of the second import (the
swap and what follows it are stages of their own), beside the same saves
with no import running (the baseline). The demo register's
codes come as hashes (tests/support/canary.py), so the import hashes none:
hashing runs outside the writer lock and would only make the run longer.

Usage (a keystore is needed, e.g. inside dbus-run-session with an unlocked gnome-keyring):
    python tests/perf/bench_register_swap.py [--persons 2000000] [--register DIR] [--every 0.05]
"""

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


class Saver:
    """Saves from a second connection until stopped, each wait by the stage it began in."""

    def __init__(self, path: Path, every: float):
        from console.store.connection import open_cache

        self.db = open_cache(path, check=False)
        self.every = every
        self.stage = "idle"
        self.waits: dict[str, list[float]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        from console.store.connection import write_transaction

        n = 0
        while not self.stop.wait(self.every):
            stage = self.stage
            t = time.perf_counter()
            with write_transaction(self.db):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('bench_save', ?)", [str(n)])
            self.waits.setdefault(stage, []).append(time.perf_counter() - t)
            n += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=2_000_000)
    parser.add_argument("--register", type=Path, help="a register folder to use instead of writing a demo one")
    parser.add_argument("--every", type=float, default=0.05, help="seconds between saves")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    args = parser.parse_args()

    from console.demo.register import write_demo_register
    from console.store.connection import open_cache
    from console.store.register import swap
    from tests.support.canary import codes_given_as_hashes

    work = Path(tempfile.mkdtemp(prefix="bench-register-swap-"))
    try:
        register = args.register
        if register is None:
            register = work / "register"
            t = time.perf_counter()
            write_demo_register(register, args.persons, seed=7)
            codes_given_as_hashes(register)  # the lock is the subject, not hashing 1.7 million codes
            print(f"demo register of {args.persons} persons written in {time.perf_counter() - t:.0f} s", flush=True)
        second = work / "register-2"
        shutil.copytree(register, second)
        manifest = json.loads((second / "manifest.json").read_text())
        manifest["register_version"] += "-again"
        (second / "manifest.json").write_text(json.dumps(manifest))

        path = work / "cache.db"
        db = open_cache(path)
        t = time.perf_counter()
        swap.import_register(db, register)
        print(f"first import: {time.perf_counter() - t:.0f} s", flush=True)

        with Saver(path, args.every) as baseline:
            time.sleep(args.baseline_seconds)

        with Saver(path, args.every) as saver:
            def progress(stage, done, total):
                saver.stage = stage

            def before_swap(_register):
                saver.stage = "built, before the swap"

            def on_swap(_db):
                saver.stage = "swap"

            t = time.perf_counter()
            swap.import_register(db, second, progress=progress, before_swap=before_swap, on_swap=on_swap)
            saver.stage = "after (old register deleted)"
            print(f"second import: {time.perf_counter() - t:.0f} s", flush=True)
            time.sleep(1)
        db.close()

        print(f"\nlongest wait of a save for the writer lock ({args.persons} persons, a save every {args.every} s):")
        print(f"  {'baseline (no import)':28} {max(baseline.waits.get('idle', [0])):7.3f} s "
              f"over {len(baseline.waits.get('idle', []))} saves")
        for stage, waits in saver.waits.items():
            print(f"  {stage:28} {max(waits):7.3f} s over {len(waits)} saves")
        worst = max(max(w) for w in saver.waits.values())
        print(f"  {'during the import, at most':28} {worst:7.3f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
