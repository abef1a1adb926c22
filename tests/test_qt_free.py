"""The core, the store, sync, the hub and the command line never load Qt."""

import subprocess
import sys

CHECK = """
import sys, importlib, pkgutil
import console.core, console.store, console.sync, console.hub, console.cli
for package in (console.core, console.store, console.sync, console.hub, console.cli):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not module.name.endswith(".__main__"):  # a command, not a module to import
            importlib.import_module(module.name)
import console.settings, console.selftest
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6") or m.startswith("console.ui"))
print(",".join(loaded))
"""


def test_core_store_sync_and_cli_import_no_qt():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_check_caller_runs_without_qt(tmp_path, sample_register):
    script = f"""
import sys
from console.cli import main
main(["--db", {str(tmp_path / 'c.db')!r}, "--json", "import-register", {str(sample_register)!r}])
main(["--db", {str(tmp_path / 'c.db')!r}, "--json", "check-caller", "--family-name", "Tupou", "--given-name", "Sione",
      "--dob", "1990-06-15", "--nhi", "ZAA0067", "--phone", "022 987 6543"])
print("QT" if any(m.startswith("PySide6") for m in sys.modules) else "NOQT")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("NOQT")
    assert '"outcome": "verified"' in out
