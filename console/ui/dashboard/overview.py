"""The dashboard's overview tab: the figure tiles and the charts."""

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from console.ui.dashboard.charts import DashboardCharts
from console.ui.dashboard.incident_report import handle_time_text
from console.ui.dashboard.models import day_text, past_day

translate = QCoreApplication.translate  # the dashboard's words keep its context, "SupervisorView"


class OverviewTab:
    """The Overview tab, mixed into SupervisorView: it works on that view's state."""

    def _tiles(self, figures: dict | None = None) -> list[tuple[str, str]]:
        """(key, caption) of each figure tile, in reading order; each says the period it counts
        (the day shown, or the 7 days up to it, or now)."""
        in_progress = (translate("SupervisorView", "In progress (this workstation)") if self._showing_local()
                       else translate("SupervisorView", "In progress (all workstations)"))
        day = past_day(figures) if figures else None
        if day is None:
            calls, escalations = translate("SupervisorView", "Calls today"), translate("SupervisorView",
                                                                                       "Escalations today")
            awaiting = translate("SupervisorView", "Escalations awaiting action (last 7 days)")
        else:
            calls = translate("SupervisorView", "Calls on {day}").format(day=day_text(day))
            escalations = translate("SupervisorView", "Escalations on {day}").format(day=day_text(day))
            awaiting = translate("SupervisorView", "Escalations awaiting action (7 days to {day})").format(
                day=day_text(day))
        return [
            ("calls", calls),
            ("calls_this_hour", translate("SupervisorView", "This hour")),
            ("in_progress", in_progress), ("median", translate("SupervisorView", "Median handle time")),
            ("p90", translate("SupervisorView", "90th percentile handle time")),
            ("escalations", escalations),
            ("escalations_awaiting", awaiting),
            ("possession", translate("SupervisorView", "Verified by possession")),
            ("knowledge", translate("SupervisorView", "Verified by knowledge")),
            ("not_verified", translate("SupervisorView", "Not verified")),
            ("not_attempted", translate("SupervisorView", "Not attempted")),
            ("affected", translate("SupervisorView", "Told affected")),
            ("not_affected", translate("SupervisorView", "Told not affected")),
            ("callbacks_open", translate("SupervisorView", "Open callbacks")),
            ("callbacks_overdue", translate("SupervisorView", "Overdue callbacks")),
            ("lockouts", translate("SupervisorView", "Persons locked out")),
            ("extortion", translate("SupervisorView", "Extortion reports")),
            ("scam", translate("SupervisorView", "Scam reports")),
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
        for key, caption in self._tiles(figures):
            self.tile_values[key].setText(numbers[key])
            self.tile_captions[key].setText(caption)
            self.tile_values[key].setAccessibleName(f"{caption}: {numbers[key]}")
