"""The window's Qt models on their own, without a window: rows, cells and roles."""

from types import SimpleNamespace

from PySide6.QtCore import QModelIndex, Qt

from console.ui.call.models import DocumentsModel, EarlierCallsModel, GuidanceModel
from console.ui.dashboard.models import AuditModel, CallbacksModel, CountsModel, local_time

SCRIPTS = {"opening": SimpleNamespace(title="Opening"), "wellbeing-support": SimpleNamespace(title="Wellbeing")}


def test_the_guidance_checklist_ticks_and_keeps_ticks_of_scripts_still_due(qapp):
    model = GuidanceModel(SCRIPTS)
    assert model.rowCount() == 0
    model.set_due(["opening", "wellbeing-support"])
    assert model.rowCount() == 2 and model.rowCount(model.index(0)) == 0
    first = model.index(0)
    assert model.data(first) == "1. Opening"
    assert model.data(first, Qt.UserRole) == "opening"
    assert model.data(first, Qt.CheckStateRole) == Qt.Unchecked
    assert model.flags(first) & Qt.ItemIsUserCheckable
    changed = []
    model.dataChanged.connect(lambda top, bottom, roles: changed.append((top.row(), list(roles))))
    model.toggle(0)
    assert changed == [(0, [Qt.CheckStateRole, Qt.AccessibleTextRole, Qt.FontRole])]
    assert model.data(first, Qt.CheckStateRole) == Qt.Checked
    assert model.data(first, Qt.AccessibleTextRole) == "Opening, delivered"
    assert model.data(first, Qt.FontRole).italic()
    assert model.delivered == ["opening"] and model.undelivered == ["wellbeing-support"]
    model.set_due(["wellbeing-support", "opening"])
    assert model.delivered == ["opening"] and model.due == ["wellbeing-support", "opening"]
    model.set_due(["unknown-script"])
    assert model.data(model.index(0)) == "1. unknown-script" and model.delivered == []
    model.clear()
    assert model.rowCount() == 0


def test_stolen_files_show_category_date_and_sensitivity_never_contents(qapp):
    model = DocumentsModel()
    inserted = []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    model.set_rows([{"category": "referral_letter", "document_date": None, "sensitive": True},
                    {"category": "x-ray", "document_date": "2025-03-01", "sensitive": False}])
    assert inserted == [(0, 1)]
    assert (model.rowCount(), model.columnCount()) == (2, 3)
    assert model.rowCount(model.index(0, 0)) == 0
    assert [model.headerData(c, Qt.Horizontal) for c in range(3)] == ["File", "Date", "Sensitive"]
    assert model.headerData(0, Qt.Vertical) is None
    assert [model.data(model.index(0, c)) for c in range(3)] == ["Specialist referral letter", "date unknown",
                                                                  "SENSITIVE"]
    assert [model.data(model.index(1, c)) for c in range(3)] == ["x-ray", "2025-03-01", ""]
    assert model.data(model.index(0, 0), Qt.AccessibleTextRole) == "Specialist referral letter"
    assert model.data(model.index(0, 0), Qt.ToolTipRole) is None
    assert model.data(QModelIndex()) is None
    model.set_rows([])
    assert model.rowCount() == 0 and model.rows == []


def test_earlier_calls_are_shown_as_given(qapp):
    model = EarlierCallsModel()
    model.set_rows([{"when": "2026-01-05 10:00", "what": "Call", "outcome": None}])
    assert [model.headerData(c, Qt.Horizontal) for c in range(3)] == ["When", "What", "Outcome"]
    assert [model.data(model.index(0, c)) for c in range(3)] == ["2026-01-05 10:00", "Call", ""]


def test_breakdown_counts_have_their_share(qapp):
    model = CountsModel()
    model.show_counts({"Northland": 3, "Auckland": 1}, {"Northland": "Te Tai Tokerau"})
    assert [[model.data(model.index(r, c)) for c in range(3)] for r in range(2)] == [
        ["Te Tai Tokerau", "3", "75%"], ["Auckland", "1", "25%"]]
    model.show_counts({})
    assert model.rowCount() == 0


def test_queue_and_audit_rows_show_the_helplines_clock_and_the_reason_apart(qapp):
    due = "2026-01-05T01:30:00+00:00"
    callbacks = CallbacksModel()
    callbacks.set_rows([{"due_at": due, "assigned_to": None, "booked_by": "op-1", "reason": "caller_asked"}])
    assert [callbacks.data(callbacks.index(0, c)) for c in range(5)] == [local_time(due), "", "", "op-1",
                                                                         "The caller asked"]
    audit = AuditModel()
    audit.set_rows([{"seq": 7, "at": due, "operator": "op-1", "workstation": "ws-1", "kind": "verification",
                     "person_id": None, "detail": {"outcome": "not_verified", "reason": "insufficient", "callback": False}}])
    assert audit.columnCount() == 8
    row = [audit.data(audit.index(0, c)) for c in range(8)]
    assert row == ["7", local_time(due), "op-1", "ws-1", "verification", "", "not_verified / insufficient",
                   "callback=False"]


def test_escalations_show_words_not_ids(qapp):
    from console.ui.dashboard.models import EscalationsModel

    model = EscalationsModel()
    model.set_rows([{"started_at": "2026-12-04T01:00:00+00:00", "operator": "op-1", "caller_type": "representative",
                     "verification": "not_verified", "region": None}])
    assert [model.data(model.index(0, c)) for c in (6, 7)] == ["Representative", "Not verified"]
