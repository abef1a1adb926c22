"""A guard on the Qt binding itself: PySide6 6.12.0 dropped a reference to
None on every call returning nothing, which aborts a long-running console
("deallocating None"). pyproject.toml keeps it out; this proves it."""

import sys

from PySide6.QtCore import QCoreApplication


def test_processing_events_does_not_leak_references_to_none(qapp):
    before = sys.getrefcount(None)
    for _ in range(1000):
        QCoreApplication.processEvents()
    assert sys.getrefcount(None) - before > -100
