"""Walks the console's window through AT-SPI, as a screen reader sees it (tests/ui/test_screen_reader.py).

Run with the system's python (which has gi and pyatspi, Debian's python3-pyatspi) inside a session bus
and an X display (dbus-run-session under xvfb-run):

    atspi_walker.py APP_COMMAND...

It starts the app (tests/support/atspi_app.py under the venv's python), waits for it on the AT-SPI
registry, then prints one JSON object:
  tree:    every showing object of the app's window: role, name, states, extents, labels, its panel;
  verdict_events: the events seen after "check" whose source or text carry the verdict;
  checked: the tree again once checked and flagged as an extortion contact (tables, scam report shown);
  focus:   from the first field, the objects AT-SPI reported focused as Tab was pressed, in order,
           until the focus comes back to the first.
Every wait is for an event or for the tree, with a deadline; nothing sleeps for time.
"""

import json
import subprocess
import sys
import time

import pyatspi
from gi.repository import GLib

DEADLINE_S = 60
EVENTS: list[tuple[str, dict, str]] = []  # (type, source described, detail) of every event heard
PANELS = ("Caller", "Result", "Guidance, in order", "Wrap-up")


def pump(condition, what: str, deadline_s: float = DEADLINE_S):
    """Turn the main loop (AT-SPI events arrive on it) until condition() holds, or fail after the deadline."""
    context = GLib.MainContext.default()
    wake = GLib.timeout_add(50, lambda: True)  # the loop never blocks longer than this between looks
    end = time.monotonic() + deadline_s
    try:
        while not condition():
            if time.monotonic() > end:
                raise SystemExit(f"AT-SPI walker: no {what} within {deadline_s} s; the last events:\n"
                                 + "\n".join(f"{k} {s.get('role')} {s.get('name')!r} labelled by {s.get('labelled_by')}"
                                              for k, s, _ in EVENTS[-15:]))
            context.iteration(True)
    finally:
        GLib.source_remove(wake)


def find_app(pid: int):
    found = []

    def look():
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            try:
                if app is not None and app.get_process_id() == pid and app.childCount:
                    found.append(app)
                    return True
            except Exception:
                continue
        return False

    pump(look, "application with a window on the AT-SPI registry")
    return found[0]


def extents(obj):
    try:
        box = obj.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except NotImplementedError:  # an object with no place on screen (a table's header list, say)
        return None
    return [box.x, box.y, box.width, box.height]


def panel_of(obj):
    node = obj.parent
    while node is not None:
        if node.name in PANELS and node.getRoleName() in ("panel", "grouping", "frame", "filler"):
            return node.name
        node = node.parent
    return None


def labels_of(obj) -> list[str]:
    """The names of the labels that label obj (AT-SPI's labelled-by relation: a QLabel's buddy)."""
    names = []
    for relation in obj.getRelationSet():
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
            names += [relation.getTarget(i).name for i in range(relation.getNTargets())]
    return names


def describe(obj) -> dict:
    states = obj.getState()
    return {"role": obj.getRoleName(), "name": obj.name or "", "description": obj.description or "",
            "labelled_by": labels_of(obj),
            "focusable": states.contains(pyatspi.STATE_FOCUSABLE),
            "showing": states.contains(pyatspi.STATE_SHOWING),
            "focused": states.contains(pyatspi.STATE_FOCUSED),
            "enabled": states.contains(pyatspi.STATE_ENABLED),
            "extents": extents(obj), "panel": panel_of(obj)}


def walk(obj, out: list, depth=0):
    if depth > 40:
        return
    try:
        if not obj.getState().contains(pyatspi.STATE_SHOWING) and depth > 1:
            return
        out.append(describe(obj))
        for i in range(obj.childCount):
            child = obj.getChildAtIndex(i)
            if child is not None:
                walk(child, out, depth + 1)
    except Exception as exc:  # an object gone while walking: said, not hidden
        out.append({"role": "error", "name": f"{type(exc).__name__}: {exc}"})


