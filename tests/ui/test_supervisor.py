"""The Supervisor dashboard in the real window, over a seeded cache and a seeded hub.

Every figure on screen is checked against one computed here from what was
seeded; the clock is fixed at the seeded day's 14:20 (console's `now` in the
cache and the view).
"""

import csv
import json
import random
from datetime import datetime

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtPdf import QPdfDocument

from console.core.calls import handle_seconds
from console.core.dashboard import dashboard_figures, hour_tallies
from console.core.labels import BREAKDOWN_KINDS, label
from console.core.roles import NotPermitted
from console.ui.dashboard.incident_report import handle_time_text
from seed_dashboard import AT, DAY, expected_figures, random_record, seed, seed_calls

PASSWORD = "correct horse battery"


@pytest.fixture
def fixed_clock(monkeypatch):
    for module in ("console.store.cache", "console.ui.dashboard.view"):
        monkeypatch.setattr(f"{module}.now", lambda: AT)


@pytest.fixture
def seeded_window(qtbot, tmp_path, sample_register, fixed_clock):
    """The window over a cache holding the sample register and the seeded day, in setup mode."""
    from console.store.cache import Cache
    from console.ui.app import build_window

    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path, operator="setup")
    cache.import_register(sample_register)
    seeded = seed(cache)
    cache.close()
    window = build_window(db_path, operator="sup-1")
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    window.seeded = seeded
    yield window
    window.worker.shutdown()


def open_dashboard(qtbot, window):
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.stack.currentWidget() is window.supervisor
    view = window.supervisor
    qtbot.waitUntil(lambda: view.figures is not None and not view.refreshing, timeout=10_000)
    return view


def refreshed(qtbot, view, action):
    with qtbot.waitSignal(view.refreshed, timeout=10_000):
        action()


def expected_tiles(want: dict, in_progress) -> dict:
    def n(value):
        return "—" if value is None else f"{value:,}"

    return {
        "calls": n(want["calls"]), "calls_this_hour": n(want["calls_this_hour"]), "in_progress": n(in_progress),
        "median": handle_time_text(want["handle_time_seconds"]["median"]),
        "p90": handle_time_text(want["handle_time_seconds"]["p90"]),
        "escalations": n(want["escalations"]), "escalations_awaiting": n(want["escalations_awaiting"]),
        "possession": n(want["verified_by"]["possession"]), "knowledge": n(want["verified_by"]["knowledge"]),
        "not_verified": n(want["verification"]["not_verified"]),
        "not_attempted": n(want["verification"]["not_attempted"]),
        "affected": n(want["disclosed"]["affected"]), "not_affected": n(want["disclosed"]["not_affected"]),
        "callbacks_open": n(want["callbacks"]["open"]), "callbacks_overdue": n(want["callbacks"]["overdue"]),
        "lockouts": n(want["lockouts"]), "extortion": n(want["extortion_reports"]), "scam": n(want["scam_reports"]),
    }


def shown_tiles(view) -> dict:
    return {key: label.text() for key, label in view.tile_values.items()}


