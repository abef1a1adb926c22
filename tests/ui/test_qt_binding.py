"""A guard on the Qt binding itself: PySide6 6.12.0 dropped a reference to
None on every call returning nothing, which aborts a long-running console
("deallocating None") on Python 3.11. pyproject.toml keeps it out; this
proves it, on the binding installed and in the pin itself."""

import sys
import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from PySide6.QtCore import QCoreApplication

from tests.conftest import REPO

FAULTY = Version("6.12.0")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason=(
    "None is immortal from Python 3.12 on: its count does not move, and a lost reference cannot deallocate it"))
def test_processing_events_does_not_leak_references_to_none(qapp):
    before = sys.getrefcount(None)
    for _ in range(1000):
        QCoreApplication.processEvents()
    assert sys.getrefcount(None) - before > -100  # the faulty binding loses one per call: -1000


def test_the_pin_keeps_the_faulty_binding_out_while_python_3_11_is_supported():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    supports_3_11 = SpecifierSet(project["requires-python"]).contains("3.11")
    pins = [Requirement(d) for d in project["dependencies"] if d.startswith("PySide6")]
    assert {pin.name for pin in pins} == {"PySide6-Essentials", "PySide6-Addons"}
    for pin in pins:
        assert Version(version(pin.name)) in pin.specifier, f"{pin.name} {version(pin.name)} is not what {pin} allows"
        if supports_3_11:
            assert FAULTY not in pin.specifier, f"{pin} lets in PySide6 {FAULTY}, which crashes Python 3.11"
