"""The daily incident report: a PDF written by Qt's own PDF writer.

The supervisor's notes for the incident lead, figures, breakdowns and the four
charts, laid out page by page on an A4 QPdfWriter: each block (a heading, a
paragraph, a table, a chart) is a small QTextDocument measured before it is
placed, so a table is never cut across a page: it moves to the next page whole,
or, when longer than a page, goes on over several with its column titles again
on each and never a row split. Every page carries the classification, IN
CONFIDENCE, at its top and its foot. The text stays text in the PDF, so it can
be searched and read aloud.
"""

from datetime import date
from html import escape

from PySide6.QtCore import QMarginsF, QObject, QPointF, QRectF, QSize, Qt, QUrl
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

from console.core.dashboard import busiest_first
from console.core.output_safety import open_private
from console.core.labels import BREAKDOWN_KINDS, label, region_counts
from console.ui.dashboard.charts import DashboardCharts
from console.ui.dashboard.models import day_text, past_day

CHART_SIZE = QSize(1000, 430)
RESOLUTION = 300  # dots per inch of the PDF's device
CLASSIFICATION = "IN CONFIDENCE"
BAND_MM = 10  # the classification's band at the top and the foot of each page, inside the margins


def handle_time_text(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def share_text(n: int, total: int) -> str:
    return f"{n / total:.0%}" if total else "—"


class IncidentReport(QObject):
    """Builds the report's document from the figures, the source line and the notes."""

    def __init__(self, figures: dict, source: str, notes: str, parent=None):
        super().__init__(parent)
        self.figures = figures
        self.source = source
        self.notes = notes

    def key_figures(self) -> list[tuple[str, str, str]]:
        """(name, value, share of the day's calls where the figure is a part of them)."""
        f = self.figures
        total = f["calls"]
        handle = f["handle_time_seconds"]
        day = past_day(f)

        def count(n):
            return f"{n:,}"

        def part(name, n):
            return name, count(n), share_text(n, total)

        return [
            (self.tr("Calls today") if day is None else self.tr("Calls on {day}").format(day=day_text(day)),
             count(total), ""),
            (self.tr("Calls this hour"), "—" if f["calls_this_hour"] is None else count(f["calls_this_hour"]), ""),
            (self.tr("In progress"), "—" if f["in_progress"] is None else count(f["in_progress"]), ""),
            part(self.tr("Verified by possession"), f["verified_by"]["possession"]),
            part(self.tr("Verified by knowledge"), f["verified_by"]["knowledge"]),
            part(self.tr("Not verified"), f["verification"]["not_verified"]),
            part(self.tr("Not attempted"), f["verification"]["not_attempted"]),
            part(self.tr("Told affected"), f["disclosed"]["affected"]),
            part(self.tr("Told not affected"), f["disclosed"]["not_affected"]),
            (self.tr("Median handle time"), handle_time_text(handle["median"]), ""),
            (self.tr("90th percentile handle time"), handle_time_text(handle["p90"]), ""),
            part(self.tr("Escalations"), f["escalations"]),
            (self.tr("Escalations awaiting action (7 days)"), count(f["escalations_awaiting"]), ""),
            (self.tr("Open callbacks (now)"), count(f["callbacks"]["open"]), ""),
            (self.tr("Overdue callbacks (now)"), count(f["callbacks"]["overdue"]), ""),
            (self.tr("Persons locked out (now)"), count(f["lockouts"]), ""),
            part(self.tr("Extortion reports"), f["extortion_reports"]),
            part(self.tr("Scam reports"), f["scam_reports"]),
        ]

    def breakdowns(self) -> list[tuple[str, str, dict]]:
        """(title, what its rows are, {row's words: calls})."""
        f = self.figures
        names = f.get("practice_names", {})
        practices = {f"{code} {names[code]}" if code in names else code: n for code, n in f["by_practice"].items()}

        def words(key, counts):
            return {self.translate_label(BREAKDOWN_KINDS.get(key, key), value): n for value, n in counts.items()}

        return [(self.tr("By outcome"), self.tr("Outcome"), words("by_outcome", busiest_first(f["by_outcome"]))),
                (self.tr("By caller type"), self.tr("Caller type"),
                 words("by_caller_type", busiest_first(f["by_caller_type"]))),
                (self.tr("By region (Northland first; calls with none apart)"), self.tr("Region"),
                 words("by_region", region_counts(f))),
                (self.tr("By practice (verified callers' enrolled practice)"), self.tr("Practice"), practices),
                (self.tr("By operator"), self.tr("Operator"), f["by_operator"])]

    @staticmethod
    def translate_label(kind: str, value: str) -> str:
        from PySide6.QtCore import QCoreApplication

        return QCoreApplication.translate("Labels", label(kind, value))

    def blocks(self, chart_urls: list[str]) -> list[tuple]:
        """The report in reading order: ("html", text) blocks, and ("table", title, columns, rows)
        blocks, which the layout keeps whole or continues with their column titles."""
        day = date.fromisoformat(self.figures["day"])
        total = self.figures["calls"]
        blocks = [
            ("html", f"<h1>{escape(self.tr('Helpline daily incident report'))}</h1>"
                     f"<p><b>{escape(day.strftime('%A %-d %B %Y'))}</b><br>{escape(self.source)}</p>"),
            ("html", f"<h2>{escape(self.tr('Notes for the incident lead'))}</h2>"),
        ]
        blocks += [("html", f"<p>{escape(line)}</p>")
                   for line in (self.notes.strip() or self.tr("(none)")).splitlines()]
        blocks.append(("table", self.tr("Key figures"), (self.tr("Figure"), self.tr("Value"), self.tr("Share")),
                       self.key_figures(), "h2"))
        for title, what, counts in self.breakdowns():
            if counts:
                rows = [(key, f"{n:,}", share_text(n, total)) for key, n in counts.items()]
                blocks.append(("table", title, (what, self.tr("Calls"), self.tr("Share of calls")), rows, "h3"))
            else:
                blocks.append(("html", f"<h3>{escape(title)}</h3><p>{escape(self.tr('No calls.'))}</p>"))
        heading = f"<h2>{escape(self.tr('Charts'))}</h2>"
        for number, url in enumerate(chart_urls):
            # the heading stays with the first chart
            blocks.append(("html", (heading if number == 0 else "") + f'<p><img src="{url}" width="{{width}}"></p>'))
        return blocks

    def write(self, path) -> None:
        """Write the PDF to `path`."""
        charts = DashboardCharts(printed=True)
        charts.show(self.figures)
        images = {}
        for number, view in enumerate(charts.views):
            view.resize(CHART_SIZE)
            images[f"chart://{number}"] = view.grab().toImage()
            view.deleteLater()
        open_private(path).close()  # owner-only before the PDF (its notes may name someone) is written into it
        writer = QPdfWriter(str(path))
        writer.setTitle(self.tr("Helpline daily incident report {day}").format(day=self.figures["day"]))
        writer.setCreator("Helpline Console")
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Portrait, QMarginsF(15, 15, 15, 15),
                                         QPageLayout.Millimeter))
        writer.setResolution(RESOLUTION)
        _Pages(writer, images, CLASSIFICATION).lay_out(self.blocks(list(images)))