def test_every_figure_on_screen_equals_the_seeded_day(qtbot, seeded_window, sample_register):
    window = seeded_window
    view = open_dashboard(qtbot, window)
    want = expected_figures(window.seeded, sample_register)
    assert shown_tiles(view) == expected_tiles(want, in_progress=0)
    assert view.source_label.text() == "Local cache (offline) — this workstation's calls — as of 14:20:00"
    assert view.tile_captions["in_progress"].text() == "In progress (this workstation)"
    names = {"NP01": "NP01 Kerikeri Medical Centre", "NP02": "NP02 Far North Health", "AP07": "AP07 Manurewa Family Doctors"}
    for key, model in view.breakdowns.items():
        shown = {row["key"]: int(row["calls"].replace(",", "")) for row in model.rows}
        expected = {names.get(k, k): n for k, n in want[key].items()} if key == "by_practice" else want[key]
        if key == "by_region":  # calls with no region are counted apart (issue 15)
            expected = dict(expected, **{"No region recorded": want["calls"] - sum(want[key].values())})
        elif key != "by_practice":
            expected = {label(BREAKDOWN_KINDS.get(key, key), k): n for k, n in expected.items()}
        assert shown == expected, key
    assert view.breakdowns["by_region"].rows[0]["key"] == "Northland"
    # the charts: their data, and a text alternative for screen readers
    hours = view.charts.hours
    assert hours._data[1] == [("Today", want["calls_per_hour"]["today"]),
                              ("Yesterday", want["calls_per_hour"]["yesterday"])]
    assert f"Today {want['calls']}" in hours.accessibleDescription()
    regions = view.charts.regions.accessibleDescription()
    assert regions.startswith(f"Calls by region, Northland first: Northland {want['by_region']['Northland']:,},")
    for chart in view.charts.views:
        assert chart.accessibleName() and chart.accessibleDescription()
    # an open call on this workstation is "in progress"
    window.call_screen.new_call()
    refreshed(qtbot, view, view.refresh)
    assert view.tile_values["in_progress"].text() == "1"


def test_refreshes_every_30_seconds_only_while_shown(qtbot, seeded_window):
    window = seeded_window
    view = open_dashboard(qtbot, window)
    assert view._timer.isActive() and view._timer.interval() == 30_000
    view.refresh()
    view.refresh()  # while one is running: it is superseded
    assert view.refreshing  # the first one's answer is dropped, the second one shown
    qtbot.waitUntil(lambda: not view.refreshing, timeout=10_000)
    # a chart is updated in place, not rebuilt: a shift of refreshes does not pile up series and axes
    for _ in range(20):
        view.charts.show(view.figures)
    for chart in view.charts.views:
        assert len(chart.chart().series()) == 1 and len(chart.chart().axes()) == 2
    assert len(view.charts.hours.series.barSets()) == 2
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.stack.currentWidget() is window.call_screen and not view._timer.isActive()


def test_the_dashboard_reads_again_only_on_a_change_it_shows(qtbot, seeded_window):
    from console.ui.operations import Changes

    window = seeded_window
    view = open_dashboard(qtbot, window)
    for unrelated in (Changes(audit=True), Changes(register=True, content=True)):
        window.worker.operation_did_execute.emit(unrelated, window)
        assert not view.refreshing
    for shown in ("calls", "callbacks", "attempts", "escalations"):
        with qtbot.waitSignal(view.refreshed, timeout=10_000):
            window.worker.operation_did_execute.emit(Changes(**{shown: True}), window)
            assert view.refreshing
    # hidden behind the call screen, it waits to be shown again
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier | Qt.ShiftModifier)
    window.worker.operation_did_execute.emit(Changes(calls=True), window)
    assert not view.refreshing


def hub_figures(day, at):
    """A seeded hub: other workstations' calls, computed as the hub computes them."""
    records = seed_calls(random.Random(99), n=150)
    rows = [dict(r, started_at=datetime.fromisoformat(r["started_at"]), handle_seconds=handle_seconds(r),
                 practice="NP01" if r["person_id"] else None) for r in records]
    figures = dashboard_figures(*hour_tallies(rows, day), [], day=day, now=at, callbacks={"open": 4, "overdue": 3},
                                lockouts=5, escalations_awaiting=2)
    return json.loads(json.dumps(figures))  # as it comes over HTTP


