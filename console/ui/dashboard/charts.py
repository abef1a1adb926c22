"""The dashboard's charts (QtCharts), each with a text alternative.

Colours follow the theme: on the platform's light palette a colour-blind-safe
set (Okabe and Ito), on the high-contrast theme's black, yellow and cyan with
white text; a printed report always uses the light set. A screen reader gets
the chart's figures as a sentence (accessible description, also the tooltip).
"""

from datetime import timedelta

from PySide6.QtCharts import (
    QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QHorizontalBarSeries, QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, QObject, Qt
from PySide6.QtGui import QColor, QPainter, QPalette

from console.core.dashboard import busiest_first, region_order
from console.core.labels import NO_REGION, region_counts
from console.ui.dashboard.models import day_text, past_day, words

LIGHT = {"background": "#ffffff", "text": "#000000", "grid": "#d0d0d0", "series": ("#0072B2", "#E69F00", "#009E73")}
HIGH_CONTRAST = {"background": "#000000", "text": "#ffffff", "grid": "#808080", "series": ("#ffff00", "#00ffff", "#ffffff")}


def colours_for(palette: QPalette) -> dict:
    return HIGH_CONTRAST if palette.color(QPalette.Window).lightness() < 128 else LIGHT


class ChartView(QChartView):
    """One bar chart: categories along an axis, one or more named sets of values.

    The series, its sets and its axes are made once and updated in place on
    every refresh: a chart rebuilt every 30 seconds would grow slower all shift."""

    def __init__(self, name: str, horizontal: bool = False, printed: bool = False, parent=None):
        super().__init__(parent)
        self.horizontal = horizontal
        self.printed = printed
        self.setAccessibleName(name)
        self.setRenderHint(QPainter.Antialiasing)
        self.setMinimumHeight(220)
        self.setFrameShape(QChartView.NoFrame)
        chart = QChart()
        chart.setTitle(name)
        chart.setAnimationOptions(QChart.NoAnimation)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignBottom)
        self.setChart(chart)
        self.series = QHorizontalBarSeries() if horizontal else QBarSeries()
        self.series.setLabelsPosition(QBarSeries.LabelsOutsideEnd)
        chart.addSeries(self.series)
        self.category_axis = QBarCategoryAxis()
        self.value_axis = QValueAxis()
        self.value_axis.setLabelFormat("%d")
        for axis, side in ((self.category_axis, Qt.AlignLeft if horizontal else Qt.AlignBottom),
                           (self.value_axis, Qt.AlignBottom if horizontal else Qt.AlignLeft)):
            chart.addAxis(axis, side)
            self.series.attachAxis(axis)
        self._data = ([], [])
        if printed:  # drawn large and scaled down onto the page: text as large as the report's
            self._enlarge_text(1.35)
        self._colour()

    def _enlarge_text(self, factor: float):
        chart = self.chart()
        for get, set_ in ((chart.titleFont, chart.setTitleFont), (chart.legend().font, chart.legend().setFont),
                          (self.category_axis.labelsFont, self.category_axis.setLabelsFont),
                          (self.value_axis.labelsFont, self.value_axis.setLabelsFont)):
            font = get()
            font.setPointSizeF(font.pointSizeF() * factor)
            set_(font)

    def set_title(self, name: str):
        """The chart's title, which is also its name to a screen reader."""
        self.chart().setTitle(name)
        self.setAccessibleName(name)

    def show_bars(self, categories: list[str], sets: list[tuple[str, list[float]]], summary: str):
        """Show these figures; `summary` is the chart's text alternative."""
        self._data = (list(categories), [(name, list(values)) for name, values in sets])
        self.setAccessibleDescription(summary)
        self.setToolTip(summary)
        names = [name for name, _ in sets]
        if [bars.label() for bars in self.series.barSets()] != names:
            self.series.clear()
            for name in names:
                self.series.append(QBarSet(name))
            self._colour()
        for bars, (_, values) in zip(self.series.barSets(), sets):
            if bars.count() == len(values):
                for index, value in enumerate(values):
                    bars.replace(index, float(value))
            else:
                bars.remove(0, bars.count())
                bars.append([float(v) for v in values])
        if self.category_axis.categories() != list(categories):
            self.category_axis.setCategories(list(categories) or [""])
        top = max((v for _, values in sets for v in values), default=0)
        self.value_axis.setRange(0, max(4, top * 1.1))
        self.value_axis.applyNiceNumbers()
        self.series.setLabelsVisible(len(categories) * len(sets) <= 16)
        self.chart().legend().setVisible(len(sets) > 1)

    def _colour(self):
        colours = LIGHT if self.printed else colours_for(self.palette())
        text, grid = QColor(colours["text"]), QColor(colours["grid"])
        for bars, colour in zip(self.series.barSets(), colours["series"]):
            bars.setColor(QColor(colour))
            bars.setBorderColor(text)
            bars.setLabelColor(text)
        for axis in (self.category_axis, self.value_axis):
            axis.setLabelsColor(text)
            axis.setLinePenColor(text)
            axis.setGridLineColor(grid)
        chart = self.chart()
        chart.legend().setLabelColor(text)
        chart.setBackgroundBrush(QColor(colours["background"]))
        chart.setTitleBrush(text)
        self.setBackgroundBrush(QColor(colours["background"]))

    def changeEvent(self, event):
        if event.type() == QEvent.PaletteChange and not self.printed:
            self._colour()
        super().changeEvent(event)