class _Pages:
    """Places measured blocks on pages under a header and over a footer, then paints them."""

    def __init__(self, writer: QPdfWriter, images: dict, classification: str):
        self.writer = writer
        self.images = images
        self.classification = classification
        page = writer.pageLayout().paintRectPixels(RESOLUTION)
        band = BAND_MM / 25.4 * RESOLUTION
        self.width = page.width()
        self.body = QRectF(0, band, page.width(), page.height() - 2 * band)
        self.band = band
        self.page_height = page.height()

    def document(self, html: str) -> QTextDocument:
        document = QTextDocument()
        document.documentLayout().setPaintDevice(self.writer)  # fonts measured at the PDF's resolution
        for url, image in self.images.items():
            document.addResource(QTextDocument.ImageResource, QUrl(url), image)
        document.setHtml(html.replace("{width}", str(int(self.width * 0.95))))
        document.setTextWidth(self.width)
        return document

    def table(self, title: str, columns, rows, level: str, continued: bool = False) -> QTextDocument:
        heading = escape(title) + (escape(" (continued)") if continued else "")
        head = "".join(f"<th align='left'>{escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td{' align=right' if i else ''}>{escape(str(v))}</td>"
                                        for i, v in enumerate(row)) + "</tr>" for row in rows)
        return self.document(f"<{level}>{heading}</{level}>"
                             f"<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
                             f"<thead><tr>{head}</tr></thead>{body}</table>")

    def lay_out(self, blocks) -> None:
        pages: list[list[tuple[float, QTextDocument]]] = [[]]
        y = 0.0

        def place(document):
            nonlocal y
            height = document.size().height()
            if pages[-1] and y + height > self.body.height():
                pages.append([])
                y = 0.0
            pages[-1].append((y, document))
            y += height

        for block in blocks:
            if block[0] == "html":
                place(self.document(block[1]))
                continue
            _, title, columns, rows, level = block
            whole = self.table(title, columns, rows, level)
            if whole.size().height() <= self.body.height():
                place(whole)  # whole, on this page or the next
                continue
            done, continued = 0, False
            while done < len(rows):
                room = self.body.height() - y
                fit = self._rows_that_fit(title, columns, rows[done:], level, continued, room)
                if fit == 0:
                    pages.append([])
                    y = 0.0
                    continue
                place(self.table(title, columns, rows[done:done + fit], level, continued))
                done += fit
                continued = True
        self._paint(pages)

    def _rows_that_fit(self, title, columns, rows, level, continued, room) -> int:
        low, high = 0, len(rows)
        while low < high:  # the most rows whose table (title and column titles included) fits the room
            middle = (low + high + 1) // 2
            if self.table(title, columns, rows[:middle], level, continued).size().height() <= room:
                low = middle
            else:
                high = middle - 1
        return low

    def _paint(self, pages) -> None:
        painter = QPainter(self.writer)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        for number, placed in enumerate(pages, 1):
            if number > 1:
                self.writer.newPage()
            top = QRectF(0, 0, self.width, self.band)
            foot = QRectF(0, self.page_height - self.band, self.width, self.band)
            painter.drawText(top, Qt.AlignHCenter | Qt.AlignTop, self.classification)
            for y, document in placed:
                painter.save()
                painter.translate(QPointF(0, self.body.top() + y))
                document.drawContents(painter)
                painter.restore()
            painter.drawText(foot, Qt.AlignHCenter | Qt.AlignBottom, self.classification)
            painter.drawText(foot, Qt.AlignRight | Qt.AlignBottom, f"{number} / {len(pages)}")
        painter.end()
