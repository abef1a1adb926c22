"""Desktop integration under the one application id."""

import configparser
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from console import APP_ID, __version__

REPO = Path(__file__).resolve().parents[1]
LINUX = REPO / "packaging" / "linux"
COMMAND = next(iter(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]))


def test_the_desktop_entry_starts_the_console_under_its_id():
    path = LINUX / f"{APP_ID}.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(path, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Terminal"] == "false"
    assert desktop["Exec"].split()[0] == COMMAND == desktop["TryExec"]
    assert desktop["Icon"] == APP_ID
    assert desktop["Categories"].endswith(";") and "Office" in desktop["Categories"].split(";")
    assert desktop["Name"] == "Helpline Console"
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout


def test_the_appstream_metainfo_describes_the_same_application():
    path = LINUX / f"{APP_ID}.metainfo.xml"
    component = ET.parse(path).getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == f"{APP_ID}.desktop"
    assert component.find("provides").findtext("binary") == COMMAND
    assert component.find("releases")[0].get("version") == __version__, "a new version: add its <release>"
    if shutil.which("appstreamcli"):
        checked = subprocess.run(["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_icon_the_desktop_entry_names_is_there_in_every_size():
    sizes = {p.parents[1].name for p in (REPO / "resources" / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.*")}
    assert sizes == {"16x16", "32x32", "48x48", "64x64", "128x128", "256x256", "scalable"}
    assert (REPO / "packaging" / "windows" / f"{COMMAND}.ico").read_bytes()[:4] == b"\0\0\1\0"