class DashboardCharts(QObject):
    """The four charts of the dashboard, filled from one figures object."""

    def __init__(self, printed: bool = False, parent=None):
        super().__init__(parent)
        self.hours = ChartView(self.tr("Calls per hour, today against yesterday"), printed=printed)
        self.outcomes = ChartView(self.tr("Outcomes"), horizontal=True, printed=printed)
        self.handle_times = ChartView(self.tr("Handle time"), printed=printed)
        self.regions = ChartView(self.tr("Calls by region"), horizontal=True, printed=printed)

    @property
    def views(self) -> list[ChartView]:
        return [self.hours, self.outcomes, self.handle_times, self.regions]

    def show(self, figures: dict):
        today, yesterday = figures["calls_per_hour"]["today"], figures["calls_per_hour"]["yesterday"]
        day = past_day(figures)  # a past day is named, never "today": in the legend, title and text alternative
        if day is None:
            names = (self.tr("Today"), self.tr("Yesterday"))
            self.hours.set_title(self.tr("Calls per hour, today against yesterday"))
        else:
            names = (day_text(day), day_text(day - timedelta(days=1)))
            self.hours.set_title(self.tr("Calls per hour, {day} against {before}").format(
                day=names[0], before=names[1]))
        self.hours.show_bars(
            [f"{h:02d}" for h in range(24)], [(names[0], today), (names[1], yesterday)],
            self.tr("Calls per hour. {day} {calls}, busiest {busy}; {before} {calls_before}, busiest "
                    "{busy_before}.").format(day=names[0], calls=sum(today), busy=self._busiest(today),
                                             before=names[1], calls_before=sum(yesterday),
                                             busy_before=self._busiest(yesterday)),
        )
        outcomes = {words("outcome", key): n for key, n in busiest_first(figures["by_outcome"]).items()}
        # horizontal bars are drawn bottom up: reversed, so the first reads at the top
        self.outcomes.show_bars(list(outcomes)[::-1], [(self.tr("Calls"), list(outcomes.values())[::-1])],
                                self.tr("Outcomes: {}.").format(self._listing(outcomes)))
        bars = figures["handle_time_histogram"]
        self.handle_times.show_bars(
            [bar["label"] for bar in bars], [(self.tr("Calls"), [bar["calls"] for bar in bars])],
            self.tr("Handle time: {}.").format(self._listing({bar["label"]: bar["calls"] for bar in bars})),
        )
        regions = {r: figures["by_region"][r] for r in region_order(figures["by_region"])}
        regions = {words("region", None) if r == NO_REGION else r: n for r, n in region_counts(
            dict(figures, by_region=regions)).items()}
        self.regions.show_bars(list(regions)[::-1], [(self.tr("Calls"), list(regions.values())[::-1])],
                               self.tr("Calls by region, Northland first: {}.").format(self._listing(regions)))

    def _busiest(self, counts: list[int]) -> str:
        if not any(counts):
            return self.tr("no calls")
        hour = max(range(24), key=lambda h: (counts[h], -h))
        return self.tr("{hour:02d}:00 with {n}").format(hour=hour, n=counts[hour])

    def _listing(self, counts: dict) -> str:
        return ", ".join(f"{key} {n:,}" for key, n in counts.items()) or self.tr("none")
