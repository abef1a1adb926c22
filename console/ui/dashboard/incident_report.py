"""The daily incident report: a PDF written by Qt's own PDF writer.

One rich-text document (the supervisor's notes for the incident lead,
figures, breakdowns, the four charts), paginated by QTextDocument onto
an A4 QPdfWriter. The text stays text in the PDF, so it can be searched and
read aloud.
"""

from datetime import date
from html import escape

from PySide6.QtCore import QMarginsF, QObject, QSize, QUrl
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from console.core.dashboard import busiest_first
from console.core.output_safety import open_private
from console.ui.dashboard.charts import DashboardCharts

CHART_SIZE = QSize(1000, 430)
CHART_WIDTH = 500  # points: the text width of an A4 page with 15 mm margins is 510


def handle_time_text(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class IncidentReport(QObject):
    """Builds the report's document from the figures, the source line and the notes."""

    def __init__(self, figures: dict, source: str, notes: str, parent=None):
        super().__init__(parent)
        self.figures = figures
        self.source = source
        self.notes = notes

    def key_figures(self) -> list[tuple[str, str]]:
        f = self.figures
        handle = f["handle_time_seconds"]
        in_progress = "—" if f["in_progress"] is None else f"{f['in_progress']:,}"
        return [
            (self.tr("Calls today"), f"{f['calls']:,}"),
            (self.tr("Calls this hour"), "—" if f["calls_this_hour"] is None else f"{f['calls_this_hour']:,}"),
            (self.tr("In progress"), in_progress),
            (self.tr("Verified by possession"), f"{f['verified_by']['possession']:,}"),
            (self.tr("Verified by knowledge"), f"{f['verified_by']['knowledge']:,}"),
            (self.tr("Not verified"), f"{f['verification']['not_verified']:,}"),
            (self.tr("Not attempted"), f"{f['verification']['not_attempted']:,}"),
            (self.tr("Told affected"), f"{f['disclosed']['affected']:,}"),
            (self.tr("Told not affected"), f"{f['disclosed']['not_affected']:,}"),
            (self.tr("Median handle time"), handle_time_text(handle["median"])),
            (self.tr("90th percentile handle time"), handle_time_text(handle["p90"])),
            (self.tr("Escalations"), f"{f['escalations']:,}"),
            (self.tr("Escalations awaiting action"), f"{f['escalations_awaiting']:,}"),
            (self.tr("Open callbacks"), f"{f['callbacks']['open']:,}"),
            (self.tr("Overdue callbacks"), f"{f['callbacks']['overdue']:,}"),
            (self.tr("Persons locked out"), f"{f['lockouts']:,}"),
            (self.tr("Extortion reports"), f"{f['extortion_reports']:,}"),
            (self.tr("Scam reports"), f"{f['scam_reports']:,}"),
        ]

    def breakdowns(self) -> list[tuple[str, dict]]:
        f = self.figures
        names = f.get("practice_names", {})
        practices = {f"{code} {names[code]}" if code in names else code: n for code, n in f["by_practice"].items()}
        return [(self.tr("By outcome"), busiest_first(f["by_outcome"])),
                (self.tr("By caller type"), busiest_first(f["by_caller_type"])),
                (self.tr("By region (Northland first)"), f["by_region"]),
                (self.tr("By practice (verified callers' enrolled practice)"), practices),
                (self.tr("By operator"), f["by_operator"])]

    def html(self, chart_urls: list[str]) -> str:
        day = date.fromisoformat(self.figures["day"])
        parts = [
            f"<h1>{escape(self.tr('Helpline daily incident report'))}</h1>",
            f"<p><b>{escape(day.strftime('%A %-d %B %Y'))}</b><br>{escape(self.source)}</p>",
            f"<h2>{escape(self.tr('Notes for the incident lead'))}</h2>",
            "".join(f"<p>{escape(line)}</p>" for line in (self.notes.strip() or self.tr("(none)")).splitlines()),
            f"<h2>{escape(self.tr('Key figures'))}</h2>",
            _table([(name, value) for name, value in self.key_figures()]),
        ]
        for title, counts in self.breakdowns():
            parts.append(f"<h3>{escape(title)}</h3>")
            parts.append(_table([(key, f"{n:,}") for key, n in counts.items()]) if counts
                         else f"<p>{escape(self.tr('No calls.'))}</p>")
        parts.append(f"<h2>{escape(self.tr('Charts'))}</h2>")
        parts += [f'<p><img src="{url}" width="{CHART_WIDTH}"></p>' for url in chart_urls]
        return "\n".join(parts)

    def write(self, path) -> None:
        """Write the PDF to `path`."""
        document = QTextDocument()
        charts = DashboardCharts(printed=True)
        charts.show(self.figures)
        urls = []
        for number, view in enumerate(charts.views):
            view.resize(CHART_SIZE)
            url = f"chart://{number}"
            document.addResource(QTextDocument.ImageResource, QUrl(url), view.grab().toImage())
            urls.append(url)
            view.deleteLater()
        document.setHtml(self.html(urls))
        open_private(path).close()  # owner-only before the PDF (its notes may name someone) is written into it
        writer = QPdfWriter(str(path))
        writer.setTitle(self.tr("Helpline daily incident report {day}").format(day=self.figures["day"]))
        writer.setCreator("Helpline Console")
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Portrait, QMarginsF(15, 15, 15, 15),
                                         QPageLayout.Millimeter))
        writer.setResolution(300)
        document.print_(writer)


def _table(rows) -> str:
    cells = "".join(f"<tr><td>{escape(str(name))}</td><td align='right'>{escape(str(value))}</td></tr>"
                    for name, value in rows)
    return f"<table border='1' cellspacing='0' cellpadding='4'>{cells}</table>"
