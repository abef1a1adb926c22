"""A small read-only table of dicts, the base of the call screen's and the dashboard's tables."""

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt


class RowsModel(QAbstractTableModel):
    """A small read-only table of dicts with fixed columns; each subclass
    marks its column titles for translation in its own class name's context."""

    columns: tuple[tuple[str, str], ...] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[dict] = []

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return QCoreApplication.translate(type(self).__name__, self.columns[section][1])
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or role not in (Qt.DisplayRole, Qt.AccessibleTextRole):
            return None
        return self.cell(self._rows[index.row()], self.columns[index.column()][0])

    def cell(self, row: dict, key: str) -> str:
        value = row.get(key)
        return "" if value is None else str(value)

    def set_rows(self, rows: list[dict]) -> None:
        if self._rows:
            self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
            self._rows = []
            self.endRemoveRows()
        if rows:
            self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
            self._rows = list(rows)
            self.endInsertRows()

    @property
    def rows(self) -> list[dict]:
        return list(self._rows)
