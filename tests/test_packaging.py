"""The bundle's spec, and the desktop files, under one application id.

The spec is run with stand-ins for what PyInstaller gives a spec (Analysis,
PYZ, EXE, COLLECT), so this needs neither PyInstaller nor a build; building
and smoke-testing the bundle itself is packaging/build-bundle.
"""

import configparser
import os
import shutil
import subprocess
import sys
import tomllib
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console import APP_ID, __version__

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "helpline-console.spec"
LINUX = REPO / "packaging" / "linux"
COMMAND = next(iter(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]))


class Build:
    """What the spec asked PyInstaller for."""

    def __init__(self):
        self.analysis, self.programs, self.collected = None, [], None

    def namespace(self, workpath: Path) -> dict:
        build = self

        class Analysis:
            def __init__(self, scripts, **options):
                build.analysis = self
                self.scripts_given, self.options = scripts, options
                self.pure, self.binaries, self.datas = [], [], list(options["datas"])
                # runtime hooks, as PyInstaller lists them before the entry point
                self.scripts = [("pyi_rth_inspect", "", "PYSOURCE"), ("pyi_rth_pyside6", "", "PYSOURCE"),
                                ("qt_paths", "", "PYSOURCE"), ("__main__", "", "PYSOURCE")]

        def EXE(pyz, scripts, *more, **options):
            build.programs.append({**options, "scripts": [name for name, _, _ in scripts]})
            return options

        def COLLECT(*parts, **options):
            build.collected = options

        return {"SPECPATH": str(SPEC.parent), "workpath": str(workpath), "Analysis": Analysis,
                "PYZ": lambda pure: ("PYZ", pure), "EXE": EXE, "COLLECT": COLLECT, "__file__": str(SPEC)}


def run_spec(tmp_path, platform=None, monkeypatch=None) -> tuple[Build, dict]:
    if platform:
        monkeypatch.setattr(sys, "platform", platform)
    build = Build()
    namespace = build.namespace(tmp_path / "work")
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return build, namespace


def test_the_spec_builds_one_folder_named_by_the_package(tmp_path):
    build, spec = run_spec(tmp_path)
    assert (spec["VERSION"], spec["APP_ID"]) == (__version__, APP_ID)
    assert build.analysis.scripts_given == [str(REPO / "console" / "__main__.py")]
    assert [p["name"] for p in build.programs] == [COMMAND] and build.programs[0]["console"]
    assert build.collected["name"] == COMMAND


def test_the_program_does_not_load_qt_before_the_window_asks_for_it(tmp_path):
    build, _ = run_spec(tmp_path)
    hooks = build.analysis.options["runtime_hooks"]
    assert [Path(h).name for h in hooks] == ["qt_paths.py"] and all(Path(h).is_file() for h in hooks)
    assert build.programs[0]["scripts"] == ["pyi_rth_inspect", "qt_paths", "__main__"]


def test_the_spec_names_every_resource(tmp_path):
    build, spec = run_spec(tmp_path)
    resources = {p.name for p in (REPO / "resources").iterdir()}
    assert resources == set(spec["BUNDLED_RESOURCES"]) | set(spec["NOT_BUNDLED"]), (
        "a new resource: add it to BUNDLED_RESOURCES in the spec (or NOT_BUNDLED)")
    datas = dict(build.analysis.datas)
    for item in spec["BUNDLED_RESOURCES"]:
        source = REPO / "resources" / item
        assert Path(datas[str(source)]) == (Path("resources", item) if source.is_dir() else Path("resources"))


def test_the_spec_keeps_what_is_loaded_by_name(tmp_path):
    build, _ = run_spec(tmp_path)
    hidden = set(build.analysis.options["hiddenimports"])
    assert {"keyring.backends.SecretService", "keyring.backends.Windows", "keyring.backends.macOS",
            "keyring.backends.kwallet", "secretstorage", "jeepney", "sqlcipher3", "argon2", "tzdata"} <= hidden
    assert {"console.ui.app", "console.store.register.worker", "console.selftest", "console.store.settings"} <= hidden
    assert not any(name.startswith("console.hub") for name in hidden)
    assert "PySide6.QtWebEngineCore" in build.analysis.options["excludes"]


