"""The call screen's guidance panel: the scripts due, in order; Space ticks each as delivered."""

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGroupBox, QListView, QTextBrowser, QVBoxLayout

from console.core import policy
from console.core.guidance import render
from console.ui.call.models import GuidanceModel
from console.ui.call.widgets import SpaceTicks, named

translate = QCoreApplication.translate  # the call screen's words keep its context, "CallScreen"


class GuidancePanel:
    """The guidance panel, mixed into CallScreen: it works on that view's state."""

    def _build_guidance(self):
        box = QGroupBox(translate("CallScreen", "Guidance, in order"))
        layout = QVBoxLayout(box)
        self.guidance = GuidanceModel(self.scripts, self)
        self.guidance_view = named(QListView(), translate("CallScreen", "Guidance scripts due"), translate(
            "CallScreen", "Space ticks the selected script as delivered and moves to the next"))
        self.guidance_view.setModel(self.guidance)
        self.guidance_view.installEventFilter(SpaceTicks(self))
        self.guidance_view.selectionModel().currentChanged.connect(self._show_script)
        self.guidance.modelReset.connect(self._guidance_reset)
        self.script_text = named(QTextBrowser(), translate("CallScreen", "Script to read"))
        self.script_text.setOpenExternalLinks(False)
        layout.addWidget(self.guidance_view, 1)
        layout.addWidget(self.script_text, 3)
        return box

    def _due_scripts(self) -> list[str]:
        shown = self.call.verification if self.call else None
        flags = self.flags()
        if shown is None:
            # before the check: what is due whatever its answer
            due = ["opening"] + (["wellbeing-support"] if "distress" in flags else [])
            return due
        verified = shown["outcome"] == "verified"
        sensitive = any(d["sensitive"] for d in shown.get("documents", []))
        return policy.guidance_for(shown["outcome"], shown.get("assurance"),
                                   shown.get("affected_status") if verified else None, sensitive, flags)

    def _refresh_guidance(self, *_):
        if self.call is None:
            return
        current = self.guidance_view.currentIndex().data(Qt.UserRole)
        self.guidance.set_due(self._due_scripts())
        if current in self.guidance.due:
            self.guidance_view.setCurrentIndex(self.guidance.index(self.guidance.due.index(current)))
        self.next_prompt.setText(self._what_to_ask())  # a script a flag made due is not delivered yet

    def _mark_new_scripts(self, script_ids: list[str]):
        """A flag made these scripts due: mark them, and select the first so Space ticks it."""
        if not script_ids:
            return
        self.guidance.mark_new(script_ids)
        self.guidance_view.setCurrentIndex(self.guidance.index(self.guidance.due.index(script_ids[0])))

    def _guidance_reset(self):
        if self.guidance.rowCount():
            self._select_next_undelivered()

    def _select_next_undelivered(self, after: int = -1):
        due = self.guidance.due
        for row in list(range(after + 1, len(due))) + list(range(0, after + 1)):
            if due[row] in self.guidance.undelivered:
                self.guidance_view.setCurrentIndex(self.guidance.index(row))
                return
        if due:
            self.guidance_view.setCurrentIndex(self.guidance.index(len(due) - 1))

    def tick_current_script(self):
        index = self.guidance_view.currentIndex()
        if not index.isValid():
            return
        self.guidance.toggle(index.row())
        if index.data(Qt.UserRole) in self.guidance.delivered:
            self._tick_topic_of(index.data(Qt.UserRole))
            self._select_next_undelivered(index.row())
        self.next_prompt.setText(self._what_to_ask())

    def _show_script(self, current, _previous=None):
        script_id = current.data(Qt.UserRole) if current.isValid() else None
        script = self.scripts.get(script_id)
        if script is None:
            self.script_text.clear()
            return
        context = {"register_version": self.register_version}
        if self.call and self.call.verification and self.call.verification["outcome"] == "verified":
            context["caller_name"] = self.given_name.text().strip()
        self.script_text.setMarkdown(f"## {script.title}\n\n" + render(script, context, self.services))
