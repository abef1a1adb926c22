"""The supervisor's dashboard: the whole helpline at a glance.

Tabs, each in a file of this package: Overview (figures and charts),
Breakdowns, Queues (overdue callbacks, locked persons, escalations awaiting
action), Audit and Reports. Every read and write is an operation
(console/ui/operations/dashboard.py) on the cache worker (or, for the hub's
figures, on a thread of the view's own), so the window never waits. While it
is shown the view refreshes itself every 30 seconds and whenever a write
changes calls, callbacks, attempts or escalations; `refresh()` is also the
slot the sync calls after each sync. Its words are in one translation
context, "SupervisorView", whichever tab shows them.

Figures come from the local cache unless `set_hub_source` has been given a
function fetching them from the hub; when the hub cannot be reached the
local figures are shown and the source line says so. The work queues always
come from the local cache, where the actions on them are recorded and synced.
"""

from datetime import date

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from console.core.dashboard import busiest_first, helpline_day
from console.core.labels import BREAKDOWN_KINDS, region_counts
from console.core.timeutil import now
from console.ui.dashboard.audit import AuditTab
from console.ui.dashboard.breakdowns import BreakdownsTab
from console.ui.dashboard.line import LineTab
from console.ui.dashboard.message import MessageTab
from console.ui.dashboard.models import local_time, words
from console.ui.dashboard.overview import OverviewTab
from console.ui.dashboard.queues import QueuesTab
from console.ui.dashboard.reports import ReportsTab
from console.ui.operations import dashboard
from console.ui.tasks import Background

REFRESH_MS = 30_000


