"""Every text the call screen and the sign-in form show goes through Qt's translation,
the committed .ts files hold them all, and a compiled translation reaches the window."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTranslator
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QGroupBox, QLabel, QListWidget, QWidget

from console.core.guidance import load_scripts, load_services

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent
MARK = "«"


class Marking(QTranslator):
    """Translates every text to itself with a mark in front, so an untranslated text shows."""

    def __init__(self):
        super().__init__()
        self.asked = set()

    def translate(self, context, source, disambiguation=None, n=-1):
        self.asked.add((context, source))
        return MARK + source

    def isEmpty(self):
        return False


@pytest.fixture
def marking(qapp):
    translator = Marking()
    qapp.installTranslator(translator)
    yield translator
    qapp.removeTranslator(translator)


def shown_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every text a person can read or hear on `root`."""
    texts = []
    for widget in [root, *root.findChildren(QWidget)]:
        where = widget.accessibleName() or type(widget).__name__
        if isinstance(widget, (QLabel, QAbstractButton)):
            texts.append((where, widget.text()))
        if isinstance(widget, QGroupBox):
            texts.append((where, widget.title()))
        if isinstance(widget, QComboBox):
            texts += [(where, widget.itemText(i)) for i in range(widget.count())]
        if isinstance(widget, QListWidget):
            texts += [(where, widget.item(i).text()) for i in range(widget.count())]
        texts += [(type(widget).__name__, widget.accessibleName()), (where, widget.accessibleDescription()),
                  (where, widget.toolTip())]
        model = getattr(widget, "model", lambda: None)()
        if model is not None and hasattr(model, "columns"):
            texts += [(where, model.headerData(c, Qt.Horizontal)) for c in range(model.columnCount())]
    return [(where, text) for where, text in texts if text]


def untranslated(root: QWidget) -> list[tuple[str, str]]:
    return [(where, text) for where, text in shown_texts(root) if not text.startswith(MARK)]


def verified_result():
    return {"outcome": "verified", "assurance": "possession", "person_id": "S0001", "affected_status": "affected",
            "documents": [{"category": "referral_letter", "document_date": None, "sensitive": True}],
            "guidance": ["opening"]}


def test_every_text_on_the_call_screen_is_translated(qtbot, marking):
    from console.ui.call.screen import CallScreen

    screen = CallScreen(None, load_scripts(), load_services(), "op-1")
    qtbot.addWidget(screen)
    assert untranslated(screen) == []
    screen.new_call()
    screen.dob.setText("29/2/1968")
    screen.phone.setText("12")
    screen.email.setText("hine")
    screen.notes.setPlainText("x" * 5000)
    screen.set_register_version("sample-2026-01-05.1")
    screen._show_skip_reason(["opening"])
    screen._show_result(verified_result(), [{"when": "2026-01-05 10:00", "what": "Call", "outcome": "resolved"}])
    assert untranslated(screen) == []
    assert screen.documents.data(screen.documents.index(0, 0)).startswith(MARK)
    assert screen.documents.data(screen.documents.index(0, 1)).startswith(MARK)  # "date unknown"
    screen._show_result({"outcome": "not_verified", "guidance": ["opening"]})
    screen.dob.setText("not a date")
    screen.save_call()
    assert untranslated(screen) == []


def test_every_text_of_the_sign_in_form_is_translated(qtbot, marking):
    from console.ui.gate import Gate

    gate = Gate()
    qtbot.addWidget(gate)
    for ask in (lambda: gate.ask_sign_in(), lambda: gate.ask_unlock("op-1", "idle"),
                lambda: gate.ask_unlock("op-1", "session_age")):
        ask()
        assert untranslated(gate) == []


def run_tool(tool: str, *args):
    path = TOOLS / tool
    if not path.exists():
        pytest.skip(f"{tool} is not installed beside {sys.executable}")
    return subprocess.run([str(path), *map(str, args)], capture_output=True, text=True, check=True, timeout=60)


def messages(ts: Path) -> set[tuple[str, str]]:
    root = ET.parse(ts).getroot()
    return {(context.findtext("name"), message.findtext("source"))
            for context in root.iter("context") for message in context.iter("message")}


def test_the_committed_translation_sources_hold_every_text(qtbot, tmp_path, marking):
    """packaging/i18n update has been run since the last text changed, and
    the window asks for its texts in the contexts lupdate extracted them in
    (PySide6's tr() takes the context from the object's class at run time)."""
    fresh = tmp_path / "fresh.ts"
    run_tool("pyside6-lupdate", *sorted((REPO / "console" / "ui").rglob("*.py")), "-ts", fresh)
    extracted = messages(fresh)
    for language in ("en", "mi"):
        assert messages(REPO / "resources" / "i18n" / f"helpline-console_{language}.ts") == extracted, (
            "run packaging/i18n update")
    from console.ui.call.screen import CallScreen
    from console.ui.gate import Gate

    screen, gate = CallScreen(None, load_scripts(), load_services(), "op-1"), Gate()
    qtbot.addWidget(screen)
    qtbot.addWidget(gate)
    screen._show_result(verified_result(), [{"when": "", "what": "", "outcome": ""}])
    ours = {(context, source) for context, source in marking.asked if not context.startswith("Q")}  # not Qt's own
    assert ours and ours <= extracted, f"asked for but not extracted: {sorted(ours - extracted)[:5]}"


def test_a_compiled_translation_reaches_the_window(qtbot, tmp_path, monkeypatch):
    """The path a translator's work takes: .ts → packaging/i18n release → .qm → the window."""
    from console.ui.app import install_translations
    from console.ui.call.screen import CallScreen

    source = REPO / "resources" / "i18n" / "helpline-console_mi.ts"
    tree = ET.parse(source)
    for context in tree.getroot().iter("context"):
        for message in context.iter("message"):
            if (context.findtext("name"), message.findtext("source")) in (("CallScreen", "Caller"),
                                                                          ("CallScreen", "Patient")):
                translation = message.find("translation")
                translation.text = {"Caller": "Kaiwaea", "Patient": "Tūroro"}[message.findtext("source")]
                translation.attrib.pop("type", None)
    folder = tmp_path / "resources" / "i18n"
    folder.mkdir(parents=True)
    tree.write(tmp_path / "mi.ts", encoding="utf-8", xml_declaration=True)
    run_tool("pyside6-lrelease", tmp_path / "mi.ts", "-qm", folder / "helpline-console_mi.qm")
    monkeypatch.setenv("HELPLINE_CONSOLE_RESOURCES", str(tmp_path / "resources"))
    app = QApplication.instance()
    before = set(app.findChildren(QTranslator))
    loaded = install_translations(app, QLocale("mi_NZ"))
    try:
        assert any(path.endswith("helpline-console_mi.qm") for path in loaded)
        screen = CallScreen(None, load_scripts(REPO / "resources" / "guidance"),
                            load_services(REPO / "resources" / "services.json"), "op-1")
        qtbot.addWidget(screen)
        assert screen.caller_type.parentWidget().title() == "Kaiwaea"
        assert screen.caller_type.itemText(0) == "Tūroro"
        assert screen.relationship.itemText(1) == "Parent"  # not yet translated: the English source
        assert QCoreApplication.translate("CallScreen", "Caller") == "Kaiwaea"
    finally:
        for translator in set(app.findChildren(QTranslator)) - before:
            app.removeTranslator(translator)
            translator.deleteLater()