def main(command: list[str]) -> int:
    app_process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if app_process.stdout.readline().strip() != "ready":
        raise SystemExit("AT-SPI walker: the app did not start")
    app = find_app(app_process.pid)
    window = app.getChildAtIndex(0)
    tree: list[dict] = []
    pump(lambda: window.childCount > 0, "window contents")
    walk(window, tree)

    events = EVENTS

    def on_event(event):
        if event.type.startswith("object:state-changed:focused") and not event.detail1:
            return  # the object losing the focus: its event may arrive after the gaining one's
        try:
            focused = event.source
            if event.type.startswith("object:state-changed:focused") and focused.getRoleName() in ("table cell",
                                                                                                  "list item"):
                focused = focused.parent  # the cell current in a table Tab entered: the stop is the table
            source = describe(focused)
        except Exception:
            source = {"name": "", "role": "gone"}
        detail = event.any_data if isinstance(event.any_data, str) else ""
        events.append((event.type, source, detail))

    for kind in ("object:state-changed:focused", "object:announcement", "object:text-changed",
                 "object:property-change:accessible-name", "object:state-changed:showing"):
        pyatspi.Registry.registerEventListener(on_event, kind)

    def ask(line: str):
        app_process.stdin.write(line + "\n")
        app_process.stdin.flush()
        if app_process.stdout.readline().strip() != f"done {line}":
            raise SystemExit(f"AT-SPI walker: the app did not do {line!r}")

    def same(a, b):
        return a["name"] == b["name"] and a["extents"] == b["extents"]

    def verdict_seen():
        return [(k, s, d) for k, s, d in events
                if "You may say" in d or "You may say" in s.get("name", "")]

    before = len(events)
    ask("check")
    try:
        pump(lambda: verdict_seen(), "verdict event after the check")
    except SystemExit as missing:  # said, and the trees and the focus still reported
        seen = [f"{k} {s.get('role')} {s.get('name')!r}" for k, s, d in events[before:]]
        print(f"{missing}; events after the check:\n" + "\n".join(seen[-40:]), file=sys.stderr)
    verdict_events = [{"type": k, "source": s, "detail": d} for k, s, d in verdict_seen()]

    # checked, with the extortion flag's scam report open: the result's tables and the report's fields show
    ask("extortion")
    # (on Linux, Qt names a combo box by its value; what it asks for is its label, "How")
    pump(lambda: any("How" in s.get("labelled_by", []) for k, s, _ in events
                     if k == "object:state-changed:focused"), "focus on the scam report after the flag")
    checked: list[dict] = []
    walk(window, checked)

    ask("first")  # the focus on the first field; Tab from there round to it again
    pump(lambda: any("Caller type" in s.get("labelled_by", []) for k, s, _ in events
                     if k == "object:state-changed:focused"), "focus on the first field")
    start = [s for k, s, _ in events
             if k == "object:state-changed:focused" and "Caller type" in s.get("labelled_by", [])][-1]
    focus = [start]
    for _ in range(80):  # Tab until the focus comes back to the first stop
        before = len(events)
        ask("tab")

        def moved():  # focus events arrive on their own time: the one this Tab caused is a new object
            return [s for k, s, _ in events[before:] if k == "object:state-changed:focused"
                    and s["role"] != "gone" and not same(s, focus[-1])]

        pump(lambda: moved(), "focus event after Tab")
        stop = moved()[-1]
        # back at the first field: known by its name, role and label, not its place, which a panel that
        # scrolled to show a lower field (the scam report's) may have moved
        if [stop[k] for k in ("name", "role")] == [focus[0][k] for k in ("name", "role")] and \
                "Caller type" in stop.get("labelled_by", []):
            break
        focus.append(stop)

    ask_quit = app_process.stdin
    ask_quit.write("quit\n")
    ask_quit.flush()
    app_process.wait(timeout=DEADLINE_S)
    print(json.dumps({"tree": tree, "checked": checked, "focus": focus, "verdict_events": verdict_events}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