class SupervisorView(OverviewTab, BreakdownsTab, QueuesTab, AuditTab, ReportsTab, MessageTab, QWidget):
    """The dashboard, over the cache worker; `open_calls` says how many calls
    this workstation has open now (its own call screen)."""

    refreshed = Signal()  # figures and queues are on screen
    status_message = Signal(str)

    def __init__(self, worker, open_calls=lambda: None, parent=None):
        super().__init__(parent)
        self.worker = worker
        self.open_calls = open_calls
        self.figures: dict | None = None
        self.source_text = ""
        self._hub_fetch = None
        self._hub = Background("hub", self)
        self._pinned_day: date | None = None  # None: follow the helpline's today
        # where files are saved; tests put their own chooser here
        self.ask_save_path = self._ask_save_path
        self.setAccessibleName(self.tr("Supervisor dashboard"))
        self._build()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        worker.operation_did_execute.connect(self._changed)

    def set_hub_source(self, fetch):
        """fetch(day) -> the hub's figures (GET /v1/dashboard?day=…), or raises;
        it runs on a thread of this view's own, never on the cache's. None: local only."""
        self._hub_fetch = fetch
        self.refresh()

    def day(self) -> date:
        return self._pinned_day or helpline_day(now())

    def _build(self):
        outer = QVBoxLayout(self)
        header = QHBoxLayout()
        self.source_label = QLabel(self.tr("Loading…"))
        self.source_label.setAccessibleName(self.tr("Source of the figures"))
        self.source_label.setProperty("role", "prompt")
        self.day_edit = QDateEdit()
        self.day_edit.setAccessibleName(self.tr("Day shown"))
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("d MMM yyyy")
        self.day_edit.setDate(QDate(self.day()))
        self.day_edit.dateChanged.connect(self._day_chosen)
        self.today_button = QPushButton(self.tr("&Today"))
        self.today_button.clicked.connect(lambda: self.day_edit.setDate(QDate(helpline_day(now()))))
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.setAccessibleDescription(self.tr("Figures refresh on their own every 30 seconds"))
        self.refresh_button.clicked.connect(self.refresh)
        header.addWidget(self.source_label, 1)
        header.addWidget(QLabel(self.tr("Day")))
        header.addWidget(self.day_edit)
        header.addWidget(self.today_button)
        header.addWidget(self.refresh_button)
        outer.addLayout(header)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Dashboard sections"))
        self.tabs.addTab(self._build_overview(), self.tr("&Overview"))
        self.tabs.addTab(self._build_breakdowns(), self.tr("&Breakdowns"))
        self.tabs.addTab(self._build_queues(), self.tr("&Queues"))
        self.tabs.addTab(self._build_audit(), self.tr("&Audit"))
        self.tabs.addTab(self._build_reports(), self.tr("Re&ports"))
        self.line = LineTab(self.worker)  # the telephone queue, from the hub (set_hub_reader)
        self.tabs.addTab(self.line, self.tr("Line && &missed callers"))
        self.tabs.addTab(self._build_message(), self.tr("Live message (&J)"))
        outer.addWidget(self.tabs)

    def showEvent(self, event):
        super().showEvent(event)
        self._timer.start(REFRESH_MS)
        self.refresh()

    def hideEvent(self, event):
        self._timer.stop()
        super().hideEvent(event)

    def _day_chosen(self, qdate: QDate):
        chosen = qdate.toPython()
        self._pinned_day = None if chosen == helpline_day(now()) else chosen
        self.refresh()

    def refresh(self):
        """Read the figures and the queues again, in the background; a refresh
        asked for while one runs supersedes it."""
        day = self.day()
        if self._pinned_day is None and self.day_edit.date().toPython() != day:
            self.day_edit.blockSignals(True)
            self.day_edit.setDate(QDate(day))  # past midnight: today is a new day
            self.day_edit.blockSignals(False)
        in_progress = self.open_calls() if day == helpline_day(now()) else None
        sources = {"local": self.tr("Local cache (offline)"), "hub": self.tr("Hub"),
                   "unreachable": self.tr("Local cache (hub unreachable)")}

        def shown(result):
            figures, queues, source = result
            if isinstance(queues, Exception):
                self.queue_message.setText(self.tr("The queues could not be read ({error}); they will be tried "
                                                   "again.").format(error=type(queues).__name__))
                queues = None
            self._show(figures, queues, sources[source])

        dashboard.figures_and_queues(self, self._hub, day, in_progress, self._hub_fetch, shown).failure(
            self._failed).run_in_background(key="dashboard")
        self.line.refresh(self._pinned_day)

    @property
    def refreshing(self) -> bool:
        """Whether a refresh has yet to reach the screen."""
        return self._hub.busy("dashboard")

    def _changed(self, changes, _initiator):
        if self.isVisible() and changes.any_of("calls", "callbacks", "attempts", "escalations"):
            self.refresh()

    def _failed(self, error):
        self.source_label.setText(self.tr("The figures could not be read ({error}); they will be tried again.")
                                  .format(error=type(error).__name__))
        self.refreshed.emit()

    def _showing_local(self) -> bool:
        return self.figures is None or self.figures.get("source") != "hub"

    def _show(self, figures: dict, queues: dict | None, source: str):
        self.figures = figures
        as_of = local_time(figures["as_of"], with_day=False)
        scope = self.tr("this workstation's calls") if self._showing_local() else self.tr("every workstation's calls")
        self.source_text = self.tr("{source} — {scope} — as of {time}").format(source=source, scope=scope,
                                                                                 time=as_of)
        self.source_label.setText(self.source_text)
        self._show_tiles(figures)
        self.charts.show(figures)
        for key, model in self.breakdowns.items():
            counts = region_counts(figures) if key == "by_region" else busiest_first(figures[key])
            model.show_counts(counts, self._practice_labels(figures) if key == "by_practice" else
                              {value: words(BREAKDOWN_KINDS.get(key, key), value) for value in counts})
        if queues is not None:
            self._show_queues(queues)
        self.refreshed.emit()

    def close_down(self):
        self._timer.stop()
        self._hub.shutdown()
        self.line.close_down()