def test_hub_figures_when_online_and_local_when_not(qtbot, seeded_window, sample_register):
    window = seeded_window
    asked = []

    def hub(day):
        asked.append(day)
        return hub_figures(day, AT)

    window.set_dashboard_hub_source(hub)
    view = open_dashboard(qtbot, window)
    qtbot.waitUntil(lambda: view.figures.get("source") == "hub", timeout=10_000)
    from_hub = hub_figures(DAY, AT)
    assert asked[-1] == DAY
    assert view.source_label.text() == "Hub — every workstation's calls — as of 14:20:00"
    assert shown_tiles(view) == expected_tiles(from_hub, in_progress=None)
    assert view.tile_captions["in_progress"].text() == "In progress (all workstations)"
    # the queues still come from this workstation, where they are worked
    assert view.locked_model.rowCount() == 1

    def unreachable(day):
        raise ConnectionError("no route to the hub")

    for broken_hub in (unreachable, lambda day: {"error": "Only a supervisor or above may see the dashboard."}):
        view.figures = None
        refreshed(qtbot, view, lambda: window.set_dashboard_hub_source(broken_hub))
        assert view.source_label.text() == "Local cache (hub unreachable) — this workstation's calls — as of 14:20:00"
        assert shown_tiles(view) == expected_tiles(expected_figures(window.seeded, sample_register), in_progress=0)


def audit_rows(window, kind):
    return window.worker.run(lambda cache: [
        (row[0], json.loads(row[1])) for row in cache.db.execute(
            "SELECT person_id, detail FROM audit WHERE kind = ? ORDER BY seq", [kind])]).result()


def test_queues_assign_unlock_and_take_up(qtbot, seeded_window):
    window = seeded_window
    view = open_dashboard(qtbot, window)
    view.tabs.setCurrentIndex(2)
    overdue = [c["callback_id"] for c in window.seeded["callbacks"][:2]]
    assert [row["callback_id"] for row in view.callbacks_model.rows][:2] == overdue  # the open ones, earliest due first
    assert view.callbacks_box.title() == "Open callbacks (2 overdue): 4"
    view.callbacks_view.selectRow(1)
    view.assignee.setEditText("op-2")
    refreshed(qtbot, view, view.assign_button.click)
    assert view.queue_message.text().startswith("Callback due") and "op-2" in view.queue_message.text()
    assert audit_rows(window, "callback_assigned")[-1][1] == {"assigned_to": "op-2", "callback_id": overdue[1]}
    assert view.callbacks_model.rows[1]["assigned_to"] == "op-2"

    # unlocking needs a reason
    assert [row["person_id"] for row in view.locked_model.rows] == ["S0006"]
    view.locked_view.selectRow(0)
    view.unlock_button.click()
    assert "say why" in view.queue_message.text()
    view.unlock_reason.setText("identity confirmed in person at the practice")
    refreshed(qtbot, view, view.unlock_button.click)
    assert view.locked_model.rowCount() == 0 and view.tile_values["lockouts"].text() == "0"
    assert audit_rows(window, "unlock")[-1] == (
        "S0006", {"cleared_attempts": 3, "reason": "identity confirmed in person at the practice"})

    awaiting = view.escalations_model.rowCount()
    taken = view.escalations_model.rows[0]["call_id"]
    view.escalations_view.selectRow(0)
    view.take_up_note.setText("calling the caller back")
    refreshed(qtbot, view, view.take_up_button.click)
    assert view.escalations_model.rowCount() == awaiting - 1
    assert taken not in {row["call_id"] for row in view.escalations_model.rows}
    assert audit_rows(window, "escalation_acknowledged")[-1][1] == {"call_id": taken, "note": "calling the caller back"}


