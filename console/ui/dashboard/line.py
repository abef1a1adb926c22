"""The dashboard's Line tab: the telephone queue as the hub measures it.

Every figure here is the hub's (GET /v1/queue and /v1/missed-callers,
computed by console.core.telephony), read through the workstation's signed
hub client on a thread of the tab's own; the tab formats them and never
counts anything itself. A workstation with no hub says that the line's
figures come from the hub. Supervisors set the service level's target and
the wallboard's thresholds here (workstation settings: the hub has no
settings of its own yet).
"""

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox, QVBoxLayout,
    QWidget,
)

from console.core.wallboard import FIGURES, percent_text, seconds_text, setting_name
from console.ui.dashboard.charts import ChartView
from console.ui.dashboard.models import local_time, table_view
from console.ui.operations import line
from console.ui.table_model import RowsModel
from console.ui.tasks import Background


def _count(value) -> str:
    return "—" if value is None else f"{value:,}"


def figure_texts(figures: dict) -> dict:
    """One row of the hub's figures (overall, a queue or an hour) as the tab shows it."""
    return {
        "waiting_now": _count(figures.get("waiting_now")),
        "longest_wait": seconds_text(figures.get("longest_wait_seconds")) if "waiting_now" in figures else "",
        "offered": _count(figures["offered"]), "answered": _count(figures["answered"]),
        "abandoned": _count(figures["abandoned"]), "short_abandoned": _count(figures["short_abandoned"]),
        "unanswered": _count(figures["unanswered"]),
        "service_level": percent_text(figures["service_level"]),
        "average_speed_of_answer": seconds_text(figures["average_speed_of_answer_seconds"]),
        "average_handle": seconds_text(figures["average_handle_seconds"]),
    }


class QueueRowsModel(RowsModel):
    columns = (
        ("name", QT_TRANSLATE_NOOP("QueueRowsModel", "Queue")),
        ("waiting_now", QT_TRANSLATE_NOOP("QueueRowsModel", "Waiting now")),
        ("longest_wait", QT_TRANSLATE_NOOP("QueueRowsModel", "Longest wait")),
        ("offered", QT_TRANSLATE_NOOP("QueueRowsModel", "Offered")),
        ("answered", QT_TRANSLATE_NOOP("QueueRowsModel", "Answered")),
        ("abandoned", QT_TRANSLATE_NOOP("QueueRowsModel", "Abandoned")),
        ("short_abandoned", QT_TRANSLATE_NOOP("QueueRowsModel", "Short abandons")),
        ("unanswered", QT_TRANSLATE_NOOP("QueueRowsModel", "Unanswered")),
        ("service_level", QT_TRANSLATE_NOOP("QueueRowsModel", "Service level")),
        ("average_speed_of_answer", QT_TRANSLATE_NOOP("QueueRowsModel", "Average speed of answer")),
        ("average_handle", QT_TRANSLATE_NOOP("QueueRowsModel", "Average handle time")),
    )


class HourRowsModel(QueueRowsModel):
    columns = (("name", QT_TRANSLATE_NOOP("HourRowsModel", "Hour")),) + tuple(
        column for column in QueueRowsModel.columns[1:] if column[0] not in ("waiting_now", "longest_wait"))


class MissedCallersModel(RowsModel):
    columns = (
        ("number", QT_TRANSLATE_NOOP("MissedCallersModel", "Number")),
        ("last_at", QT_TRANSLATE_NOOP("MissedCallersModel", "Last call")),
        ("wait", QT_TRANSLATE_NOOP("MissedCallersModel", "Waited")),
        ("calls", QT_TRANSLATE_NOOP("MissedCallersModel", "Missed calls")),
        ("queue", QT_TRANSLATE_NOOP("MissedCallersModel", "Queue")),
        ("status", QT_TRANSLATE_NOOP("MissedCallersModel", "Called back")),
    )


# the overall figures shown as tiles, and the formula beside those that have one
TILES = (
    ("waiting_now", QT_TRANSLATE_NOOP("LineTab", "Waiting now"), None),
    ("longest_wait", QT_TRANSLATE_NOOP("LineTab", "Longest current wait"), None),
    ("offered", QT_TRANSLATE_NOOP("LineTab", "Offered"), None),
    ("answered", QT_TRANSLATE_NOOP("LineTab", "Answered"), None),
    ("abandoned", QT_TRANSLATE_NOOP("LineTab", "Abandoned"), "abandoned"),
    ("short_abandoned", QT_TRANSLATE_NOOP("LineTab", "Short abandons"), None),
    ("service_level", QT_TRANSLATE_NOOP("LineTab", "Service level"), "service_level"),
    ("average_speed_of_answer", QT_TRANSLATE_NOOP("LineTab", "Average speed of answer"), "average_speed_of_answer"),
    ("average_handle", QT_TRANSLATE_NOOP("LineTab", "Average handle time"), "average_handle_time"),
)


