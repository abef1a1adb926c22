"""Sync in the background: every 30 s, at once on request, and after an
outage with exponential backoff and jitter. Runs in its own thread with its
own connection to the cache, so nothing in the operator's flow ever waits for
the network; the window reads `status()` (a copy, safe from any thread).
"""

import logging
import random
import threading
from dataclasses import dataclass, replace

from console.sync.client import HubRefused, HubUnreachable
from console.sync.engine import Interrupted, Sync, SyncFailed

log = logging.getLogger("console.sync")

INTERVAL_SECONDS = 30.0


class Backoff:
    """Delays after consecutive failures: doubling from `base` up to `cap`,
    each drawn from its upper half at random, so workstations that lost the
    hub together do not come back in step."""

    def __init__(self, base: float = 5.0, cap: float = 300.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.failures = 0
        self.rng = rng or random.Random()

    def failed(self) -> float:
        ceiling = min(self.cap, self.base * 2 ** self.failures)
        self.failures += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def succeeded(self) -> None:
        self.failures = 0


@dataclass(frozen=True)
class SyncStatus:
    state: str = "starting"  # starting, syncing, online, offline, signed_out, failed
    last_success: str | None = None
    message: str = ""
    outbox: int | None = None
    conflicts: int = 0
    progress: tuple[str, int, int] | None = None  # stage, done, total (a register being fetched)
    retry_in: float | None = None


class SyncLoop:
    """`client_factory()` gives a HubClient (or raises HubRefused(401) when
    nobody is signed in to the hub); `open_db()` a connection of this thread's
    own; `on_synced(report)` runs in the loop's thread after each sync."""

    def __init__(self, open_db, client_factory, workstation: str, operator: str | None = None, *,
                 interval: float = INTERVAL_SECONDS, backoff: Backoff | None = None, on_synced=None):
        self.open_db = open_db
        self.client_factory = client_factory
        self.workstation = workstation
        self.operator = operator
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.on_synced = on_synced or (lambda report: None)
        self._status = SyncStatus()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def sync_now(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def _set(self, **changes) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def _run(self) -> None:
        db = self.open_db()
        try:
            while not self._stopping.is_set():
                delay = self._once(db)
                self._set(retry_in=delay)
                self._wake.wait(delay)
                self._wake.clear()
        finally:
            db.close()

    def _once(self, db) -> float:
        """One sync; the seconds until the next."""
        self._set(state="syncing", progress=None)
        try:
            with self.client_factory() as client:
                report = Sync(db, client, self.workstation, self.operator,
                              progress=lambda stage, done, total: self._set(progress=(stage, done, total)),
                              should_stop=self._stopping.is_set).run()
        except Interrupted:
            return 0.0
        except HubUnreachable as exc:
            delay = self.backoff.failed()
            self._set(state="offline", message=str(exc), progress=None, outbox=_outbox(db))
            log.info("sync: hub unreachable (%s), next try in %.0f s", type(exc).__name__, delay)
            return delay
        except HubRefused as exc:
            state = "signed_out" if exc.status == 401 else "failed"
            if exc.status == 401 and hasattr(self.client_factory, "signed_out"):
                self.client_factory.signed_out()
            self._set(state=state, message=str(exc), progress=None, outbox=_outbox(db))
            log.warning("sync refused by the hub: %s", exc.status)
            return self.interval
        except (SyncFailed, Exception) as exc:  # noqa: B014 — any failure keeps the loop alive
            delay = self.backoff.failed()
            self._set(state="failed", message=str(exc) or type(exc).__name__, progress=None, outbox=_outbox(db))
            log.warning("sync failed: %s", type(exc).__name__)
            return delay
        self.backoff.succeeded()
        self._set(state="online", last_success=report.at, message=report.register, progress=None,
                  outbox=report.outbox + report.unpushed_audit, conflicts=report.conflicts)
        try:
            self.on_synced(report)
        except Exception:
            log.exception("after-sync callback failed")
        return self.interval


def _outbox(db) -> int | None:
    from console.store.outbox import outbox_count

    try:
        return outbox_count(db)
    except Exception:
        return None


__all__ = ["Backoff", "SyncLoop", "SyncStatus"]