def test_audit_viewer_shows_reasons_and_verifies_the_chain(qtbot, seeded_window):
    window = seeded_window
    view = open_dashboard(qtbot, window)
    view.tabs.setCurrentIndex(3)
    # entries carry the time they were written (the real clock), whatever time the checks were for
    written = QDateTime.currentDateTime()
    view.audit_since.setDateTime(written.addDays(-1))
    view.audit_until.setDateTime(written.addDays(1))
    view.audit_kind.setCurrentIndex(view.audit_kind.findData("verification"))
    view.load_audit()
    qtbot.waitUntil(lambda: view.audit_button.isEnabled() and view.audit_model.rowCount() > 0, timeout=10_000)
    reasons = [view.audit_model.cell(row, "reason") for row in view.audit_model.rows]
    assert reasons == ["not_verified / insufficient"] * 6  # the seeded checks: name matches, nothing more
    assert view.audit_message.text() == "6 entries, newest first."
    seqs = [row["seq"] for row in view.audit_model.rows]
    assert seqs == sorted(seqs, reverse=True)
    view.audit_kind.setCurrentIndex(0)
    view.audit_operator.setText("nobody-such")
    view.load_audit()
    qtbot.waitUntil(lambda: view.audit_button.isEnabled() and view.audit_model.rowCount() == 0, timeout=10_000)
    view.verify_chain()
    qtbot.waitUntil(lambda: view.verify_button.isEnabled(), timeout=10_000)
    assert view.chain_label.text().startswith("Chain intact: all ") and "entries check out" in view.chain_label.text()
    assert audit_rows(window, "export")[-1][1]["what"] == "audit"  # reading the audit is audited


def pdf_text(path) -> str:
    document = QPdfDocument()
    document.load(str(path))
    return "\n".join(document.getAllText(page).text() for page in range(document.pageCount()))


def test_daily_report_pdf_holds_the_day_s_figures(qtbot, seeded_window, sample_register, tmp_path):
    window = seeded_window
    view = open_dashboard(qtbot, window)
    view.tabs.setCurrentIndex(4)
    view.notes.setPlainText("Surge after the 10:00 news bulletin.\nNorthland lines doubled from noon.")
    path = tmp_path / "report.pdf"
    view.ask_save_path = lambda *_: str(path)
    view.pdf_button.click()
    qtbot.waitUntil(lambda: view.report_message.text().startswith("The report for"), timeout=10_000)
    assert path.stat().st_mode & 0o777 == 0o600  # the notes may name someone: owner-only
    text = pdf_text(path)
    want = expected_figures(window.seeded, sample_register)
    handle = want["handle_time_seconds"]
    for line in (
        "Helpline daily incident report", "Tuesday 10 March 2026",
        "Local cache (offline) — this workstation's calls — as of 14:20:00",
        f"Calls today {want['calls']:,}", f"Calls this hour {want['calls_this_hour']:,}",
        f"Verified by possession {want['verified_by']['possession']:,}",
        f"Verified by knowledge {want['verified_by']['knowledge']:,}",
        f"Not verified {want['verification']['not_verified']:,}",
        f"Told affected {want['disclosed']['affected']:,}", f"Told not affected {want['disclosed']['not_affected']:,}",
        f"Median handle time {handle_time_text(handle['median'])}",
        f"90th percentile handle time {handle_time_text(handle['p90'])}",
        f"Escalations {want['escalations']:,}",
        f"Escalations awaiting action (7 days) {want['escalations_awaiting']:,}",
        f"Open callbacks (now) {want['callbacks']['open']:,}",
        f"Overdue callbacks (now) {want['callbacks']['overdue']:,}",
        f"Persons locked out (now) {want['lockouts']:,}", f"Extortion reports {want['extortion_reports']:,}",
        f"Scam reports {want['scam_reports']:,}", f"Northland {want['by_region']['Northland']:,}",
        "Surge after the 10:00 news bulletin.", "Northland lines doubled from noon.",
    ):
        assert line in text, line
    for operator, n in want["by_operator"].items():
        assert f"{operator} {n:,}" in text
    assert text.count("Charts") == 1 and "Notes for the incident lead" in text
    exports = [detail for _, detail in audit_rows(window, "export")]
    assert {"what": "incident_report", "rows": want["calls"], "format": "pdf", "day": "2026-03-10"} in exports


