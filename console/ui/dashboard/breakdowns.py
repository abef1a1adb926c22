"""The dashboard's breakdowns tab: calls by region, outcome, caller type, practice and operator."""

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QGridLayout, QGroupBox, QVBoxLayout, QWidget

from console.ui.dashboard.models import CountsModel, table_view

translate = QCoreApplication.translate  # the dashboard's words keep its context, "SupervisorView"


class BreakdownsTab:
    """The Breakdowns tab, mixed into SupervisorView: it works on that view's state."""

    def _build_breakdowns(self):
        page = QWidget()
        grid = QGridLayout(page)
        self.breakdowns: dict[str, CountsModel] = {}
        for index, (key, title) in enumerate((
            ("by_region", translate("SupervisorView", "By region (Northland first; calls with none apart)")),
            ("by_outcome", translate("SupervisorView", "By outcome")),
            ("by_caller_type", translate("SupervisorView", "By caller type")),
            ("by_practice", translate("SupervisorView", "By practice (the verified caller's enrolled practice)")),
            ("by_operator", translate("SupervisorView", "By operator")),
        )):
            box = QGroupBox(title)
            box_layout = QVBoxLayout(box)
            model = CountsModel(self)
            box_layout.addWidget(table_view(model, title))
            self.breakdowns[key] = model
            grid.addWidget(box, index // 3, index % 3)
        return page

    @staticmethod
    def _practice_labels(figures: dict) -> dict:
        names = figures.get("practice_names", {})
        return {code: f"{code} {names[code]}" for code in figures["by_practice"] if code in names}
