"""The wallboard: the line's six figures, full screen, for a TV in the room.

Each figure (console.core.wallboard.tiles, from the hub's GET /v1/queue) is
set against the thresholds supervisors chose and coloured green, amber or red,
with a word and a symbol beside the colour for colour-blind staff. Its
fonts are in pixels computed from the window's height (Qt style sheets
ignore em sizes), large enough to read across the room. It reads the hub
every `wallboard_refresh_seconds` on a thread of its own; when the hub cannot
be reached, or the last good read is older than two refresh periods, a banner
says "Figures stale since HH:MM" and the figures turn grey. Escape leaves it.
Only supervisors and admins may open it.
"""

from datetime import datetime, timezone

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from console.core import roles
from console.core.timeutil import HELPLINE_ZONE
from console.core.wallboard import AMBER, FIGURES, NO_DATA, OK, RED, setting_name, tiles
from console.ui.operations import line
from console.ui.tasks import Background

# background and text of each state: dark enough for white text, amber with black (WCAG AA contrast)
COLOURS = {OK: ("#00643c", "#ffffff"), AMBER: ("#f0b000", "#000000"), RED: ("#a00020", "#ffffff"),
           NO_DATA: ("#303030", "#ffffff")}
STALE = ("#3a3a3a", "#9a9a9a")
BOARD_BACKGROUND = "#101010"
STALE_AFTER_PERIODS = 2


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class WallboardTile(QFrame):
    """One figure: its caption, its value, its state in a symbol and a word, and its thresholds."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.NoFrame)
        layout = QVBoxLayout(self)
        self.caption, self.value, self.state, self.target = QLabel(), QLabel("—"), QLabel(), QLabel()
        for label in (self.caption, self.value, self.state, self.target):
            label.setAlignment(Qt.AlignCenter)
            label.setWordWrap(label is not self.value)
            # the screen sets the width, never the text: a long figure must not push the board off a full screen
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
            layout.addWidget(label)
        layout.setStretch(1, 1)
        self.tile = None

    def show_tile(self, tile, stale: bool) -> None:
        self.tile = tile
        self.caption.setText(tile.caption)
        self.value.setText(tile.text)
        self.state.setText(f"{tile.symbol} {tile.word}")
        self.target.setText(tile.target)
        self.setAccessibleName(f"{tile.caption}: {tile.text}, {tile.word}" + (", stale" if stale else ""))
        background, text = STALE if stale else COLOURS[tile.state]
        self.setStyleSheet(f"WallboardTile {{ background: {background}; border-radius: 12px; }} "
                           f"QLabel {{ color: {text}; background: transparent; }}")

    def size_fonts(self, height: int) -> None:
        """Pixel sizes from the screen's height: the value a ninth of it (about 120 px on a 1080-line TV)."""
        for label, share, bold in ((self.caption, 28, True), (self.value, 9, True), (self.state, 26, True),
                                   (self.target, 48, False)):
            font = QFont(label.font())
            font.setPixelSize(max(12, height // share))
            font.setBold(bold)
            label.setFont(font)


class Wallboard(QWidget):
    """read(path, **params) is the signed hub client's GET (None: a standalone workstation);
    `settings` the line's settings; `clock` the time now (tests move it)."""

    refreshed = Signal()  # a read of the hub's figures reached the screen (or failed)
    stale_changed = Signal(bool)
    closed = Signal()

    def __init__(self, worker, read, role: str | None, settings: dict, clock=utc_now, parent=None):
        roles.require(role, "dashboard")  # supervisors and admins only
        super().__init__(parent, Qt.Window)
        self.worker = worker
        self._read = read
        self.settings = dict(settings)
        self.clock = clock
        self._thread = Background("wallboard", self)
        self.figures: dict | None = None
        self.last_success: datetime | None = None
        self.opened_at = clock()
        self.stale = False
        self.setWindowTitle(self.tr("Helpline wallboard"))
        self.setAccessibleName(self.tr("Wallboard"))
        self.setStyleSheet(f"Wallboard {{ background: {BOARD_BACKGROUND}; }} "
                           "QLabel#banner { background: #ffd200; color: #000000; } QLabel#title { color: #ffffff; }")
        self.setAttribute(Qt.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        self.title = QLabel(self.tr("The line now"))
        self.title.setObjectName("title")
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setAlignment(Qt.AlignCenter)
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName(self.tr("Wallboard status"))
        self.banner.hide()
        outer.addWidget(self.title)
        outer.addWidget(self.banner)
        grid = QGridLayout()
        grid.setSpacing(16)
        self.tiles: dict[str, WallboardTile] = {}
        for index, figure in enumerate(FIGURES):
            tile = WallboardTile(self)
            grid.addWidget(tile, *divmod(index, 3))
            self.tiles[figure.key] = tile
        outer.addLayout(grid, 1)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        if read is None:
            self._say(self.tr("The line's figures come from the hub: this workstation works standalone (no hub is "
                              "set), so the wallboard has nothing to show."))

    @property
    def period_seconds(self) -> int:
        return self.settings.get("wallboard_refresh_seconds", 5)

    def thresholds(self) -> dict:
        return {name: self.settings[name] for figure in FIGURES for level in ("amber", "red")
                if (name := setting_name(figure.key, level)) in self.settings}

    def show_full_screen(self) -> None:
        """Full screen on the screen it opens on (the geometry too, for a screen with no window manager)."""
        self.setGeometry(self.screen().geometry())
        self.showFullScreen()

    # refreshing

    def showEvent(self, event):
        super().showEvent(event)
        self._size_fonts()
        if self._read is not None and not self._timer.isActive():
            self._timer.start(self.period_seconds * 1000)
            self.refresh()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._size_fonts()

    def tick(self) -> None:
        self.check_stale()
        self.refresh()

    def refresh(self) -> None:
        """Read the hub's figures now, in the background (unless a read is still under way: a hub
        that does not answer must not pile reads up behind it; the tick still marks the board stale)."""
        if self._read is None or self._thread.busy("wallboard"):
            return
        target = self.settings.get("queue_target_seconds", 60)
        line.queue_figures(self, self._thread, self._read, target, self._show, missed=False).failure(
            self._failed).run_in_background(key="wallboard")

    def _show(self, result) -> None:
        self.figures, _ = result
        self.last_success = self.clock()
        self._set_stale(False)
        self.refreshed.emit()

    def _failed(self, error) -> None:
        self._set_stale(True, reason=str(error))
        self.refreshed.emit()

    def check_stale(self) -> bool:
        """Stale when the last good read is older than two refresh periods (or there was none)."""
        since = self.last_success or self.opened_at
        if (self.clock() - since).total_seconds() > STALE_AFTER_PERIODS * self.period_seconds:
            self._set_stale(True)
        return self.stale

    def _set_stale(self, stale: bool, reason: str = "") -> None:
        changed = stale != self.stale
        self.stale = stale
        if stale:
            since = (self.last_success or self.opened_at).astimezone(HELPLINE_ZONE).strftime("%H:%M")
            self._say(self.tr("⚠ Figures stale since {time}").format(time=since)
                      + (f" — {reason}" if reason else ""))
        else:
            self.banner.hide()
        self._paint()
        if changed:
            self.stale_changed.emit(stale)

    def _say(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def _paint(self) -> None:
        if self.figures is None:
            return
        for tile in tiles(self.figures, self.thresholds()):
            self.tiles[tile.key].show_tile(tile, self.stale)

    def _size_fonts(self) -> None:
        height = max(self.height(), 480)
        for tile in self.tiles.values():
            tile.size_fonts(height)
        for label, share in ((self.title, 24), (self.banner, 20)):
            font = QFont(label.font())
            font.setPixelSize(max(12, height // share))
            font.setBold(True)
            label.setFont(font)

    # leaving

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event):
        self._timer.stop()
        self._thread.closed = True  # a read still under way is dropped
        self.closed.emit()
        super().closeEvent(event)

    def close_down(self) -> None:
        self._timer.stop()
        self._thread.shutdown()


def run_wallboard(read, role: str, settings: dict) -> int:
    """`helpline-console wallboard`: the wallboard alone, full screen, until Escape."""
    from console.logs import setup_logging
    from console.ui.app import make_app
    from console.ui.theme import apply_theme

    setup_logging()
    app = make_app()
    apply_theme(False)
    board = Wallboard(None, read, role, settings)
    board.show_full_screen()
    code = app.exec()
    board.close_down()
    return code