def test_on_windows_the_spec_adds_the_windowed_program_its_icon_and_version(tmp_path, monkeypatch):
    build, spec = run_spec(tmp_path, "win32", monkeypatch)
    assert [(p["name"], p["console"]) for p in build.programs] == [(COMMAND, True), (f"{COMMAND}-window", False)]
    assert all(Path(p["icon"]).is_file() and p["icon"].endswith(".ico") for p in build.programs)
    assert not spec["STRIP"]
    version = Path(build.programs[0]["version"]).read_text(encoding="utf-8")
    assert f"StringStruct('ProductVersion', '{__version__}')" in version
    assert "win32ctypes.core" in build.analysis.options["hiddenimports"]
    monkeypatch.undo()  # back on this platform, PyInstaller (when installed) parses the version file as it will
    try:
        from PyInstaller.utils.win32.versioninfo import load_version_info_from_text_file
    except ImportError:
        return
    assert load_version_info_from_text_file(build.programs[0]["version"]).ffi.fileVersionMS == 0x00000001


def test_unused_qt_plugins_leave_with_the_libraries_only_they_need(tmp_path, monkeypatch):
    """libQt6Quick goes with the on-screen keyboard; libQt6Gui, which a kept
    plugin also links to, stays, and so does every library nothing links to."""
    _, spec = run_spec(tmp_path)
    links = {"keyboard.so": {"quick.so", "gui.so"}, "quick.so": {"qml.so"}, "xcb.so": {"gui.so"},
             "gui.so": {"core.so"}, "qml.so": {"core.so"}}
    bindepend = types.SimpleNamespace(get_imports=lambda path: {(p, p) for p in links.get(path, ())})
    monkeypatch.setitem(sys.modules, "PyInstaller.depend.bindepend", bindepend)
    monkeypatch.setitem(sys.modules, "PyInstaller.depend", types.SimpleNamespace(bindepend=bindepend))
    monkeypatch.setattr(spec["os"].path, "realpath", lambda path: path)
    binaries = [("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", "keyboard.so", "BINARY"),
                ("PySide6/Qt/plugins/platforms/libqxcb.so", "xcb.so", "BINARY"),
                ("PySide6/Qt/lib/libQt6Quick.so.6", "quick.so", "BINARY"),
                ("PySide6/Qt/lib/libQt6Qml.so.6", "qml.so", "BINARY"),
                ("PySide6/Qt/lib/libQt6Gui.so.6", "gui.so", "BINARY"),
                ("PySide6/Qt/lib/libQt6Core.so.6", "core.so", "BINARY"),
                ("libpython3.so", "python.so", "BINARY")]
    kept = [source for _, source, _ in spec["without_unused_qt_plugins"](binaries)]
    assert kept == ["xcb.so", "gui.so", "core.so", "python.so"]


def test_faker_keeps_the_demo_locales_and_qt_only_our_languages(tmp_path):
    _, spec = run_spec(tmp_path)
    datas = [("faker/providers/person/en_NZ/__init__.py", "", "DATA"), ("faker/providers/person/fr_FR/__init__.py", "", "DATA"),
             ("faker/providers/person/__init__.py", "", "DATA"), ("faker/providers/person/en/__init__.py", "", "DATA")]
    assert [d[0] for d in spec["only_demo_locales"](datas)] == [
        "faker/providers/person/en_NZ/__init__.py", "faker/providers/person/__init__.py", "faker/providers/person/en/__init__.py"]
    assert {"en", "mi"} <= spec["LANGUAGES"]
    qt = [("PySide6/Qt/translations/qtbase_de.qm", "", "DATA"), ("PySide6/Qt/translations/qtbase_en.qm", "", "DATA"),
          ("PySide6/Qt/translations/qt_help_pt_BR.qm", "", "DATA"), ("resources/i18n/helpline-console_mi.qm", "", "DATA")]
    assert [d[0] for d in spec["only_our_languages"](qt)] == [
        "PySide6/Qt/translations/qtbase_en.qm", "resources/i18n/helpline-console_mi.qm"]


# desktop integration


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


# the bundle itself


@pytest.mark.slow(seconds=26)
def test_the_bundle_builds_and_passes_its_self_test(tmp_path, child_keystore):
    """packaging/build-bundle, as CI runs it (about a minute on two cores):
    the built program's --version and its self-test with the window."""
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pyproject's bundle extra)")
    built = subprocess.run([str(REPO / "packaging" / "build-bundle"), "--into", str(tmp_path)], cwd=REPO,
                           env={**os.environ, "PYTHON": sys.executable},
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert f"{COMMAND} {__version__}\n" in built.stdout
    assert "ok     window    window ready for a call" in built.stdout
    assert built.stdout.rstrip().endswith("Self-test passed: 8 steps.")
    if sys.platform.startswith("linux"):  # the dynamic loader lists what it loads
        program = tmp_path / "dist" / COMMAND / COMMAND
        loaded = subprocess.run([str(program), "--version"], env={**os.environ, "LD_DEBUG": "files"},
                                capture_output=True, text=True, timeout=60).stderr
        assert "libpython" in loaded and "libQt6Core" not in loaded, "the bundle's command line loads Qt"
