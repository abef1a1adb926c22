"""Qt models for the call screen: guidance checklist, stolen files, earlier calls.

The tables tell their views which rows went and came, a tick changes one
item, and the checklist is reset only when the scripts due, or their texts,
change; models carry no widgets, so they are tested on their own.
Words are translated in the context of the model's own class name.
"""

from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import QFont

from console.ui.table_model import RowsModel

CATEGORY_WORDS = {
    "user_upload": QT_TRANSLATE_NOOP("DocumentsModel", "File the patient uploaded"),
    "referral_letter": QT_TRANSLATE_NOOP("DocumentsModel", "Specialist referral letter"),
    "discharge_summary": QT_TRANSLATE_NOOP("DocumentsModel", "Hospital discharge summary"),
}


class GuidanceModel(QAbstractListModel):
    """The scripts due on this call, in the policy's order, each tickable."""

    def __init__(self, scripts: dict, parent=None):
        super().__init__(parent)
        self._scripts = scripts  # id -> Script
        self._ids: list[str] = []
        self._delivered: set[str] = set()
        self._new: set[str] = set()  # made due by a flag during the call: marked until delivered

    def set_scripts(self, scripts: dict) -> None:
        """Newer scripts (a content version from the hub); the rows stay."""
        self.beginResetModel()
        self._scripts = scripts
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        script_id = self._ids[index.row()]
        script = self._scripts.get(script_id)
        if role == Qt.DisplayRole:
            text = f"{index.row() + 1}. {script.title if script else script_id}"
            return self.tr("{script} (new: due now)").format(script=text) if self.is_new(script_id) else text
        if role == Qt.CheckStateRole:
            return Qt.Checked if script_id in self._delivered else Qt.Unchecked
        if role == Qt.AccessibleTextRole:
            title = script.title if script else script_id
            return (self.tr("{title}, delivered") if script_id in self._delivered
                    else self.tr("{title}, not yet delivered")).format(title=title)
        if role == Qt.UserRole:
            return script_id
        if role == Qt.FontRole and (script_id in self._delivered or self.is_new(script_id)):
            font = QFont()
            font.setItalic(script_id in self._delivered)
            font.setBold(self.is_new(script_id))
            return font
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsUserCheckable

    def setData(self, index, value, role=Qt.EditRole):
        if role != Qt.CheckStateRole or not index.isValid():
            return False
        script_id = self._ids[index.row()]
        if Qt.CheckState(value) == Qt.Checked:
            self._delivered.add(script_id)
        else:
            self._delivered.discard(script_id)
        self.dataChanged.emit(index, index, [Qt.CheckStateRole, Qt.AccessibleTextRole, Qt.FontRole])
        return True

    def toggle(self, row: int) -> None:
        index = self.index(row)
        checked = self._ids[row] in self._delivered
        self.setData(index, Qt.Unchecked if checked else Qt.Checked, Qt.CheckStateRole)

    def set_due(self, script_ids: list[str]) -> None:
        """Show these scripts, keeping the ticks of those still due."""
        if script_ids == self._ids:
            return
        self.beginResetModel()
        self._ids = list(script_ids)
        self._delivered &= set(script_ids)
        self._new &= set(script_ids)
        self.endResetModel()

    def mark_new(self, script_ids) -> None:
        """Mark scripts a flag has just made due, until they are delivered."""
        self._new |= set(script_ids) & set(self._ids)
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1), [Qt.DisplayRole, Qt.FontRole])

    def is_new(self, script_id: str) -> bool:
        return script_id in self._new and script_id not in self._delivered

    def clear(self) -> None:
        self.beginResetModel()
        self._ids, self._delivered, self._new = [], set(), set()
        self.endResetModel()

    @property
    def due(self) -> list[str]:
        return list(self._ids)

    @property
    def delivered(self) -> list[str]:
        return [i for i in self._ids if i in self._delivered]

    @property
    def undelivered(self) -> list[str]:
        return [i for i in self._ids if i not in self._delivered]


class DocumentsModel(RowsModel):
    """The stolen files: category, date and a sensitive marker, never contents."""

    columns = (("category", QT_TRANSLATE_NOOP("DocumentsModel", "File")),
               ("document_date", QT_TRANSLATE_NOOP("DocumentsModel", "Date")),
               ("sensitive", QT_TRANSLATE_NOOP("DocumentsModel", "Sensitive")))

    def cell(self, row, key):
        if key == "category":
            words = CATEGORY_WORDS.get(row["category"])
            return self.tr(words) if words else row["category"]
        if key == "document_date":
            return row["document_date"] or self.tr("date unknown")
        if key == "sensitive":
            return self.tr("SENSITIVE") if row["sensitive"] else ""
        return super().cell(row, key)

    def data(self, index, role=Qt.DisplayRole):
        # a screen reader says "not sensitive" where the screen leaves the cell empty
        if (role == Qt.AccessibleTextRole and index.isValid() and self.columns[index.column()][0] == "sensitive"
                and not self._rows[index.row()]["sensitive"]):
            return self.tr("not sensitive")
        return super().data(index, role)


class EarlierCallsModel(RowsModel):
    """Earlier calls and open callbacks about a verified caller."""

    columns = (("when", QT_TRANSLATE_NOOP("EarlierCallsModel", "When")),
               ("what", QT_TRANSLATE_NOOP("EarlierCallsModel", "What")),
               ("outcome", QT_TRANSLATE_NOOP("EarlierCallsModel", "Outcome")))