class LineTab(QWidget):
    """The queue's figures, per queue and overall, today and by hour, and the missed callers."""

    refreshed = Signal()  # the hub's figures (or why there are none) are on screen
    settings_saved = Signal()

    def __init__(self, worker, parent=None):
        super().__init__(parent)
        self.worker = worker
        self._read = None  # read(path, **params): the signed hub client's GET; None: standalone
        self._thread = Background("line", self)
        self.figures: dict | None = None
        self.missed: dict | None = None
        self.settings: dict = {}
        self.setAccessibleName(self.tr("Telephone line"))
        self._build()
        line.line_settings(self, self._settings_read).run_in_background(key="line-settings")

    # reading

    def set_hub_reader(self, read) -> None:
        self._read = read
        self.refresh()

    @property
    def target(self) -> int:
        return self.settings.get("queue_target_seconds", 60)

    def refresh(self, day=None) -> None:
        """The hub's figures for `day` (None: the helpline's today), in the background."""
        if self._read is None:
            self.source.setText(self.tr("The line's figures come from the hub, which counts every call the "
                                        "telephone system reports. This workstation works standalone (no hub "
                                        "is set), so it has none to show."))
            self.refreshed.emit()
            return
        line.queue_figures(self, self._thread, self._read, self.target, self._show, day=day).failure(
            self._failed).run_in_background(key="line")

    @property
    def refreshing(self) -> bool:
        return self._thread.busy("line")

    def _failed(self, error) -> None:
        when = (self.tr(" The figures shown are as of {time}.").format(time=local_time(self.as_of, with_day=False))
                if self.figures else "")
        self.source.setText(self.tr("The hub's line figures could not be read: {error}").format(error=error) + when)
        self.refreshed.emit()

    def _show(self, result) -> None:
        from datetime import datetime, timezone

        self.figures, self.missed = result
        self.as_of = datetime.now(timezone.utc).isoformat()
        figures = self.figures
        self.source.setText(self.tr("Hub — the line on {day}, as of {time}; service level target {target} s.")
                            .format(day=figures.get("day", ""), time=local_time(self.as_of, with_day=False),
                                    target=figures["target_seconds"]))
        overall = figure_texts(figures["overall"])
        for key, value in self.tile_values.items():
            value.setText(overall[key])
        for key, label in self.formula_labels.items():
            label.setText(self._formula(key, figures))
        operators = figures["operators"]
        self.operators.setText(self.tr("Operators: {signed_in} signed in · {on_call} on a call · {wrap_up} in "
                                       "wrap-up").format(**{k: _count(operators.get(k)) if operators.get(k) is not None
                                                            else self.tr("not known to the hub")
                                                            for k in ("signed_in", "on_call", "wrap_up")}))
        self.queue_model.set_rows([dict(figure_texts(figures["overall"]), name=self.tr("All queues"))]
                                  + [dict(figure_texts(row), name=name) for name, row in figures["queues"].items()])
        self.hour_model.set_rows([dict(figure_texts(row), name=f"{hour}:00") for hour, row in figures["hours"].items()])
        hours = list(figures["hours"].items())
        self.chart.show_bars(
            [hour for hour, _ in hours],
            [(self.tr("Offered"), [row["offered"] for _, row in hours]),
             (self.tr("Answered"), [row["answered"] for _, row in hours]),
             (self.tr("Abandoned"), [row["abandoned"] for _, row in hours])],
            self.tr("Calls by hour: {}.").format(", ".join(
                self.tr("{hour}:00 {offered} offered, {answered} answered, {abandoned} abandoned").format(
                    hour=hour, **{k: row[k] for k in ("offered", "answered", "abandoned")}) for hour, row in hours)
                or self.tr("none yet")))
        self._show_missed(self.missed)
        self.refreshed.emit()

    def _formula(self, key: str, figures: dict) -> str:
        formula = figures["formulas"][key]
        if key != "service_level":
            return formula
        overall = figures["overall"]
        return self.tr("{formula} = {within} ÷ ({offered} − {short})").format(
            formula=formula, within=overall["answered_within_target"], offered=overall["offered"],
            short=overall["short_abandoned"])

    def _show_missed(self, missed: dict | None) -> None:
        entries = (missed or {}).get("missed_callers", [])
        self.missed_model.set_rows([{
            "number": entry["number"], "last_at": local_time(entry["last_at"], with_day=False)[:5],
            "wait": seconds_text(entry["wait_seconds"]), "calls": entry["calls"], "queue": entry["queue"],
            "status": (self.tr("Got through at {time}").format(time=local_time(entry["resolved_at"], with_day=False)[:5])
                       if entry["resolved"] else self.tr("Not yet")),
        } for entry in entries])
        if missed is not None:
            self.missed_title.setText(self.tr("Missed callers to call back, newest first: {open} open of {total}")
                                      .format(open=missed["open"], total=missed["total"]))

    # settings

    def _settings_read(self, values: dict) -> None:
        self.settings = values
        self.target_spin.setValue(values["queue_target_seconds"])
        self.refresh_spin.setValue(values["wallboard_refresh_seconds"])
        for name, spin in self.threshold_spins.items():
            spin.setValue(values[name])

    def save_settings(self) -> None:
        """The target and thresholds as set here (a supervisor's), then the figures again."""
        values = {"queue_target_seconds": self.target_spin.value(),
                  "wallboard_refresh_seconds": self.refresh_spin.value(),
                  **{name: spin.value() for name, spin in self.threshold_spins.items()}}
        changed = {key: value for key, value in values.items() if self.settings.get(key) != value}

        def saved(_):
            self.settings.update(changed)
            self.settings_message.setText(self.tr("Saved: the figures use a target of {target} s.")
                                          .format(target=self.target))
            self.settings_saved.emit()
            self.refresh()

        line.save_line_settings(self, changed, saved).failure(
            lambda error: self.settings_message.setText(str(error))).run_in_background()

    # building

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.source = QLabel(self.tr("Loading…"))
        self.source.setWordWrap(True)
        self.source.setAccessibleName(self.tr("Source of the line's figures"))
        outer.addWidget(self.source)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        scroll.setWidget(page)
        outer.addWidget(scroll)

        tiles = QGridLayout()
        self.tile_values: dict[str, QLabel] = {}
        self.formula_labels: dict[str, QLabel] = {}
        for index, (key, caption, formula) in enumerate(TILES):
            value, label = QLabel("—"), QLabel(self.tr(caption))
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.6)
            font.setBold(True)
            value.setFont(font)
            value.setAccessibleName(self.tr(caption))
            label.setBuddy(value)
            label.setWordWrap(True)
            row, column = divmod(index, 5)
            tiles.addWidget(value, row * 3, column, Qt.AlignBottom)
            tiles.addWidget(label, row * 3 + 1, column, Qt.AlignTop)
            if formula:
                text = QLabel()
                text.setWordWrap(True)
                text.setProperty("role", "prompt")
                text.setAccessibleName(self.tr("Formula of {figure}").format(figure=self.tr(caption)))
                tiles.addWidget(text, row * 3 + 2, column, Qt.AlignTop)
                self.formula_labels[formula] = text
            self.tile_values[key] = value
        layout.addLayout(tiles)
        self.operators = QLabel()
        self.operators.setAccessibleName(self.tr("Operators"))
        layout.addWidget(self.operators)

        self.queue_model = QueueRowsModel(self)
        layout.addWidget(QLabel(self.tr("Per queue, today")))
        layout.addWidget(table_view(self.queue_model, self.tr("Per queue, today")))
        hours = QHBoxLayout()
        self.hour_model = HourRowsModel(self)
        hours.addWidget(table_view(self.hour_model, self.tr("By hour")), 1)
        self.chart = ChartView(self.tr("Calls by hour"))
        hours.addWidget(self.chart, 1)
        layout.addWidget(QLabel(self.tr("By hour")))
        layout.addLayout(hours)
        self.missed_title = QLabel(self.tr("Missed callers to call back, newest first"))
        layout.addWidget(self.missed_title)
        self.missed_model = MissedCallersModel(self)
        layout.addWidget(table_view(self.missed_model, self.tr("Missed callers")))
        layout.addWidget(self._build_settings())

    def _build_settings(self) -> QGroupBox:
        box = QGroupBox(self.tr("Targets and wallboard thresholds (supervisors)"))
        form = QFormLayout(box)
        self.target_spin = QSpinBox()
        self.target_spin.setRange(1, 3600)
        self.target_spin.setSuffix(" s")
        self.target_spin.setAccessibleName(self.tr("Service level target"))
        form.addRow(self.tr("Service level tar&get: answered within"), self.target_spin)
        self.refresh_spin = QSpinBox()
        self.refresh_spin.setRange(2, 300)
        self.refresh_spin.setSuffix(" s")
        self.refresh_spin.setAccessibleName(self.tr("Wallboard refresh"))
        form.addRow(self.tr("Wallboard reads the hub every"), self.refresh_spin)
        self.threshold_spins: dict[str, QSpinBox] = {}
        units = {"count": "", "seconds": " s", "percent": " %"}
        for figure in FIGURES:
            row = QHBoxLayout()
            for level in ("amber", "red"):
                spin = QSpinBox()
                spin.setRange(0, 100 if figure.unit == "percent" else 86_400)
                spin.setSuffix(units[figure.unit])
                spin.setAccessibleName(self.tr("{figure}: {level} threshold").format(figure=figure.caption,
                                                                                     level=level))
                row.addWidget(QLabel(self.tr("amber") if level == "amber" else self.tr("red")))
                row.addWidget(spin)
                self.threshold_spins[setting_name(figure.key, level)] = spin
            row.addStretch(1)
            word = self.tr("from") if figure.higher_is_worse else self.tr("at or below")
            form.addRow(f"{figure.caption} ({word})", row)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self.tr("&Save targets"))
        self.save_button.clicked.connect(self.save_settings)
        self.settings_message = QLabel()
        self.settings_message.setWordWrap(True)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.settings_message, 1)
        form.addRow(buttons)
        return box

    def close_down(self) -> None:
        self._thread.shutdown()
