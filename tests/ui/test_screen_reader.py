"""The call screen as a screen reader meets it (issue 15, "A screen-reader test end to end").

Qt's offscreen platform exposes nothing to assistive technology, so the window runs in a child process
under Xvfb with the xcb platform and Qt's AT-SPI bridge on, inside its own session bus with the AT-SPI
registry (Debian: xvfb, at-spi2-core, python3-pyatspi; `packaging/dev test` installs them). A walker,
run by the system's python (which has pyatspi), reads the window through AT-SPI alone: every control's
name and role, the objects AT-SPI reports focused as Tab is pressed, and the events after a check.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
# the roles of controls a person operates; a control exposed as anything else is announced wrongly
CONTROL_ROLES = {"push button", "check box", "combo box", "text", "entry", "list", "table", "tree table",
                 "spin button", "date editor", "page tab", "radio button", "slider", "menu item", "label",
                 "list item", "table cell"}
FOCUS_CONTROL_ROLES = CONTROL_ROLES - {"list item", "table cell"}
PANELS = ("Caller", "Result", "Guidance, in order", "Wrap-up")  # left to right, then the wrap-up below
ROW = 8  # pixels: two stops whose tops are this close are on one row


def missing_piece() -> str | None:
    """What this machine lacks for the test, said exactly; None when nothing is missing."""
    for tool, package in (("xvfb-run", "xvfb"), ("dbus-run-session", "dbus")):
        if not shutil.which(tool):
            return f"{tool} is not installed (Debian package {package})"
    if not any(Path(p).exists() for p in ("/usr/libexec/at-spi-bus-launcher", "/usr/lib/at-spi2-core/at-spi-bus-launcher")):
        return "at-spi-bus-launcher is not installed (Debian package at-spi2-core)"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, text=True)
    if probe.returncode:
        return f"{SYSTEM_PYTHON} cannot import pyatspi (Debian package python3-pyatspi): {probe.stderr.strip()[-200:]}"
    return None


@pytest.fixture(scope="module")
def walked():
    missing = missing_piece()
    if missing:
        pytest.skip(f"the AT-SPI test needs a virtual X screen, a session bus and the AT-SPI registry: {missing}")
    from tests.conftest import SAMPLE_REGISTER

    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "QT_ACCESSIBILITY": "1", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1"}
    env.pop("DISPLAY", None)
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1200x24", "dbus-run-session", "--",
               SYSTEM_PYTHON, str(REPO / "tests" / "support" / "atspi_walker.py"),
               sys.executable, str(REPO / "tests" / "support" / "atspi_app.py"), str(SAMPLE_REGISTER)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=240)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("state", ["tree", "checked"])
def test_every_control_has_a_name_and_a_proper_role(walked, state):
    controls = [o for o in walked[state] if o.get("focusable") and o.get("showing") and o["role"] != "error"]
    assert len(controls) >= 15, controls  # the call screen was walked, not an empty window
    unnamed = [(o["role"], o["extents"]) for o in controls if not o["name"].strip()]
    assert unnamed == []
    wrong_role = [(o["role"], o["name"]) for o in controls if o["role"] not in CONTROL_ROLES]
    assert wrong_role == []
    # a combo box's name is its value: what it asks for is said by the label that labels it
    unlabelled = [o["name"] for o in controls if o["role"] == "combo box" and not o["labelled_by"]]
    assert unlabelled == []
    assert [o for o in walked[state] if o["role"] == "error"] == []
    if state == "checked":  # the result's tables and the scam report were walked too
        names = {o["name"] for o in controls}
        assert {"Stolen files", "Number or address the scammer used", "What the scammer asked for"} <= names, names
        assert [o for o in controls if o["role"] == "combo box" and "How" in o["labelled_by"]]


def test_tab_follows_the_visual_order(walked):
    stops = walked["focus"]
    assert len(stops) >= 18, [s["name"] for s in stops]  # checked, with the scam report open
    assert [(s["role"], s["name"]) for s in stops if s["panel"] not in PANELS] == []  # no stop outside the panels
    assert [(s["role"], s["name"]) for s in stops if s["role"] not in FOCUS_CONTROL_ROLES or not s["name"]] == []
    panels = [PANELS.index(s["panel"]) for s in stops]
    assert panels == sorted(panels), [s["panel"] for s in stops]  # caller, result, guidance, then the wrap-up
    for before, after in zip(stops, stops[1:]):
        if before["panel"] != after["panel"]:
            continue
        bx, by, bw, _ = before["extents"]
        ax, ay, _, _ = after["extents"]
        same_row_on_the_right = abs(ay - by) <= ROW and ax > bx
        below = ay > by + ROW
        next_column = ax >= bx + bw - ROW  # a column to the right starts again at its top
        assert same_row_on_the_right or below or next_column, (before["name"], after["name"])


def test_the_verdict_is_announced(walked):
    announced = [e for e in walked["verdict_events"] if e["type"] == "object:announcement"]
    assert announced and "You may say" in announced[0]["detail"], walked["verdict_events"]
    # and whoever reaches the banner later hears what may be said, not a caption
    banners = [o for o in walked["tree"] if "You may say" in o["name"]]
    shown = [e["source"] for e in walked["verdict_events"] if "You may say" in e["source"]["name"]]
    assert banners or shown, walked["verdict_events"]
