"""Screen pop: from the moment the hub publishes an `answer` (live.publish, as
the telephony endpoint calls it) to the call open in the window (offscreen),
over real HTTP on 127.0.0.1; p50 and p95 over POPS pops, beside the bare SSE
round trip (publish → the event in a plain client thread) measured in the
same run. Goal: p95 under 300 ms.

    .venv/bin/python tests/perf/bench_screen_pop.py [POPS]
"""

import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main(pops: int = 200) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-pop-"))
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(folder / "home")
    (folder / "home").mkdir()
    from console.hub.crypto import CREDENTIAL, CREDENTIALS_ENV, new_key_file

    (folder / "cred").mkdir(mode=0o700)
    os.environ[CREDENTIALS_ENV] = str(folder / "cred")
    new_key_file(folder / "cred" / CREDENTIAL)

    import keyring

    from console.store.keystore import allow_test_backend
    from tests.conftest import SAMPLE_REGISTER, MemoryKeyring

    backend = MemoryKeyring()
    allow_test_backend(MemoryKeyring)
    keyring.set_keyring(backend)  # the tests' in-memory keystore: this run's cache key lives only here

    from PySide6.QtWidgets import QApplication

    from console.hub import live
    from console.store.cache import Cache
    from console.sync.live_client import LiveClient
    from console.sync.tokens import save_token
    from console.ui.app import build_window
    from tests.support.hub import prepare_hub
    from tests.support.live import ThreadedHub, sign_in

    location = {"data": str(folder / "hub")}
    prepare_hub(location, operators=(("op-b", "operator"), ("op-raw", "operator")))
    hub = ThreadedHub(location).start()
    try:
        # the baseline: the bare SSE round trip to a client thread
        arrived = queue.SimpleQueue()
        raw = LiveClient(hub.url, lambda: token_raw, lambda e: arrived.put(time.perf_counter()),
                         auth=hub.device.stream_auth())
        token_raw = sign_in(hub.url, "op-raw", "ws-raw")
        threading.Thread(target=raw.run, daemon=True).start()
        while live.channel.listening("op-raw") == 0:
            time.sleep(0.01)
        bare = []
        for n in range(pops):
            sent = time.perf_counter()
            live.publish("op-raw", answer(f"raw-{n}"))
            bare.append(arrived.get(timeout=10) - sent)
        raw.close()

        # the window
        db_path = folder / "ws.db"
        cache = Cache.open(db_path, operator="setup")
        cache.import_register(SAMPLE_REGISTER)  # a workstation without a register opens its setup assistant
        cache.set_setting("hub_url", hub.url)
        workstation = cache.workstation
        cache.close()
        save_token(hub.url, "op-b", workstation, sign_in(hub.url, "op-b", workstation))
        window = build_window(db_path, operator="op-b")
        window.show()
        app = QApplication.instance()
        deadline = time.monotonic() + 60
        while (window.live is None or live.channel.listening("op-b") == 0) and time.monotonic() < deadline:
            app.processEvents()
        if window.live is None or live.channel.listening("op-b") == 0:
            raise SystemExit("the window's live stream did not open in 60 s")
        screen = window.call_screen
        popped = []
        for n in range(pops):
            screen._clear_form()
            sent = time.perf_counter()
            live.publish("op-b", answer(f"pbx-{n}"))
            while screen.call is None:
                app.processEvents()
                if time.perf_counter() - sent > 10:
                    raise SystemExit(f"pop {n} never opened")
            popped.append(time.perf_counter() - sent)
        screen._clear_form()
        window.close()
        window.worker.shutdown()
    finally:
        hub.stop()
    print(f"screen pops on loopback, {pops} each (ms)")
    print(f"{'':32} {'p50':>8} {'p95':>8} {'max':>8}")
    for name, values in (("bare SSE round trip (baseline)", bare), ("answer -> call open in window", popped)):
        print(f"{name:32} {percentile(values, 50):8.1f} {percentile(values, 95):8.1f} {max(values) * 1000:8.1f}")
    print(f"goal: p95 under 300 ms -> {'met' if percentile(popped, 95) < 300 else 'NOT met'}; "
          f"mean {statistics.mean(popped) * 1000:.1f} ms")


def answer(call_id: str) -> dict:
    return {"type": "answer", "callId": call_id, "from": "+6421555123", "queue": "breach", "waitSeconds": 12,
            "answeredAt": datetime.now(timezone.utc).isoformat()}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
