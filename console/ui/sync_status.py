"""The window's side of sync: the background loop's state in the status bar,
and "Sync now". The loop runs on its own thread with its own connection;
this only reads its status on a timer, so the window never waits for it."""

from PySide6.QtCore import QObject, QTimer, Signal

from console.core.timeutil import HELPLINE_ZONE, parse_instant

POLL_MS = 1_000


def _clock_time(text: str | None) -> str:
    return parse_instant(text).astimezone(HELPLINE_ZONE).strftime("%H:%M:%S") if text else "never"


def describe(status) -> str:
    """One line for the status bar."""
    last = _clock_time(status.last_success)
    if status.state == "syncing":
        if status.progress:
            stage, done, total = status.progress
            what = "fetching the register" if stage == "download" else f"loading the register ({stage})"
            return f"Hub: {what} {100 * done // max(total, 1)}%"
        return f"Hub: syncing… (last sync {last})"
    if status.state == "online":
        return f"Hub: online, last sync {last}"
    if status.state == "offline":
        retry = f", retrying in {status.retry_in:.0f} s" if status.retry_in else ""
        return f"Hub: offline, working from this workstation (last sync {last}{retry})"
    if status.state == "signed_out":
        return "Hub: sign-in needed: lock (Ctrl+L) and sign in again to resume syncing"
    if status.state == "failed":
        return f"Hub: sync failed ({status.message}); retrying"
    return "Hub: connecting…"


class SyncController(QObject):
    """Owns the sync loop for one signed-in operator; `synced` after each sync."""

    changed = Signal(str)  # the status bar's line
    synced = Signal()

    def __init__(self, db_path, hub_url: str, workstation: str, parent=None, interval: float | None = None):
        super().__init__(parent)
        self.db_path, self.hub_url, self.workstation = db_path, hub_url, workstation
        self.interval = interval
        self.loop = None
        self.session = None
        self._last_success = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)

    def start(self, operator: str, password: str | None) -> None:
        from console.store.connection import open_cache
        from console.sync.loop import SyncLoop
        from console.sync.tokens import HubSession

        if self.loop is not None:
            if password:
                self.session.offer_password(password)
            self.loop.sync_now()
            return
        self.session = HubSession(self.hub_url, operator, self.workstation, password)
        options = {"interval": self.interval} if self.interval else {}
        self.loop = SyncLoop(lambda: open_cache(self.db_path, check=False), self.session, self.workstation,
                             operator, **options)
        self.loop.start()
        self._timer.start(POLL_MS)

    def dashboard_fetcher(self, operator: str):
        """fetch(day) → the hub's dashboard figures, with this operator's token
        (for the supervisor view, which calls it on its own thread)."""
        read = self.reader(operator)
        return lambda day: read("/dashboard", day=day.isoformat() if day else None)

    def reader(self, operator: str):
        """read(path, **params) → the hub's answer to GET /v1/<path> (console.sync.tokens.hub_reader)."""
        from console.sync.tokens import hub_reader

        return hub_reader(self.hub_url, operator, self.workstation, timeout=10)

    def sync_now(self) -> None:
        if self.loop is not None:
            self.loop.sync_now()

    def sign_out(self) -> None:
        """The console locked or closed: the operator's hub token is revoked on
        the hub and deleted from the keystore, on a thread of its own (the
        window never waits for the network). Unlocking signs in again."""
        import threading

        if self.session is not None:
            thread = threading.Thread(target=self.session.sign_out, name="hub-sign-out", daemon=True)
            thread.start()
            self._sign_out_thread = thread

    def status(self):
        return self.loop.status() if self.loop else None

    def _poll(self) -> None:
        from console.core.clock import skew_warning

        status = self.loop.status()
        warning = skew_warning(self.session.clock_offset)
        self.changed.emit(describe(status) + (f" — {warning}" if warning else ""))
        if status.last_success and status.last_success != self._last_success:
            self._last_success = status.last_success
            self.synced.emit()

    def stop(self) -> None:
        self._timer.stop()
        if self.loop is not None:
            self.loop.stop()
        self.loop = self.session = None  # the next start (the next operator's sign-in) syncs as that operator
