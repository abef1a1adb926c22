"""Sign-in at start, and the lock screen: the same small form.

While locked, the open call's form is kept, hidden; only the password of the
signed-in operator brings it back.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class Gate(QWidget):
    submitted = Signal(str, str)  # operator id, password

    def __init__(self, parent=None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self.title = QLabel()
        self.title.setAccessibleName(self.tr("Sign-in title"))
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setProperty("role", "result")
        outer.addWidget(self.title)
        form_holder = QWidget()
        form_holder.setFixedWidth(480)
        column = QVBoxLayout(form_holder)
        form = QFormLayout()
        self.operator_id = QLineEdit()
        self.operator_id.setAccessibleName(self.tr("Operator id"))
        self.password = QLineEdit()
        self.password.setAccessibleName(self.tr("Password"))
        self.password.setEchoMode(QLineEdit.Password)
        self.hint = QLabel()
        self.hint.setAccessibleName(self.tr("Sign-in hint"))
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.hint.hide()
        self.message = QLabel()
        self.message.setAccessibleName(self.tr("Sign-in message"))
        self.message.setWordWrap(True)
        self.button = QPushButton(self.tr("Sign &in"))
        self.button.setAccessibleName(self.tr("Sign in"))
        form.addRow(self.tr("&Operator"), self.operator_id)
        form.addRow(self.tr("&Password"), self.password)
        column.addLayout(form)
        # the sentences sit under the form, not in it: a form row clips a wrapped label's second line
        column.addWidget(self.hint)
        column.addWidget(self.message)
        column.addWidget(self.button)
        outer.addWidget(form_holder, 0, Qt.AlignHCenter)
        outer.addStretch(2)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.operator_id.returnPressed.connect(self.password.setFocus)

    def _submit(self):
        if self.operator_id.text().strip() and self.password.text():
            self.button.setEnabled(False)
            self.submitted.emit(self.operator_id.text().strip(), self.password.text())

    def ask_sign_in(self, operator: str | None = None):
        self.title.setText(self.tr("Sign in to Helpline Console"))
        self.operator_id.setReadOnly(False)
        self.operator_id.setText(operator or "")
        self._ready()

    def ask_unlock(self, operator: str, why: str):
        if why == "session_age":
            text = self.tr("Locked after 12 hours. {operator}, enter your password to carry on.")
        elif why == "operator":
            text = self.tr("Locked by the operator. {operator}, enter your password to carry on.")
        else:
            text = self.tr("Locked after a spell with no activity. {operator}, enter your password to carry on.")
        self.title.setText(text.format(operator=operator))
        self.operator_id.setText(operator)
        self.operator_id.setReadOnly(True)
        self._ready()

    def show_hint(self, text: str):
        """A line under the form on every sign-in and unlock (the demo's throwaway accounts)."""
        self.hint.setText(text)
        self.hint.show()

    def refused(self, sentence: str):
        self.message.setText(sentence)
        self._ready()

    def _ready(self):
        self.password.clear()
        self.button.setEnabled(True)
        (self.password if self.operator_id.text() else self.operator_id).setFocus()
