"""Issue 15, "Smaller": a standalone workstation is not forever "not yet synced", and exports are
suggested in the user's Documents folder, not the console's working directory. (The files table of
a not-affected caller, a one-character skip reason and Escalate off keeping the outcome were fixed
before: tests/ui/test_call_traps.py.)"""

from pathlib import Path

from test_supervisor import fixed_clock, open_dashboard, seeded_window  # noqa: F401 (fixtures)


def test_a_standalone_workstation_says_so_and_counts_nothing_waiting(qtbot, window, screen):
    qtbot.waitUntil(lambda: window.version_label.text() != "Register: …", timeout=10_000)
    screen.new_call()
    screen.family_name.setText("Chen")
    screen.skip_reason.setText("caller hung up early")
    screen.save_call()
    qtbot.waitUntil(lambda: screen.call is None, timeout=10_000)
    qtbot.waitUntil(lambda: window.outbox_label.text() == "Not yet synced: 1 call", timeout=10_000)  # counted
    shown = [label.text() for label in (window.operator_label, window.version_label, window.outbox_label,
                                        window.connection_label) if label.isVisible()]
    assert "Standalone: no hub" in shown
    assert not any("synced" in text for text in shown), shown


def test_exports_are_suggested_in_the_documents_folder(qtbot, seeded_window, user_folders, tmp_path, monkeypatch):
    from PySide6.QtCore import QStandardPaths

    monkeypatch.chdir(tmp_path)  # the working directory is never where a file goes
    view = open_dashboard(qtbot, seeded_window)
    view.tabs.setCurrentIndex(4)
    suggested = []
    view.ask_save_path = lambda title, path, kinds: suggested.append(path)
    for button in (view.pdf_button, view.calls_csv_button, view.figures_csv_button):
        button.click()
    documents = Path(QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation))
    assert documents.is_relative_to(user_folders) and documents.is_dir()
    assert [Path(p).parent for p in suggested] == [documents] * 3
    assert [Path(p).name for p in suggested] == ["helpline-report-2026-03-10.pdf", "helpline-calls-2026-03-10.csv",
                                                 "helpline-figures-2026-03-10.csv"]
