"""The dashboard's live message tab: a supervisor publishes the next version
of "what we know now" (counts confirmed, known problems, what to say), which
every workstation shows on its call screen within seconds (console/hub/live.py).
Publishing needs the hub: without one the tab says so and publishes nothing.
"""

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from console.core.live import MESSAGE_MAX_CHARS, message_problem
from console.ui.operations import QueryOp

translate = QCoreApplication.translate  # the dashboard's words keep its context, "SupervisorView"


class MessageTab:
    """The Live message tab, mixed into SupervisorView: it works on that view's state."""

    _publish_message = None  # publish(text) -> the message's event, on the view's hub thread

    def _build_message(self):
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(translate(
            "SupervisorView", "What we know now, as every operator will see it on the call screen "
                              "(at most {limit} characters):").format(limit=MESSAGE_MAX_CHARS)))
        self.message_text = QPlainTextEdit()
        self.message_text.setAccessibleName(translate("SupervisorView", "Live message to publish"))
        self.message_text.setTabChangesFocus(True)
        layout.addWidget(self.message_text, 1)
        row = QHBoxLayout()
        self.publish_button = QPushButton(translate("SupervisorView", "Publish to every operator"))
        self.publish_button.clicked.connect(self.publish_message)
        row.addWidget(self.publish_button)
        self.message_status = QLabel(translate("SupervisorView", "Nothing published from here yet."))
        self.message_status.setWordWrap(True)
        self.message_status.setAccessibleName(translate("SupervisorView", "Live message status"))
        row.addWidget(self.message_status, 1)
        layout.addLayout(row)
        return page

    def set_message_publisher(self, publish):
        """publish(text) -> the published message (POST /v1/message), or raises; None: no hub."""
        self._publish_message = publish

    def publish_message(self):
        text = self.message_text.toPlainText().strip()
        problem = message_problem(text)
        if problem:
            self.message_status.setText(problem)
            return
        if self._publish_message is None:
            self.message_status.setText(translate("SupervisorView", "No hub is set for this workstation: the live "
                                                                    "message is published through the hub."))
            return
        self.publish_button.setEnabled(False)
        self.message_status.setText(translate("SupervisorView", "Publishing…"))

        def published(event):
            self.publish_button.setEnabled(True)
            self.message_status.setText(translate("SupervisorView", "Version {version} published; operators see "
                                                                    "it within seconds.").format(
                version=event["version"]))

        def failed(error):
            self.publish_button.setEnabled(True)
            self.message_status.setText(translate("SupervisorView", "Not published: {error}").format(
                error=str(error) or type(error).__name__))

        publish = self._publish_message
        QueryOp(self, lambda: publish(text), published, thread=self._hub).failure(failed).run_in_background(
            key="message")
