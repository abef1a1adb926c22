"""The dashboard's Qt models: breakdown counts and the queues' and audit trail's rows.

Each marks its column titles for translation in its own class name's context.
"""

from datetime import datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from console.core.timeutil import HELPLINE_ZONE
from console.ui.table_model import RowsModel


def local_time(text: str | None, with_day: bool = True) -> str:
    """A stored instant as the helpline's clock shows it."""
    if not text:
        return ""
    moment = datetime.fromisoformat(text).astimezone(HELPLINE_ZONE)
    return moment.strftime("%-d %b %H:%M" if with_day else "%H:%M:%S")


class CountsModel(RowsModel):
    columns = (
        ("key", QT_TRANSLATE_NOOP("CountsModel", "Value")),
        ("calls", QT_TRANSLATE_NOOP("CountsModel", "Calls")),
        ("share", QT_TRANSLATE_NOOP("CountsModel", "Share")),
    )

    def show_counts(self, counts: dict, labels: dict | None = None):
        total = sum(counts.values())
        self.set_rows([{"key": (labels or {}).get(key, key), "calls": f"{n:,}",
                        "share": f"{n / total:.0%}" if total else ""} for key, n in counts.items()])


class CallbacksModel(RowsModel):
    columns = (
        ("due_at", QT_TRANSLATE_NOOP("CallbacksModel", "Due")),
        ("assigned_to", QT_TRANSLATE_NOOP("CallbacksModel", "Assigned to")),
        ("booked_by", QT_TRANSLATE_NOOP("CallbacksModel", "Booked by")),
        ("reason", QT_TRANSLATE_NOOP("CallbacksModel", "Reason")),
    )

    def cell(self, row, key):
        return local_time(row["due_at"]) if key == "due_at" else super().cell(row, key)


class LockedModel(RowsModel):
    columns = (
        ("person_id", QT_TRANSLATE_NOOP("LockedModel", "Person")),
        ("failed_attempts", QT_TRANSLATE_NOOP("LockedModel", "Failed checks")),
        ("last_attempt", QT_TRANSLATE_NOOP("LockedModel", "Last check")),
    )

    def cell(self, row, key):
        return local_time(row["last_attempt"]) if key == "last_attempt" else super().cell(row, key)


class EscalationsModel(RowsModel):
    columns = (
        ("started_at", QT_TRANSLATE_NOOP("EscalationsModel", "Call started")),
        ("operator", QT_TRANSLATE_NOOP("EscalationsModel", "Operator")),
        ("caller_type", QT_TRANSLATE_NOOP("EscalationsModel", "Caller type")),
        ("verification", QT_TRANSLATE_NOOP("EscalationsModel", "Verification")),
        ("region", QT_TRANSLATE_NOOP("EscalationsModel", "Region")),
    )

    words = {"patient": QT_TRANSLATE_NOOP("EscalationsModel", "Patient"),
             "representative": QT_TRANSLATE_NOOP("EscalationsModel", "Representative"),
             "practice": QT_TRANSLATE_NOOP("EscalationsModel", "GP practice"),
             "media": QT_TRANSLATE_NOOP("EscalationsModel", "Media"),
             "other": QT_TRANSLATE_NOOP("EscalationsModel", "Other"),
             "verified": QT_TRANSLATE_NOOP("EscalationsModel", "Verified"),
             "not_verified": QT_TRANSLATE_NOOP("EscalationsModel", "Not verified"),
             "not_attempted": QT_TRANSLATE_NOOP("EscalationsModel", "Not checked")}

    def cell(self, row, key):
        if key == "started_at":
            return local_time(row["started_at"])
        if key in ("caller_type", "verification") and row.get(key) in self.words:
            return self.tr(self.words[row[key]])  # words, not the record's ids
        return super().cell(row, key)


class AuditModel(RowsModel):
    columns = (
        ("seq", QT_TRANSLATE_NOOP("AuditModel", "#")),
        ("at", QT_TRANSLATE_NOOP("AuditModel", "When")),
        ("operator", QT_TRANSLATE_NOOP("AuditModel", "Operator")),
        ("workstation", QT_TRANSLATE_NOOP("AuditModel", "Workstation")),
        ("kind", QT_TRANSLATE_NOOP("AuditModel", "Kind")),
        ("person_id", QT_TRANSLATE_NOOP("AuditModel", "Person")),
        ("reason", QT_TRANSLATE_NOOP("AuditModel", "Outcome / reason")),
        ("detail", QT_TRANSLATE_NOOP("AuditModel", "Detail")),
    )

    def cell(self, row, key):
        detail = row["detail"]
        if key == "at":
            return local_time(row["at"])
        if key == "reason":
            # a not-verified outcome's reason is shown here, and only here
            return " / ".join(str(detail[k]) for k in ("outcome", "reason") if detail.get(k))
        if key == "detail":
            return ", ".join(f"{k}={v}" for k, v in detail.items() if k not in ("outcome", "reason"))
        return super().cell(row, key)


class QueueTable(QTableView):
    """A dashboard table: Tab leaves it, and typing into it selects nothing (no type-ahead),
    so a note typed after choosing a row never moves the selection."""

    def keyboardSearch(self, search: str) -> None:
        return None


def table_view(model, name: str) -> QTableView:
    view = QueueTable()
    view.setTabKeyNavigation(False)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setSelectionMode(QAbstractItemView.SingleSelection)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
    return view