def test_csv_exports_are_written_and_audited(qtbot, seeded_window, sample_register, tmp_path):
    window = seeded_window
    view = open_dashboard(qtbot, window)
    want = expected_figures(window.seeded, sample_register)
    calls_path, figures_path = tmp_path / "calls.csv", tmp_path / "figures.csv"
    view.ask_save_path = lambda *_: str(calls_path)
    view.calls_csv_button.click()
    qtbot.waitUntil(lambda: "exported to" in view.report_message.text(), timeout=10_000)
    with open(calls_path, encoding="utf-8-sig", newline="") as f:
        calls = list(csv.DictReader(f))
    assert len(calls) == want["calls"]
    assert {row["call_id"] for row in calls} == {r["call_id"] for r in window.seeded["records"]
                                                 if datetime.fromisoformat(r["started_at"]).astimezone(AT.tzinfo).date() == DAY}
    view.report_message.clear()
    view.ask_save_path = lambda *_: str(figures_path)
    view.figures_csv_button.click()
    qtbot.waitUntil(lambda: "exported to" in view.report_message.text(), timeout=10_000)
    assert [p.stat().st_mode & 0o777 for p in (calls_path, figures_path)] == [0o600, 0o600]
    with open(figures_path, encoding="utf-8-sig", newline="") as f:
        rows = {(row["figure"], row["item"]): row["value"] for row in csv.DictReader(f)}
    assert rows[("calls", "")] == str(want["calls"])
    assert rows[("by_region", "Northland")] == str(want["by_region"]["Northland"])
    assert rows[("calls_per_hour.today", "14:00")] == str(want["calls_per_hour"]["today"][14])
    exports = [detail for _, detail in audit_rows(window, "export")]
    assert {"what": "calls", "rows": want["calls"], "format": "csv", "day": "2026-03-10"} in exports
    assert any(d["what"] == "dashboard_figures" and d["rows"] == len(rows) for d in exports)


@pytest.fixture
def accounts_window(qtbot, tmp_path, sample_register, fixed_clock):
    """A window over a cache with accounts: whoever signs in acts within their role."""
    from console.store.cache import Cache
    from console.ui.app import build_window

    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path)
    cache.import_register(sample_register)
    cache.add_operator("admin-1", "admin", PASSWORD)
    cache.add_operator("op-1", "operator", PASSWORD)
    cache.add_operator("sup-1", "supervisor", PASSWORD)
    cache.close()
    windows = []

    def signed_in(who):
        window = build_window(db_path)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
        window.gate.operator_id.setText(who)
        window.gate.password.setText(PASSWORD)
        window.gate.button.click()
        qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
        windows.append(window)
        return window

    yield signed_in
    for window in windows:
        window.worker.shutdown()


def test_an_operator_gets_no_dashboard(qtbot, accounts_window):
    window = accounts_window("op-1")
    assert not window.dashboard_action.isEnabled()
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier | Qt.ShiftModifier)
    window.show_supervisor()
    assert window.supervisor is None and window.stack.currentWidget() is window.call_screen
    assert "for supervisors and admins" in window.statusBar().currentMessage()
    # nor through the cache, whatever the window shows
    for operation in (lambda c: c.dashboard(), lambda c: c.supervisor_queues(),
                      lambda c: c.acknowledge_escalation("any")):
        with pytest.raises(NotPermitted):
            window.worker.run(operation).result()


@pytest.mark.parametrize("who", ["sup-1", "admin-1"])
def test_supervisors_and_admins_open_it(qtbot, accounts_window, who):
    window = accounts_window(who)
    assert window.dashboard_action.isEnabled()
    view = open_dashboard(qtbot, window)
    assert view.tile_values["calls"].text() == "0"
    assert not any(action.isEnabled() for action in window.call_actions)  # no Ctrl+N on a hidden call screen


