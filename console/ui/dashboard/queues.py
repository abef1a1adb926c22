"""The dashboard's queues tab: overdue callbacks, locked persons and escalations awaiting
action, with the action on each.
"""

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout,
    QWidget,
)

from console.ui.dashboard.models import (
    CallbacksModel, EscalationsModel, LockedModel, local_time, person_text, table_view,
)
from console.ui.operations import callbacks, dashboard
from console.ui.table_model import RowsModel

translate = QCoreApplication.translate  # the dashboard's words keep its context, "SupervisorView"


class QueuesTab:
    """The Queues tab, mixed into SupervisorView: it works on that view's state."""

    def _build_queues(self):
        page = QWidget()
        layout = QGridLayout(page)
        self.callbacks_model = CallbacksModel(self)
        self.callbacks_view = table_view(self.callbacks_model, translate("SupervisorView", "Open callbacks"))
        self.assignee = QComboBox()
        self.assignee.setEditable(True)
        self.assign_button = QPushButton(translate("SupervisorView", "A&ssign"))
        self.assign_button.clicked.connect(self.assign_callback)
        self.assign_target = QLabel()
        self.callbacks_box = self._queue_box(
            translate("SupervisorView", "Open callbacks"), self.callbacks_view, self.assignee,
            translate("SupervisorView", "Operator to assign the callback to"), None, self.assign_button,
            self.assign_target)
        layout.addWidget(self.callbacks_box, 0, 0)

        self.locked_model = LockedModel(self)
        self.locked_view = table_view(self.locked_model, translate("SupervisorView", "Locked persons"))
        self.unlock_reason = QLineEdit()
        self.unlock_button = QPushButton(translate("SupervisorView", "U&nlock"))
        self.unlock_button.clicked.connect(self.unlock_person)
        self.unlock_target = QLabel()
        self.locked_box = self._queue_box(
            translate("SupervisorView", "Locked persons"), self.locked_view, self.unlock_reason,
            translate("SupervisorView", "Reason for unlocking"),
            translate("SupervisorView", "Why this person may be checked again (required)"), self.unlock_button,
            self.unlock_target)
        layout.addWidget(self.locked_box, 0, 1)

        self.escalations_model = EscalationsModel(self)
        self.escalations_view = table_view(self.escalations_model,
                                           translate("SupervisorView", "Escalations awaiting action"))
        self.take_up_note = QLineEdit()
        self.take_up_button = QPushButton(translate("SupervisorView", "Ta&ke up"))
        self.take_up_button.clicked.connect(self.take_up_escalation)
        self.take_up_target = QLabel()
        self.escalations_box = self._queue_box(
            translate("SupervisorView", "Escalations awaiting action (last 7 days)"), self.escalations_view,
            self.take_up_note, translate("SupervisorView", "Note on taking up the escalation"),
            translate("SupervisorView", "What you will do (optional)"), self.take_up_button, self.take_up_target)
        # which row each action will touch, shown next to its button and kept by id across refreshes
        self._queues = ((self.callbacks_view, self.callbacks_model, "callback_id", self.assign_target,
                         self._describe_callback),
                        (self.locked_view, self.locked_model, "person_id", self.unlock_target,
                         self._describe_person),
                        (self.escalations_view, self.escalations_model, "call_id", self.take_up_target,
                         self._describe_escalation))
        for view, model, _key, target, describe in self._queues:
            target.setWordWrap(True)
            view.selectionModel().selectionChanged.connect(
                lambda *_, v=view, m=model, t=target, d=describe: self._show_target(v, m, t, d))
            self._show_target(view, model, target, describe)
        layout.addWidget(self.escalations_box, 1, 0, 1, 2)
        self.queue_message = QLabel()
        self.queue_message.setAccessibleName(translate("SupervisorView", "Queue action result"))
        self.queue_message.setWordWrap(True)
        layout.addWidget(self.queue_message, 2, 0, 1, 2)
        return page

    @staticmethod
    def _queue_box(title, view, field, field_name, placeholder, button, target) -> QGroupBox:
        """A queue: its table, and under it what the action needs, the action's button and
        (`target`, a label) the row it will act on."""
        field.setAccessibleName(field_name)
        if placeholder:
            field.setPlaceholderText(placeholder)
        box = QGroupBox(title)
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(view)
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(button)
        row.addWidget(target, 1)
        box_layout.addLayout(row)
        return box

    def _show_target(self, view, model, target, describe):
        row = self._selected(view, model)
        target.setText(translate("SupervisorView", "Acts on: {row}").format(row=describe(row)) if row
                       else translate("SupervisorView", "Select a row above"))
        target.setAccessibleName(target.text())

    @staticmethod
    def _describe_callback(row) -> str:
        return translate("SupervisorView", "callback due {due}").format(due=local_time(row["due_at"]))

    @staticmethod
    def _describe_person(row) -> str:
        return person_text(row)

    @staticmethod
    def _describe_escalation(row) -> str:
        return translate("SupervisorView", "call by {operator} at {when} about {person}").format(
            operator=row["operator"], when=local_time(row["started_at"]), person=person_text(row))

    def _queue_title(self, title: str, shown: int, total: int) -> str:
        if shown < total:
            return translate("SupervisorView", "{title}: {total:,} (the {shown:,} oldest shown)").format(
                title=title, total=total, shown=shown)
        return translate("SupervisorView", "{title}: {total:,}").format(title=title, total=total)

    def _show_queues(self, queues: dict):
        for (view, model, key, target, describe), rows in zip(
                self._queues, (queues["open_callbacks"], queues["locked"], queues["escalations"])):
            chosen = self._selected(view, model)
            model.set_rows(rows)
            ids = [row[key] for row in rows]
            if chosen is not None and chosen[key] in ids:
                view.selectRow(ids.index(chosen[key]))  # the same one, wherever the refresh put it
            self._show_target(view, model, target, describe)
        callbacks_title = translate("SupervisorView", "Open callbacks ({overdue:,} overdue)").format(
            overdue=queues["overdue_callbacks_total"])
        for box, title, shown, total in (
            (self.callbacks_box, callbacks_title, len(queues["open_callbacks"]), queues["open_callbacks_total"]),
            (self.locked_box, translate("SupervisorView", "Locked persons"), len(queues["locked"]),
             len(queues["locked"])),
            (self.escalations_box, translate("SupervisorView", "Escalations awaiting action (last 7 days)"),
             len(queues["escalations"]), queues["escalations_total"]),
        ):
            box.setTitle(self._queue_title(title, shown, total))
        known = {self.assignee.itemText(i) for i in range(self.assignee.count())}
        operators = set((self.figures or {}).get("by_operator", {})) | {
            c["assigned_to"] for c in queues["open_callbacks"] if c["assigned_to"]}
        for operator in sorted(operators - known):
            self.assignee.addItem(operator)

    def _selected(self, view: QTableView, model: RowsModel) -> dict | None:
        rows = view.selectionModel().selectedRows()
        return model.rows[rows[0].row()] if rows else None

    def _act(self, operation, done_text: str, field=None):
        """operation(success) is the write; once done, the change it announces refreshes the queues.
        `field` (what the supervisor typed for it) is emptied only once the write is done: a refusal keeps it."""
        def done(_):
            if field is not None:
                field.setText("")
            self.queue_message.setText(done_text)
            self.status_message.emit(done_text)

        def refused(error):
            self.queue_message.setText(str(error) if isinstance(error, ValueError) else translate(
                "SupervisorView", "That could not be done ({error}).").format(error=type(error).__name__))

        operation(done).failure(refused).run_in_background()

    def assign_callback(self):
        callback = self._selected(self.callbacks_view, self.callbacks_model)
        assignee = self.assignee.currentText().strip()
        if callback is None or not assignee:
            self.queue_message.setText(translate(
                "SupervisorView", "Select a callback and type the operator to assign it to."))
            return
        callback_id = callback["callback_id"]
        self._act(lambda done: callbacks.assign_callback(self, callback_id, assignee, done),
                  translate("SupervisorView", "Callback due {due} assigned to {who}.").format(
                      due=local_time(callback["due_at"]), who=assignee))

    def unlock_person(self):
        person = self._selected(self.locked_view, self.locked_model)
        reason = self.unlock_reason.text().strip()
        if person is None or not reason:
            self.queue_message.setText(translate(
                "SupervisorView", "Select a locked person and say why they may be checked again."))
            return
        person_id = person["person_id"]
        self._act(lambda done: dashboard.unlock(self, person_id, reason, done),
                  translate("SupervisorView", "{person} unlocked; the reason is in the audit trail.").format(
                      person=person_text(person)), self.unlock_reason)

    def take_up_escalation(self):
        call = self._selected(self.escalations_view, self.escalations_model)
        if call is None:
            self.queue_message.setText(translate("SupervisorView", "Select an escalated call to take up."))
            return
        call_id, note = call["call_id"], self.take_up_note.text().strip() or None
        self._act(lambda done: dashboard.take_up_escalation(self, call_id, note, done),
                  translate("SupervisorView", "You took up the call escalated by {operator} at {when}.").format(
                      operator=call["operator"], when=local_time(call["started_at"])), self.take_up_note)
