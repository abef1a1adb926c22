"""The dashboard's Qt models: breakdown counts and the queues' and audit trail's rows.

Each marks its column titles for translation in its own class name's context.
"""

from datetime import date, datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from console.core.labels import label
from console.core.timeutil import HELPLINE_ZONE
from console.ui.table_model import RowsModel


def local_time(text: str | None, with_day: bool = True) -> str:
    """A stored instant as the helpline's clock shows it."""
    if not text:
        return ""
    moment = datetime.fromisoformat(text).astimezone(HELPLINE_ZONE)
    return moment.strftime("%-d %b %H:%M" if with_day else "%H:%M:%S")


def past_day(figures: dict) -> date | None:
    """The day the figures are of, when it is not the helpline's today (as of the figures)."""
    day = date.fromisoformat(figures["day"])
    return None if day == datetime.fromisoformat(figures["as_of"]).astimezone(HELPLINE_ZONE).date() else day


def day_text(day: date) -> str:
    return day.strftime("%a %-d %b")


def words(kind: str, value: str | None) -> str:
    """core.labels' word for an id, as the window's language says it."""
    return QCoreApplication.translate("Labels", label(kind, value))


def age_text(seconds: int) -> str:
    """How long ago, to the minute under a day: "45 min", "2 h 05 min", "3 d 4 h"."""
    minutes = seconds // 60
    if minutes < 60:
        return QCoreApplication.translate("Labels", "{m} min").format(m=minutes)
    if minutes < 24 * 60:
        return QCoreApplication.translate("Labels", "{h} h {m:02d} min").format(h=minutes // 60, m=minutes % 60)
    return QCoreApplication.translate("Labels", "{d} d {h} h").format(d=minutes // 1440, h=minutes % 1440 // 60)


def person_text(row: dict) -> str:
    """A person as a supervisor knows them: the register's name and id; the id alone once they left it."""
    if not row.get("person_id"):
        return QCoreApplication.translate("Labels", "(no verified person)")
    return f"{row['person_name']} ({row['person_id']})" if row.get("person_name") else row["person_id"]


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
        ("overdue", QT_TRANSLATE_NOOP("CallbacksModel", "Overdue")),
        ("assigned_to", QT_TRANSLATE_NOOP("CallbacksModel", "Assigned to")),
        ("booked_by", QT_TRANSLATE_NOOP("CallbacksModel", "Booked by")),
        ("reason", QT_TRANSLATE_NOOP("CallbacksModel", "Reason")),
    )

    def cell(self, row, key):
        if key == "overdue":
            return self.tr("Overdue") if row.get("overdue") else ""
        if key == "reason":
            return words("callback_reason", row["reason"])
        return local_time(row["due_at"]) if key == "due_at" else super().cell(row, key)


class LockedModel(RowsModel):
    columns = (
        ("person_id", QT_TRANSLATE_NOOP("LockedModel", "Person")),
        ("locked_until", QT_TRANSLATE_NOOP("LockedModel", "Locked until")),
        ("failed_attempts", QT_TRANSLATE_NOOP("LockedModel", "Failed checks")),
        ("last_attempt", QT_TRANSLATE_NOOP("LockedModel", "Last check")),
    )

    def cell(self, row, key):
        if key == "person_id":
            return person_text(row)
        if key in ("last_attempt", "locked_until"):
            return local_time(row[key])
        return super().cell(row, key)


class EscalationsModel(RowsModel):
    columns = (
        ("started_at", QT_TRANSLATE_NOOP("EscalationsModel", "Call started")),
        ("age_seconds", QT_TRANSLATE_NOOP("EscalationsModel", "Waiting")),
        ("person_id", QT_TRANSLATE_NOOP("EscalationsModel", "Person")),
        ("flags", QT_TRANSLATE_NOOP("EscalationsModel", "Flags")),
        ("notes", QT_TRANSLATE_NOOP("EscalationsModel", "Operator's note")),
        ("operator", QT_TRANSLATE_NOOP("EscalationsModel", "Operator")),
        ("caller_type", QT_TRANSLATE_NOOP("EscalationsModel", "Caller type")),
        ("verification", QT_TRANSLATE_NOOP("EscalationsModel", "Verification")),
    )

    def cell(self, row, key):
        if key == "started_at":
            return local_time(row["started_at"])
        if key == "age_seconds":
            return age_text(row["age_seconds"]) if row.get("age_seconds") is not None else ""
        if key == "person_id":
            return person_text(row)
        if key == "flags":
            return ", ".join(words("flag", flag) for flag in row.get("flags") or ())
        if key in ("caller_type", "verification"):
            return words(key, row.get(key))  # words, not the record's ids
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