def test_take_up_acts_on_the_row_chosen_whatever_the_refreshes(qtbot, seeded_window):
    """Issue 15, trap 3: the refresh keeps the selection by id, Tab leaves the table for the note
    (which never goes into the table's type-ahead), and the button says which call it will touch."""
    window = seeded_window
    view = open_dashboard(qtbot, window)
    view.tabs.setCurrentIndex(2)
    assert view.escalations_model.rowCount() >= 2
    for table in (view.escalations_view, view.callbacks_view, view.locked_view):
        assert not table.tabKeyNavigation()
    view.escalations_view.setFocus()
    view.escalations_view.selectRow(1)
    chosen = view.escalations_model.rows[1]
    assert chosen["operator"] in view.take_up_target.text()
    # another escalation comes in between the first row and the chosen one: the chosen one moves down a row
    first, second = (datetime.fromisoformat(row["started_at"]) for row in view.escalations_model.rows[:2])
    inserted = dict(random_record(random.Random(15), first + (second - first) / 2), outcome="escalated")
    window.worker.run(lambda cache: cache.log_calls([inserted])).result()
    refreshed(qtbot, view, view.refresh)
    assert [row["call_id"] for row in view.escalations_model.rows[1:3]] == [inserted["call_id"], chosen["call_id"]]
    assert view._selected(view.escalations_view, view.escalations_model)["call_id"] == chosen["call_id"]
    assert view.escalations_view.currentIndex().row() == 2
    qtbot.keyClick(view.escalations_view, Qt.Key_Tab)
    assert view.take_up_note.hasFocus()
    # what a table's type-ahead would match: the first column of another row; it selects nothing else
    other = view.escalations_model.index(0, 0).data()
    assert other != view.escalations_model.index(2, 0).data()
    qtbot.keyClicks(view.escalations_view, other)
    assert view._selected(view.escalations_view, view.escalations_model)["call_id"] == chosen["call_id"]
    qtbot.keyClicks(view.take_up_note, "ringing the caller")
    refreshed(qtbot, view, view.refresh)
    assert view.take_up_note.text() == "ringing the caller"
    refreshed(qtbot, view, view.take_up_button.click)
    assert audit_rows(window, "escalation_acknowledged")[-1][1] == {"call_id": chosen["call_id"],
                                                                     "note": "ringing the caller"}
    assert view.take_up_note.text() == ""


def test_a_refused_take_up_keeps_the_note(qtbot, seeded_window, monkeypatch):
    from console.store.cache import Cache

    def refuse(self, *args, **kwargs):
        raise ValueError("refused for the test")

    monkeypatch.setattr(Cache, "acknowledge_escalation", refuse)
    view = open_dashboard(qtbot, seeded_window)
    view.tabs.setCurrentIndex(2)
    view.escalations_view.selectRow(0)
    view.take_up_note.setText("ringing the caller")
    view.take_up_button.click()
    qtbot.waitUntil(lambda: "refused for the test" in view.queue_message.text(), timeout=5000)
    assert view.take_up_note.text() == "ringing the caller"


def test_a_note_typed_on_the_reports_tab_lands_in_the_notes_never_in_a_save_dialog(qtbot, seeded_window):
    """Alt+P reached both the Reports tab and the PDF button, so the note typed next went into the save
    dialog's file name. Alt+P opens the tab, pressed again it stays there (with two widgets on Alt+P it
    moved to the PDF button, and the note's first space pressed it); no dialog was asked for."""
    from PySide6.QtWidgets import QApplication

    view = open_dashboard(qtbot, seeded_window)
    asked = []
    view.ask_save_path = lambda *args: asked.append(args)
    for _ in range(2):
        qtbot.keyClick(seeded_window, Qt.Key_P, Qt.AltModifier)
        assert view.tabs.tabText(view.tabs.currentIndex()).replace("&", "") == "Reports"
    qtbot.keyClicks(QApplication.focusWidget(), "Peak at")  # typed before looking where the focus is
    assert asked == [] and QApplication.focusWidget() is not view.pdf_button
    view.notes.setFocus()
    qtbot.keyClicks(view.notes, "Peak at 10:00; Northland lines doubled")
    assert view.notes.toPlainText() == "Peak at 10:00; Northland lines doubled" and asked == []
