"""The dashboard's audit tab: the audit trail, filtered, and the check of its chain."""

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QDate, QDateTime
from PySide6.QtWidgets import (
    QComboBox, QDateTimeEdit, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from console.core.timeutil import HELPLINE_ZONE
from console.store.audit import KINDS
from console.ui.dashboard.models import AuditModel, table_view
from console.ui.operations import dashboard

translate = QCoreApplication.translate  # the dashboard's words keep its context, "SupervisorView"

AUDIT_LIMIT = 1000


class AuditTab:
    """The Audit tab, mixed into SupervisorView: it works on that view's state."""

    def _build_audit(self):
        page = QWidget()
        layout = QVBoxLayout(page)
        form = QFormLayout()
        self.audit_operator = QLineEdit()
        self.audit_person = QLineEdit()
        self.audit_kind = QComboBox()
        self.audit_kind.addItem(translate("SupervisorView", "(any)"), None)
        for kind in KINDS:
            self.audit_kind.addItem(kind, kind)
        self.audit_since = QDateTimeEdit()
        self.audit_until = QDateTimeEdit()
        start = QDateTime(QDate(self.day()), datetime.min.time())
        self.audit_since.setDateTime(start)
        self.audit_until.setDateTime(start.addDays(1))
        for edit in (self.audit_since, self.audit_until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy HH:mm")
        for label, widget, name in (
            (translate("SupervisorView", "Op&erator"), self.audit_operator,
             translate("SupervisorView", "Audit filter: operator")),
            (translate("SupervisorView", "Perso&n"), self.audit_person,
             translate("SupervisorView", "Audit filter: person id")),
            (translate("SupervisorView", "&Kind"), self.audit_kind, translate("SupervisorView", "Audit filter: kind")),
            (translate("SupervisorView", "&From"), self.audit_since, translate("SupervisorView", "Audit filter: from")),
            (translate("SupervisorView", "Unt&il"), self.audit_until,
             translate("SupervisorView", "Audit filter: until")),
        ):
            widget.setAccessibleName(name)
            form.addRow(label, widget)
        buttons = QHBoxLayout()
        self.audit_button = QPushButton(translate("SupervisorView", "&Show entries"))
        self.audit_button.clicked.connect(self.load_audit)
        self.verify_button = QPushButton(translate("SupervisorView", "Verif&y the chain"))
        self.verify_button.clicked.connect(self.verify_chain)
        buttons.addWidget(self.audit_button)
        buttons.addWidget(self.verify_button)
        buttons.addStretch(1)
        self.audit_message = QLabel(translate("SupervisorView", "Reading the audit trail is itself audited."))
        self.audit_message.setAccessibleName(translate("SupervisorView", "Audit result"))
        self.audit_message.setWordWrap(True)
        self.chain_label = QLabel()
        self.chain_label.setAccessibleName(translate("SupervisorView", "Audit chain verification"))
        self.chain_label.setProperty("role", "prompt")
        self.audit_model = AuditModel(self)
        self.audit_view = table_view(self.audit_model, translate("SupervisorView", "Audit entries"))
        self.audit_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.audit_view.horizontalHeader().setStretchLastSection(True)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.chain_label)
        layout.addWidget(self.audit_message)
        layout.addWidget(self.audit_view, 1)
        return page

    def audit_filters(self) -> dict:
        filters = {
            "operator": self.audit_operator.text().strip() or None,
            "person_id": self.audit_person.text().strip() or None,
            "kind": self.audit_kind.currentData(),
            "since": self.audit_since.dateTime().toPython().replace(tzinfo=HELPLINE_ZONE),
            "until": self.audit_until.dateTime().toPython().replace(tzinfo=HELPLINE_ZONE),
        }
        return {k: v for k, v in filters.items() if v is not None}

    def load_audit(self):
        filters = self.audit_filters()
        self.audit_button.setEnabled(False)
        self.audit_message.setText(translate("SupervisorView", "Reading…"))

        def shown(entries):
            self.audit_button.setEnabled(True)
            self.audit_model.set_rows(entries)
            more = translate("SupervisorView", " (the latest {limit:,}; narrow the filters to see earlier ones)"
                             ).format(limit=AUDIT_LIMIT)
            self.audit_message.setText(translate("SupervisorView", "{n:,} entries, newest first{more}.").format(
                n=len(entries), more=more if len(entries) == AUDIT_LIMIT else ""))

        def failed(error):
            self.audit_button.setEnabled(True)
            self.audit_message.setText(translate("SupervisorView", "The audit trail could not be read ({error})."
                                                 ).format(error=type(error).__name__))

        dashboard.audit_entries(self, filters, AUDIT_LIMIT, shown).failure(failed).run_in_background(key="audit")

    def verify_chain(self):
        self.verify_button.setEnabled(False)
        self.chain_label.setText(translate("SupervisorView", "Verifying the chain…"))

        def shown(report):
            self.verify_button.setEnabled(True)
            if report.ok:
                self.chain_label.setText(translate("SupervisorView", "Chain intact: all {n:,} entries check out."
                                                   ).format(n=report.entries))
            else:
                self.chain_label.setText(translate(
                    "SupervisorView", "CHAIN BROKEN at entry {seq}: {problem}. Tell the incident lead."
                ).format(seq=report.first_broken_seq, problem=report.problem))

        def failed(error):
            self.verify_button.setEnabled(True)
            self.chain_label.setText(translate("SupervisorView", "The chain could not be verified ({error}).").format(
                error=type(error).__name__))

        dashboard.verify_chain(self, shown).failure(failed).run_in_background()
