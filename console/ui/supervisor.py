"""The supervisor's dashboard: the whole helpline at a glance.

Tabs: Overview (figures and charts), Breakdowns, Queues (overdue callbacks,
locked persons, escalations awaiting action), Audit and Reports. Every read
and write goes through the cache worker (or, for the hub's figures, a thread
of the view's own), so the window never waits; the view refreshes itself
every 30 seconds while it is shown, and `refresh()` is the slot the sync
calls after each sync.

Figures come from the local cache unless `set_hub_source` has been given a
function fetching them from the hub; when the hub cannot be reached the
local figures are shown and the source line says so. The work queues always
come from the local cache, where the actions on them are recorded and synced.
"""

from datetime import date, datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDate, QDateTime, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QDateTimeEdit, QFileDialog, QFormLayout, QGridLayout, QGroupBox,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTableView, QTabWidget,
    QVBoxLayout, QWidget,
)

from console.core.dashboard import busiest_first, day_bounds, helpline_day
from console.core.timeutil import HELPLINE_ZONE, now
from console.store.audit import KINDS
from console.ui.charts import DashboardCharts
from console.ui.models import RowsModel
from console.ui.report import IncidentReport, handle_time_text
from console.ui.tasks import Background

REFRESH_MS = 30_000
# what the view shows of a figures object (console.core.dashboard.dashboard_figures)
HUB_FIGURES = ("calls", "calls_this_hour", "in_progress", "by_outcome", "by_caller_type", "by_region", "by_practice",
               "by_operator", "verification", "verified_by", "disclosed", "handle_time_seconds", "escalations",
               "escalations_awaiting", "callbacks", "lockouts", "extortion_reports", "scam_reports", "calls_per_hour",
               "handle_time_histogram", "day", "as_of")
AUDIT_LIMIT = 1000


def local_time(text: str | None, with_day: bool = True) -> str:
    """A stored instant as the helpline's clock shows it."""
    if not text:
        return ""
    moment = datetime.fromisoformat(text).astimezone(HELPLINE_ZONE)
    return moment.strftime("%-d %b %H:%M" if with_day else "%H:%M:%S")


class CountsModel(RowsModel):
    columns = (
        ("key", QT_TRANSLATE_NOOP("CountsModel", "Value")),
        ("calls", QT_TRANSLATE_NOOP("CountsModel", "Calls")),
        ("share", QT_TRANSLATE_NOOP("CountsModel", "Share")),
    )

    def show_counts(self, counts: dict, labels: dict | None = None):
        total = sum(counts.values())
        self.set_rows([{"key": (labels or {}).get(key, key), "calls": f"{n:,}",
                        "share": f"{n / total:.0%}" if total else ""} for key, n in counts.items()])


class CallbacksModel(RowsModel):
    columns = (
        ("due_at", QT_TRANSLATE_NOOP("CallbacksModel", "Due")),
        ("assigned_to", QT_TRANSLATE_NOOP("CallbacksModel", "Assigned to")),
        ("booked_by", QT_TRANSLATE_NOOP("CallbacksModel", "Booked by")),
        ("reason", QT_TRANSLATE_NOOP("CallbacksModel", "Reason")),
    )

    def cell(self, row, key):
        return local_time(row["due_at"]) if key == "due_at" else super().cell(row, key)


class LockedModel(RowsModel):
    columns = (
        ("person_id", QT_TRANSLATE_NOOP("LockedModel", "Person")),
        ("failed_attempts", QT_TRANSLATE_NOOP("LockedModel", "Failed checks")),
        ("last_attempt", QT_TRANSLATE_NOOP("LockedModel", "Last check")),
    )

    def cell(self, row, key):
        return local_time(row["last_attempt"]) if key == "last_attempt" else super().cell(row, key)


class EscalationsModel(RowsModel):
    columns = (
        ("started_at", QT_TRANSLATE_NOOP("EscalationsModel", "Call started")),
        ("operator", QT_TRANSLATE_NOOP("EscalationsModel", "Operator")),
        ("caller_type", QT_TRANSLATE_NOOP("EscalationsModel", "Caller type")),
        ("verification", QT_TRANSLATE_NOOP("EscalationsModel", "Verification")),
        ("region", QT_TRANSLATE_NOOP("EscalationsModel", "Region")),
    )

    def cell(self, row, key):
        return local_time(row["started_at"]) if key == "started_at" else super().cell(row, key)


