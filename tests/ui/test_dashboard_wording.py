"""The dashboard says what its figures and rows are (issue 15, "Dashboard"): escalations with their
flag, note, age and person; locked persons by name with when the lock lifts; the period of each
figure; words, not ids; calls with no region; any open callback can be assigned."""

import uuid
from datetime import timedelta

from PySide6.QtCore import QDate

from console.core.calls import OUTCOMES, VERIFICATIONS, validate_call_record
from console.core.policy import CALLER_TYPES
from seed_dashboard import AT, DAY
from test_supervisor import audit_rows, fixed_clock, open_dashboard, refreshed, seeded_window  # noqa: F401

RAW_IDS = set(OUTCOMES) | set(VERIFICATIONS) | set(CALLER_TYPES) | {"not_affected", "possession", "knowledge"}


def cells(model) -> list[list[str]]:
    return [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())]


def headers(model) -> list[str]:
    from PySide6.QtCore import Qt

    return [model.headerData(c, Qt.Horizontal) for c in range(model.columnCount())]


def test_escalations_show_flag_note_age_and_person(qtbot, seeded_window):
    window = seeded_window
    call_id = str(uuid.uuid4())
    record = validate_call_record({
        "call_id": call_id, "started_at": (AT - timedelta(hours=2, minutes=5)).isoformat(),
        "ended_at": (AT - timedelta(hours=2)).isoformat(), "operator": "op-2", "caller_type": "patient",
        "person_id": "S0004", "verification": "verified", "assurance": "possession", "disclosed_status": "affected",
        "guidance_delivered": [{"id": "opening", "version": "1"}], "topics": [], "flags": ["distress", "extortion"],
        "outcome": "escalated", "region": "Auckland", "notes": "Wants a manager about the ransom text"})
    window.worker.run(lambda cache: cache.log_calls([record])).result()
    view = open_dashboard(qtbot, window)
    view.tabs.setCurrentIndex(2)
    model = view.escalations_model
    row = dict(zip(headers(model), cells(model)[[r["call_id"] for r in model.rows].index(call_id)]))
    assert row["Person"] == "Wei Chen (S0004)"
    assert row["Flags"] == "Distressed, Extortion contact"
    assert row["Operator's note"] == "Wants a manager about the ransom text"
    assert row["Waiting"] == "2 h 05 min"
    assert row["Verification"] == "Verified" and row["Caller type"] == "Patient"
    view.escalations_view.selectRow([r["call_id"] for r in model.rows].index(call_id))
    assert "Wei Chen (S0004)" in view.take_up_target.text()
    unverified = [dict(zip(headers(model), c)) for r, c in zip(model.rows, cells(model)) if not r["person_id"]]
    assert unverified and all(c["Person"] == "(no verified person)" for c in unverified)


def test_locked_persons_show_their_name_and_when_the_lock_lifts(qtbot, seeded_window):
    view = open_dashboard(qtbot, seeded_window)
    view.tabs.setCurrentIndex(2)
    (row,) = [dict(zip(headers(view.locked_model), c)) for c in cells(view.locked_model)]
    assert row["Person"] == "Jane Smith (S0006)"
    # three checks at 13:30, 13:40 and 13:50: locked until the first is 24 hours old
    assert row["Locked until"] == "11 Mar 13:30"
    view.locked_view.selectRow(0)
    assert "Jane Smith (S0006)" in view.unlock_target.text()


def test_each_figure_says_its_period_and_a_past_day_is_named(qtbot, seeded_window):
    view = open_dashboard(qtbot, seeded_window)
    captions = {key: label.text() for key, label in view.tile_captions.items()}
    assert captions["calls"] == "Calls today" and captions["escalations"] == "Escalations today"
    assert captions["escalations_awaiting"] == "Escalations awaiting action (last 7 days)"
    refreshed(qtbot, view, lambda: view.day_edit.setDate(QDate(DAY.year, DAY.month, DAY.day - 1)))
    captions = {key: label.text() for key, label in view.tile_captions.items()}
    assert captions["calls"] == "Calls on Mon 9 Mar" and captions["escalations"] == "Escalations on Mon 9 Mar"
    assert captions["escalations_awaiting"] == "Escalations awaiting action (7 days to Mon 9 Mar)"
    assert [name for name, _ in view.charts.hours._data[1]] == ["Mon 9 Mar", "Sun 8 Mar"]
    assert not any("today" in text.lower() for text in captions.values())
    # the hours chart's title and text alternative, on the dashboard and as the PDF report draws it
    from console.ui.dashboard.charts import DashboardCharts

    printed = DashboardCharts(printed=True)
    printed.show(view.figures)
    for hours in (view.charts.hours, printed.hours):
        for text in (hours.chart().title(), hours.accessibleName(), hours.accessibleDescription()):
            assert "Mon 9 Mar" in text and "Sun 8 Mar" in text, text
            assert "today" not in text.lower() and "yesterday" not in text.lower(), text


def test_breakdowns_are_words_and_count_calls_with_no_region(qtbot, seeded_window):
    view = open_dashboard(qtbot, seeded_window)
    shown = {key: {row["key"]: row for row in model.rows} for key, model in view.breakdowns.items()}
    for key in ("by_outcome", "by_caller_type"):
        assert not set(shown[key]) & RAW_IDS, key
    assert {"Resolved", "Escalated"} <= set(shown["by_outcome"]) and "GP practice" in shown["by_caller_type"]
    figures = view.figures
    regions = shown["by_region"]
    no_region = figures["calls"] - sum(figures["by_region"].values())
    assert no_region > 0 and regions["No region recorded"]["calls"] == f"{no_region:,}"
    assert sum(int(row["calls"].replace(",", "")) for row in regions.values()) == figures["calls"]
    assert "No region recorded" in view.charts.regions.accessibleDescription()
    assert not set(view.charts.outcomes._data[0]) & RAW_IDS


def test_any_open_callback_can_be_assigned(qtbot, seeded_window):
    window = seeded_window
    view = open_dashboard(qtbot, window)
    view.tabs.setCurrentIndex(2)
    booked = [c["callback_id"] for c in window.seeded["callbacks"][:4]]
    assert [row["callback_id"] for row in view.callbacks_model.rows] == booked
    assert view.callbacks_box.title() == "Open callbacks (2 overdue): 4"
    assert [c[1] for c in cells(view.callbacks_model)] == ["Overdue", "Overdue", "", ""]
    view.callbacks_view.selectRow(3)  # due in two hours: not overdue
    view.assignee.setEditText("op-2")
    refreshed(qtbot, view, view.assign_button.click)
    assert audit_rows(window, "callback_assigned")[-1][1] == {"assigned_to": "op-2", "callback_id": booked[3]}
