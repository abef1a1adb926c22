"""The daily PDF report (issue 15): no table cut across a page, words not ids, each count with its
share, and IN CONFIDENCE at the top and the foot of every page."""

from PySide6.QtPdf import QPdfDocument

from console.core.calls import OUTCOMES, VERIFICATIONS
from console.core.policy import CALLER_TYPES
from console.ui.dashboard.incident_report import IncidentReport
from test_supervisor import fixed_clock, open_dashboard, seeded_window  # noqa: F401 (fixtures)

# the ids that are not also English words of the report's own sentences ("practice", "callback", "media")
RAW_IDS = (set(OUTCOMES) | set(VERIFICATIONS) | set(CALLER_TYPES) | {"not_affected"}) - {
    "other", "verified", "practice", "callback", "media"}
A4 = (595, 842)  # points


def pages(path) -> tuple[QPdfDocument, list[str]]:
    document = QPdfDocument()
    document.load(str(path))
    return document, [document.getAllText(page).text() for page in range(document.pageCount())]


def marks(document, page, text: str) -> list[float]:
    """The vertical middle (points from the top) of each IN CONFIDENCE on the page."""
    found, start = [], text.find("IN CONFIDENCE")
    while start >= 0:
        selection = document.getSelectionAtIndex(page, start, len("IN CONFIDENCE"))
        assert selection.text() == "IN CONFIDENCE"
        found.append(selection.boundingRectangle().center().y())
        start = text.find("IN CONFIDENCE", start + 1)
    return found


def test_a_long_report_keeps_rows_whole_repeats_column_titles_and_is_marked_on_every_page(
        qtbot, seeded_window, tmp_path):
    view = open_dashboard(qtbot, seeded_window)
    figures = dict(view.figures)
    # a national day: 180 operators and 120 practices, so tables run over pages
    figures["by_operator"] = {f"op-{i:03d}": 200 - i for i in range(180)}
    figures["by_practice"] = {f"PR{i:03d}": 130 - i for i in range(120)}
    figures["practice_names"] = {}
    path = tmp_path / "report.pdf"
    IncidentReport(figures, view.source_text, "Surge after the bulletin.").write(path)
    document, texts = pages(path)
    assert len(texts) >= 4
    for number, text in enumerate(texts):
        at = marks(document, number, text)
        assert min(at) < 80 and max(at) > A4[1] - 80, (number, at)  # in the top and the foot margin bands
        words = set(text.replace("\n", " ").split())
        assert not words & RAW_IDS, (number, words & RAW_IDS)
    total = figures["calls"]
    # every operator's row whole on one page, with its share, and the column titles on each page it is on
    for operator, n in figures["by_operator"].items():
        row = f"{operator} {n:,} {n / total:.0%}"
        (page,) = [p for p, text in enumerate(texts) if row in text.replace("\n", " ")]
        assert "Operator Calls Share of calls" in texts[page].replace("\n", " "), page
    # a short table is never cut: its title and all its rows on one page
    outcome_pages = {p for p, text in enumerate(texts) for word in ("By outcome", "Resolved", "Escalated",
                                                                   "Referred", "Abandoned") if word in text}
    assert len(outcome_pages) == 1
    joined = " ".join(t.replace("\n", " ") for t in texts)
    resolved = figures["by_outcome"]["resolved"]
    assert f"Resolved {resolved:,} {resolved / total:.0%}" in joined
    possession = figures["verified_by"]["possession"]
    assert f"Verified by possession {possession:,} {possession / total:.0%}" in joined
    assert "No region recorded" in joined