class AuditModel(RowsModel):
    columns = (
        ("seq", QT_TRANSLATE_NOOP("AuditModel", "#")),
        ("at", QT_TRANSLATE_NOOP("AuditModel", "When")),
        ("operator", QT_TRANSLATE_NOOP("AuditModel", "Operator")),
        ("workstation", QT_TRANSLATE_NOOP("AuditModel", "Workstation")),
        ("kind", QT_TRANSLATE_NOOP("AuditModel", "Kind")),
        ("person_id", QT_TRANSLATE_NOOP("AuditModel", "Person")),
        ("reason", QT_TRANSLATE_NOOP("AuditModel", "Outcome / reason")),
        ("detail", QT_TRANSLATE_NOOP("AuditModel", "Detail")),
    )

    def cell(self, row, key):
        detail = row["detail"]
        if key == "at":
            return local_time(row["at"])
        if key == "reason":
            # a not-verified outcome's reason is shown here, and only here
            return " / ".join(str(detail[k]) for k in ("outcome", "reason") if detail.get(k))
        if key == "detail":
            return ", ".join(f"{k}={v}" for k, v in detail.items() if k not in ("outcome", "reason"))
        return super().cell(row, key)


def _table(model, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setSelectionMode(QAbstractItemView.SingleSelection)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
    return view


class SupervisorView(QWidget):
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
        self._refreshing = False
        self._again = False
        self._pinned_day: date | None = None  # None: follow the helpline's today
        # where files are saved; tests put their own chooser here
        self.ask_save_path = self._ask_save_path
        self.setAccessibleName(self.tr("Supervisor dashboard"))
        self._build()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)

    # the source of figures

    def set_hub_source(self, fetch):
        """fetch(day) -> the hub's figures (GET /v1/dashboard?day=…), or raises;
        it runs on a thread of this view's own, never on the cache's. None: local only."""
        self._hub_fetch = fetch
        self.refresh()

    def day(self) -> date:
        return self._pinned_day or helpline_day(now())

    # building

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
        outer.addWidget(self.tabs)

    def _tiles(self) -> list[tuple[str, str]]:
        """(key, caption) of each figure tile, in reading order."""
        in_progress = (self.tr("In progress (this workstation)") if self._showing_local()
                       else self.tr("In progress (all workstations)"))
        return [
            ("calls", self.tr("Calls today")), ("calls_this_hour", self.tr("This hour")),
            ("in_progress", in_progress), ("median", self.tr("Median handle time")),
            ("p90", self.tr("90th percentile handle time")), ("escalations", self.tr("Escalations")),
            ("escalations_awaiting", self.tr("Escalations awaiting action")),
            ("possession", self.tr("Verified by possession")), ("knowledge", self.tr("Verified by knowledge")),
            ("not_verified", self.tr("Not verified")), ("not_attempted", self.tr("Not attempted")),
            ("affected", self.tr("Told affected")), ("not_affected", self.tr("Told not affected")),
            ("callbacks_open", self.tr("Open callbacks")), ("callbacks_overdue", self.tr("Overdue callbacks")),
            ("lockouts", self.tr("Persons locked out")), ("extortion", self.tr("Extortion reports")),
            ("scam", self.tr("Scam reports")),
        ]

    def _build_overview(self):
        page = QWidget()
        layout = QVBoxLayout(page)
        grid = QGridLayout()
        self.tile_values: dict[str, QLabel] = {}
        self.tile_captions: dict[str, QLabel] = {}
        for index, (key, caption) in enumerate(self._tiles()):
            value, label = QLabel("—"), QLabel(caption)
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.6)
            font.setBold(True)
            value.setFont(font)
            label.setWordWrap(True)
            value.setAccessibleName(caption)
            label.setBuddy(value)
            row, column = divmod(index, 9)
            grid.addWidget(value, row * 2, column, Qt.AlignBottom)
            grid.addWidget(label, row * 2 + 1, column, Qt.AlignTop)
            self.tile_values[key], self.tile_captions[key] = value, label
        layout.addLayout(grid)
        self.charts = DashboardCharts(parent=self)
        charts = QGridLayout()
        for index, view in enumerate(self.charts.views):
            charts.addWidget(view, index // 2, index % 2)
        layout.addLayout(charts, 1)
        return page

    def _build_breakdowns(self):
        page = QWidget()
        grid = QGridLayout(page)
        self.breakdowns: dict[str, CountsModel] = {}
        for index, (key, title) in enumerate((
            ("by_region", self.tr("By region (Northland first)")), ("by_outcome", self.tr("By outcome")),
            ("by_caller_type", self.tr("By caller type")),
            ("by_practice", self.tr("By practice (the verified caller's enrolled practice)")),
            ("by_operator", self.tr("By operator")),
        )):
            box = QGroupBox(title)
            box_layout = QVBoxLayout(box)
            model = CountsModel(self)
            box_layout.addWidget(_table(model, title))
            self.breakdowns[key] = model
            grid.addWidget(box, index // 3, index % 3)
        return page

    def _build_queues(self):
        page = QWidget()
        layout = QGridLayout(page)
        self.callbacks_model = CallbacksModel(self)
        self.callbacks_view = _table(self.callbacks_model, self.tr("Overdue callbacks"))
        self.assignee = QComboBox()
        self.assignee.setEditable(True)
        self.assign_button = QPushButton(self.tr("A&ssign"))
        self.assign_button.clicked.connect(self.assign_callback)
        self.callbacks_box = self._queue_box(
            self.tr("Overdue callbacks"), self.callbacks_view, self.assignee,
            self.tr("Operator to assign the callback to"), None, self.assign_button,
            self.tr("Assign the selected callback to"))
        layout.addWidget(self.callbacks_box, 0, 0)

        self.locked_model = LockedModel(self)
        self.locked_view = _table(self.locked_model, self.tr("Locked persons"))
        self.unlock_reason = QLineEdit()
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.unlock_button.clicked.connect(self.unlock_person)
        self.locked_box = self._queue_box(
            self.tr("Locked persons"), self.locked_view, self.unlock_reason, self.tr("Reason for unlocking"),
            self.tr("Why this person may be checked again (required)"), self.unlock_button)
        layout.addWidget(self.locked_box, 0, 1)

        self.escalations_model = EscalationsModel(self)
        self.escalations_view = _table(self.escalations_model, self.tr("Escalations awaiting action"))
        self.take_up_note = QLineEdit()
        self.take_up_button = QPushButton(self.tr("Ta&ke up"))
        self.take_up_button.clicked.connect(self.take_up_escalation)
        self.escalations_box = self._queue_box(
            self.tr("Escalations awaiting action (last 7 days)"), self.escalations_view, self.take_up_note,
            self.tr("Note on taking up the escalation"), self.tr("What you will do (optional)"),
            self.take_up_button)
        layout.addWidget(self.escalations_box, 1, 0, 1, 2)
        self.queue_message = QLabel()
        self.queue_message.setAccessibleName(self.tr("Queue action result"))
        self.queue_message.setWordWrap(True)
        layout.addWidget(self.queue_message, 2, 0, 1, 2)
        return page

    @staticmethod
    def _queue_box(title, view, field, field_name, placeholder, button, label=None) -> QGroupBox:
        """A queue: its table, and under it what the action needs and the action's button."""
        field.setAccessibleName(field_name)
        if placeholder:
            field.setPlaceholderText(placeholder)
        box = QGroupBox(title)
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(view)
        row = QHBoxLayout()
        if label:
            row.addWidget(QLabel(label))
        row.addWidget(field, 1)
        row.addWidget(button)
        box_layout.addLayout(row)
        return box

    def _build_audit(self):
        page = QWidget()
        layout = QVBoxLayout(page)
        form = QFormLayout()
        self.audit_operator = QLineEdit()
        self.audit_person = QLineEdit()
        self.audit_kind = QComboBox()
        self.audit_kind.addItem(self.tr("(any)"), None)
        for kind in KINDS:
            self.audit_kind.addItem(kind, kind)
        self.audit_since = QDateTimeEdit()
        self.audit_until = QDateTimeEdit()
        start = QDateTime(QDate(self.day()), datetime.min.time())
        self.audit_since.setDateTime(start)
        self.audit_until.setDateTime(start.addDays(1))
        for edit in (self.audit_since, self.audit_until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy HH:mm")
        for label, widget, name in (
            (self.tr("&Operator"), self.audit_operator, self.tr("Audit filter: operator")),
            (self.tr("&Person"), self.audit_person, self.tr("Audit filter: person id")),
            (self.tr("&Kind"), self.audit_kind, self.tr("Audit filter: kind")),
            (self.tr("&From"), self.audit_since, self.tr("Audit filter: from")),
            (self.tr("&Until"), self.audit_until, self.tr("Audit filter: until")),
        ):
            widget.setAccessibleName(name)
            form.addRow(label, widget)
        buttons = QHBoxLayout()
        self.audit_button = QPushButton(self.tr("&Show entries"))
        self.audit_button.clicked.connect(self.load_audit)
        self.verify_button = QPushButton(self.tr("&Verify the chain"))
        self.verify_button.clicked.connect(self.verify_chain)
        buttons.addWidget(self.audit_button)
        buttons.addWidget(self.verify_button)
        buttons.addStretch(1)
        self.audit_message = QLabel(self.tr("Reading the audit trail is itself audited."))
        self.audit_message.setAccessibleName(self.tr("Audit result"))
        self.audit_message.setWordWrap(True)
        self.chain_label = QLabel()
        self.chain_label.setAccessibleName(self.tr("Audit chain verification"))
        self.chain_label.setProperty("role", "prompt")
        self.audit_model = AuditModel(self)
        self.audit_view = _table(self.audit_model, self.tr("Audit entries"))
        self.audit_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.audit_view.horizontalHeader().setStretchLastSection(True)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.chain_label)
        layout.addWidget(self.audit_message)
        layout.addWidget(self.audit_view, 1)
        return page

    def _build_reports(self):
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(self.tr("Notes for the incident lead (they go into the PDF report):")))
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName(self.tr("Notes for the incident lead"))
        self.notes.setTabChangesFocus(True)
        layout.addWidget(self.notes, 1)
        buttons = QHBoxLayout()
        self.pdf_button = QPushButton(self.tr("Save the daily &report (PDF)…"))
        self.pdf_button.clicked.connect(self.save_report)
        self.calls_csv_button = QPushButton(self.tr("Export the day's &calls (CSV)…"))
        self.calls_csv_button.clicked.connect(self.export_calls)
        self.figures_csv_button = QPushButton(self.tr("Export the &figures (CSV)…"))
        self.figures_csv_button.clicked.connect(self.export_figures)
        for button in (self.pdf_button, self.calls_csv_button, self.figures_csv_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.report_message = QLabel(self.tr("Every export is recorded in the audit trail. Keep exported files on "
                                             "encrypted storage and delete them when done."))
        self.report_message.setAccessibleName(self.tr("Report result"))
        self.report_message.setWordWrap(True)
        layout.addWidget(self.report_message)
        return page

    # refreshing

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
        """Read the figures and the queues again, in the background."""
        if self._refreshing:
            self._again = True  # one more once this one is on screen
            return
        self._refreshing = True
        day = self.day()
        if self._pinned_day is None and self.day_edit.date().toPython() != day:
            self.day_edit.blockSignals(True)
            self.day_edit.setDate(QDate(day))  # past midnight: today is a new day
            self.day_edit.blockSignals(False)
        in_progress = self.open_calls() if day == helpline_day(now()) else None
        if self._hub_fetch is None:
            self.worker.run(lambda cache: (cache.dashboard(day, in_progress=in_progress), cache.supervisor_queues()),
                            lambda result: self._show(result[0], result[1], self.tr("Local cache (offline)")),
                            self._failed)
            return
        self.worker.run(lambda cache: cache.supervisor_queues(), self._show_queues, lambda error: (
            self.queue_message.setText(self.tr("The queues could not be read ({error}); they will be tried again.")
                                       .format(error=type(error).__name__))))
        fetch = self._hub_fetch
        self._hub.submit(lambda: fetch(day), lambda figures: self._hub_answered(figures, day, in_progress),
                         lambda error: self._hub_failed(error, day, in_progress))

    def _hub_answered(self, figures: dict, day: date, in_progress):
        if not isinstance(figures, dict) or not set(HUB_FIGURES) <= set(figures):
            return self._hub_failed(ValueError("the hub's figures are incomplete"), day, in_progress)
        self._show(dict(figures, source="hub"), None, self.tr("Hub"))

    def _hub_failed(self, error, day, in_progress):
        import logging

        logging.getLogger("console.ui").warning("dashboard: the hub's figures could not be read (%s)",
                                                type(error).__name__)
        self.worker.run(lambda cache: cache.dashboard(day, in_progress=in_progress),
                        lambda figures: self._show(figures, None, self.tr("Local cache (hub unreachable)")),
                        self._failed)

    def _failed(self, error):
        self._refreshing = False
        self.source_label.setText(self.tr("The figures could not be read ({error}); they will be tried again.")
                                  .format(error=type(error).__name__))
        self._refresh_done()

    def _showing_local(self) -> bool:
        return self.figures is None or self.figures.get("source") != "hub"

    def _show(self, figures: dict, queues: dict | None, source: str):
        self.figures = figures
        as_of = local_time(figures["as_of"], with_day=False)
        scope = self.tr("this workstation's calls") if self._showing_local() else self.tr("every workstation's calls")
        self.source_text = self.tr("{source} — {scope} — as of {time}").format(source=source, scope=scope, time=as_of)
        self.source_label.setText(self.source_text)
        self._show_tiles(figures)
        self.charts.show(figures)
        for key, model in self.breakdowns.items():
            counts = figures[key] if key == "by_region" else busiest_first(figures[key])
            model.show_counts(counts, self._practice_labels(figures) if key == "by_practice" else None)
        if queues is not None:
            self._show_queues(queues)
        self._refreshing = False
        self._refresh_done()

    def _refresh_done(self):
        self.refreshed.emit()
        if self._again:
            self._again = False
            self.refresh()

    @staticmethod
    def _practice_labels(figures: dict) -> dict:
        names = figures.get("practice_names", {})
        return {code: f"{code} {names[code]}" for code in figures["by_practice"] if code in names}

    def tile_numbers(self, figures: dict) -> dict:
        """The number each tile shows, as text."""
        def number(value):
            return "—" if value is None else f"{value:,}"

        handle = figures["handle_time_seconds"]
        return {
            "calls": number(figures["calls"]), "calls_this_hour": number(figures["calls_this_hour"]),
            "in_progress": number(figures["in_progress"]),
            "median": handle_time_text(handle["median"]), "p90": handle_time_text(handle["p90"]),
            "escalations": number(figures["escalations"]),
            "escalations_awaiting": number(figures["escalations_awaiting"]),
            "possession": number(figures["verified_by"]["possession"]),
            "knowledge": number(figures["verified_by"]["knowledge"]),
            "not_verified": number(figures["verification"]["not_verified"]),
            "not_attempted": number(figures["verification"]["not_attempted"]),
            "affected": number(figures["disclosed"]["affected"]),
            "not_affected": number(figures["disclosed"]["not_affected"]),
            "callbacks_open": number(figures["callbacks"]["open"]),
            "callbacks_overdue": number(figures["callbacks"]["overdue"]),
            "lockouts": number(figures["lockouts"]), "extortion": number(figures["extortion_reports"]),
            "scam": number(figures["scam_reports"]),
        }

    def _show_tiles(self, figures: dict):
        numbers = self.tile_numbers(figures)
        for key, caption in self._tiles():
            self.tile_values[key].setText(numbers[key])
            self.tile_captions[key].setText(caption)
            self.tile_values[key].setAccessibleName(f"{caption}: {numbers[key]}")

    def _queue_title(self, title: str, shown: int, total: int) -> str:
        if shown < total:
            return self.tr("{title}: {total:,} (the {shown:,} oldest shown)").format(title=title, total=total,
                                                                                    shown=shown)
        return self.tr("{title}: {total:,}").format(title=title, total=total)

    def _show_queues(self, queues: dict):
        self.callbacks_model.set_rows(queues["overdue_callbacks"])
        self.locked_model.set_rows(queues["locked"])
        self.escalations_model.set_rows(queues["escalations"])
        for box, title, shown, total in (
            (self.callbacks_box, self.tr("Overdue callbacks"), len(queues["overdue_callbacks"]),
             queues["overdue_callbacks_total"]),
            (self.locked_box, self.tr("Locked persons"), len(queues["locked"]), len(queues["locked"])),
            (self.escalations_box, self.tr("Escalations awaiting action (last 7 days)"), len(queues["escalations"]),
             queues["escalations_total"]),
        ):
            box.setTitle(self._queue_title(title, shown, total))
        known = {self.assignee.itemText(i) for i in range(self.assignee.count())}
        operators = set((self.figures or {}).get("by_operator", {})) | {
            c["assigned_to"] for c in queues["overdue_callbacks"] if c["assigned_to"]}
        for operator in sorted(operators - known):
            self.assignee.addItem(operator)

    # queue actions

    def _selected(self, view: QTableView, model: RowsModel) -> dict | None:
        rows = view.selectionModel().selectedRows()
        return model.rows[rows[0].row()] if rows else None

    def _act(self, operation, done_text: str):
        def done(_):
            self.queue_message.setText(done_text)
            self.status_message.emit(done_text)
            self.refresh()

        def refused(error):
            self.queue_message.setText(str(error) if isinstance(error, ValueError) else
                                       self.tr("That could not be done ({error}).").format(error=type(error).__name__))

        self.worker.run(operation, done, refused)

    def assign_callback(self):
        callback = self._selected(self.callbacks_view, self.callbacks_model)
        assignee = self.assignee.currentText().strip()
        if callback is None or not assignee:
            self.queue_message.setText(self.tr("Select an overdue callback and type the operator to assign it to."))
            return
        callback_id = callback["callback_id"]
        self._act(lambda cache: cache.assign_callback(callback_id, assignee),
                  self.tr("Callback due {due} assigned to {who}.").format(due=local_time(callback["due_at"]), who=assignee))

    def unlock_person(self):
        person = self._selected(self.locked_view, self.locked_model)
        reason = self.unlock_reason.text().strip()
        if person is None or not reason:
            self.queue_message.setText(self.tr("Select a locked person and say why they may be checked again."))
            return
        person_id = person["person_id"]
        self.unlock_reason.clear()
        self._act(lambda cache: cache.unlock(person_id, reason),
                  self.tr("{person} unlocked; the reason is in the audit trail.").format(person=person_id))

    def take_up_escalation(self):
        call = self._selected(self.escalations_view, self.escalations_model)
        if call is None:
            self.queue_message.setText(self.tr("Select an escalated call to take up."))
            return
        call_id, note = call["call_id"], self.take_up_note.text().strip() or None
        self.take_up_note.clear()
        self._act(lambda cache: cache.acknowledge_escalation(call_id, note),
                  self.tr("You took up the call escalated by {operator} at {when}.").format(
                      operator=call["operator"], when=local_time(call["started_at"])))

    # audit

    def audit_filters(self) -> dict:
        filters = {
            "operator": self.audit_operator.text().strip() or None,
            "person_id": self.audit_person.text().strip() or None,
            "kind": self.audit_kind.currentData(),
            "since": self.audit_since.dateTime().toPython().replace(tzinfo=HELPLINE_ZONE),
            "until": self.audit_until.dateTime().toPython().replace(tzinfo=HELPLINE_ZONE),
        }
        return {k: v for k, v in filters.items() if v is not None}

    def load_audit(self):
        filters = self.audit_filters()
        self.audit_button.setEnabled(False)
        self.audit_message.setText(self.tr("Reading…"))

        def shown(entries):
            self.audit_button.setEnabled(True)
            self.audit_model.set_rows(entries)
            more = self.tr(" (the latest {limit:,}; narrow the filters to see earlier ones)").format(limit=AUDIT_LIMIT)
            self.audit_message.setText(self.tr("{n:,} entries, newest first{more}.").format(
                n=len(entries), more=more if len(entries) == AUDIT_LIMIT else ""))

        def failed(error):
            self.audit_button.setEnabled(True)
            self.audit_message.setText(self.tr("The audit trail could not be read ({error}).").format(
                error=type(error).__name__))

        self.worker.run(lambda cache: cache.audit_entries(limit=AUDIT_LIMIT, newest_first=True, **filters),
                        shown, failed)

    def verify_chain(self):
        self.verify_button.setEnabled(False)
        self.chain_label.setText(self.tr("Verifying the chain…"))

        def shown(report):
            self.verify_button.setEnabled(True)
            if report.ok:
                self.chain_label.setText(self.tr("Chain intact: all {n:,} entries check out.").format(n=report.entries))
            else:
                self.chain_label.setText(self.tr("CHAIN BROKEN at entry {seq}: {problem}. Tell the incident lead.")
                                         .format(seq=report.first_broken_seq, problem=report.problem))

        def failed(error):
            self.verify_button.setEnabled(True)
            self.chain_label.setText(self.tr("The chain could not be verified ({error}).").format(
                error=type(error).__name__))

        self.worker.run(lambda cache: cache.verify_audit(), shown, failed)

    # reports

    def _ask_save_path(self, title: str, suggested: str, kinds: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, kinds)
        return path or None

    def _export(self, operation, title: str, suggested: str, kinds: str, done_text):
        """Ask where, then write on the worker: operation(cache, path) writes
        the file, records the export and returns what done_text(result, path) tells."""
        if self.figures is None:
            self.report_message.setText(self.tr("The figures are still loading; try again in a moment."))
            return
        path = self.ask_save_path(title, suggested, kinds)
        if not path:
            return

        def failed(error):
            self.report_message.setText(
                self.tr("{path} could not be written ({reason}).").format(path=path, reason=error.strerror)
                if isinstance(error, OSError) else
                self.tr("The export failed ({error}).").format(error=type(error).__name__))

        self.worker.run(lambda cache: operation(cache, path), lambda result: self.report_message.setText(
            done_text(result, path)), failed)

    def save_report(self):
        figures, source, notes = self.figures, self.source_text, self.notes.toPlainText()

        def write(cache, path):
            cache.record_export("incident_report", figures["calls"], format="pdf", day=figures["day"])

        if figures is None:
            self.report_message.setText(self.tr("The figures are still loading; try again in a moment."))
            return
        path = self.ask_save_path(self.tr("Save the daily report"), f"helpline-report-{figures['day']}.pdf",
                                  self.tr("PDF (*.pdf)"))
        if not path:
            return
        try:
            # charts are drawn on the main thread (a few tens of milliseconds); the worker records the export
            IncidentReport(figures, source, notes, self).write(path)
        except OSError as error:
            self.report_message.setText(self.tr("{path} could not be written ({reason}).").format(
                path=path, reason=error.strerror))
            return
        self.worker.run(lambda cache: write(cache, path), lambda _: self.report_message.setText(
            self.tr("The report for {day} is saved to {path}.").format(day=figures["day"], path=path)))

    def export_calls(self):
        day = date.fromisoformat(self.figures["day"]) if self.figures else self.day()
        since, until = day_bounds(day)

        def write(cache, path):
            from console.store.exports import write_calls

            records = cache.export_calls(since, until)
            with open(path, "w", encoding="utf-8-sig", newline="") as f:
                write_calls(records, f, "csv")
            cache.record_export("calls", len(records), format="csv", day=day.isoformat())
            return len(records)

        self._export(write, self.tr("Export the day's calls"), f"helpline-calls-{day}.csv", self.tr("CSV (*.csv)"),
                     lambda n, path: self.tr("{n:,} calls of {day} exported to {path}.").format(n=n, day=day, path=path))

    def export_figures(self):
        figures = self.figures

        def write(cache, path):
            from console.store.exports import write_figures

            with open(path, "w", encoding="utf-8-sig", newline="") as f:
                rows = write_figures(figures, f)
            cache.record_export("dashboard_figures", rows, format="csv", day=figures["day"])
            return rows

        day = figures["day"] if figures else self.day()
        self._export(write, self.tr("Export the figures"), f"helpline-figures-{day}.csv", self.tr("CSV (*.csv)"),
                     lambda rows, path: self.tr("The figures of {day} exported to {path}.").format(day=day, path=path))

    def close_down(self):
        self._timer.stop()
        self._hub.shutdown()
