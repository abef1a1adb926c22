"""The line on the supervisor's screens: the dashboard's Line tab and the
wallboard, fed by a real hub process that heard the calls from a PBX
(POST /v1/cti/{token}), read through the workstation's signed hub client."""

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from PySide6.QtCore import Qt

from console.core.roles import NotPermitted
from console.core.telephony import day_bounds
from console.core.timeutil import now as helpline_now
from console.core.wallboard import AMBER, OK, RED, WORDS, setting_name, tiles
from tests.support.hub import PASSWORD

# (call, seconds after the first call, what then: answer after s / cancel after s / still waiting, queue)
CALLS = (("c0", 0, "answer", 10, "helpline"), ("c1", 20, "answer", 90, "helpline"),
         ("c2", 40, "cancel", 2, "helpline"), ("c3", 60, "cancel", 40, "helpline"),
         ("c4", 80, "wait", None, "helpline"), ("c5", 100, "answer", 20, "claims"))


def post_calls(hub_url: str, token: str) -> None:
    now = datetime.now(timezone.utc)
    base = max(now - timedelta(minutes=10), day_bounds(helpline_now().date())[0] + timedelta(seconds=1))

    def post(kind, call_id, at, queue, **extra):
        answer = httpx.post(f"{hub_url}/v1/cti/{token}", timeout=10, json={
            "event": kind, "callId": call_id, "from": f"+642155500{call_id[1]}", "to": "0800111222",
            "direction": "in", "queue": queue, "at": at.isoformat(), **extra})
        assert answer.status_code == 200, answer.text

    for call_id, offset, then, after, queue in CALLS:
        at = base + timedelta(seconds=offset)
        post("newCall", call_id, at, queue)
        if then == "answer":
            post("answer", call_id, at + timedelta(seconds=after), queue, user="201")
            post("hangup", call_id, at + timedelta(seconds=after + 120), queue, cause="normalClearing")
        elif then == "cancel":
            post("hangup", call_id, at + timedelta(seconds=after), queue, cause="cancel")


@pytest.fixture
def line_hub(running_hub):
    """The running hub with a PBX that reported CALLS, and a supervisor's signed reader on it."""
    from console.hub.telephony import add_pbx
    from console.sync.tokens import hub_client, hub_reader

    db = running_hub.database()
    try:
        token = add_pbx(db, "pbx-1")
    finally:
        db.close()
    post_calls(running_hub.url, token)
    with hub_client(running_hub.url, "sup-1", "ws-line", PASSWORD, timeout=10):
        pass  # the supervisor's token, in the keystore
    running_hub.read = hub_reader(running_hub.url, "sup-1", "ws-line", timeout=5)
    return running_hub


def without_now(figures: dict) -> dict:
    """The figures less the longest current wait, which grows between two reads."""
    return {**figures, "overall": {k: v for k, v in figures["overall"].items() if k != "longest_wait_seconds"},
            "queues": {name: {k: v for k, v in row.items() if k != "longest_wait_seconds"}
                       for name, row in figures["queues"].items()}}


def open_line_tab(qtbot, window, read):
    window.set_hub_reader(read)
    window.show_supervisor()
    view = window.supervisor
    view.tabs.setCurrentWidget(view.line)
    qtbot.waitUntil(lambda: view.line.figures is not None and not view.line.refreshing, timeout=20_000)
    return view.line


def test_the_line_tab_shows_the_hubs_queue_figures_and_missed_callers(qtbot, window, line_hub):
    tab = open_line_tab(qtbot, window, line_hub.read)
    expected = line_hub.read("/queue", target=60)
    assert without_now(tab.figures) == without_now(expected)
    overall = expected["overall"]
    # offered 6: answered 3 (c0 within 60 s, c1 after 90 s, c5), c2 a short abandon, c3 abandoned, c4 waiting
    assert (overall["offered"], overall["answered"], overall["abandoned"], overall["short_abandoned"],
            overall["waiting_now"]) == (6, 3, 1, 1, 1)
    shown = {key: label.text() for key, label in tab.tile_values.items()}
    assert (shown["offered"], shown["answered"], shown["abandoned"], shown["short_abandoned"],
            shown["waiting_now"]) == ("6", "3", "1", "1", "1")
    assert shown["service_level"] == "40 %"  # 2 answered within 60 s ÷ (6 offered − 1 short abandon)
    assert shown["average_speed_of_answer"] == "40 s"  # (10 + 90 + 20) ÷ 3
    assert tab.formula_labels["service_level"].text() == (
        "answered within 60 s ÷ (offered − short abandons) = 2 ÷ (6 − 1)")
    assert [tab.queue_model.cell(row, "name") for row in tab.queue_model._rows] == ["All queues", "claims", "helpline"]
    assert "1 signed in" in tab.operators.text()
    # the missed callers as the hub gives them, newest first: c3 then c2 (c4 still waits)
    missed = line_hub.read("/missed-callers")
    assert [row["number"] for row in tab.missed_model._rows] == [m["number"] for m in missed["missed_callers"]]
    assert [row["wait"] for row in tab.missed_model._rows] == ["40 s", "2 s"]

    # a supervisor changes the target: stored on the workstation, and the hub's figures read with it
    tab.target_spin.setValue(15)
    with qtbot.waitSignal(tab.settings_saved, timeout=10_000):
        tab.save_button.click()
    qtbot.waitUntil(lambda: tab.figures["target_seconds"] == 15 and not tab.refreshing, timeout=20_000)
    assert without_now(tab.figures) == without_now(line_hub.read("/queue", target=15))
    assert tab.tile_values["service_level"].text() == "20 %"  # only c0 within 15 s
    assert window.worker.call(lambda cache: cache.window_settings()["queue_target_seconds"]).result() == 15
    window.supervisor.close_down()


def test_a_standalone_workstation_says_the_lines_figures_come_from_the_hub(qtbot, window):
    window.show_supervisor()
    tab = window.supervisor.line
    tab.refresh()
    assert "come from the hub" in tab.source.text() and "standalone" in tab.source.text()
    window.show_wallboard()
    qtbot.waitUntil(lambda: window.wallboard is not None, timeout=10_000)
    assert "come from the hub" in window.wallboard.banner.text()
    window.wallboard.close_down()


def test_the_wallboard_shows_the_figures_against_thresholds_then_goes_stale(qtbot, window, line_hub):
    window.set_hub_reader(line_hub.read)
    window.show_wallboard()
    qtbot.waitUntil(lambda: window.wallboard is not None, timeout=10_000)
    board = window.wallboard
    qtbot.waitUntil(lambda: board.figures is not None, timeout=20_000)
    assert board.isFullScreen() and not board.stale and board.banner.isHidden()
    states = {key: tile.tile.state for key, tile in board.tiles.items()}
    assert states == {tile.key: tile.state for tile in tiles(line_hub.read("/queue", target=60))}
    # 1 waiting (under 3); 40 % answered in time; 1 of 5 abandoned; 40 s to answer; 1 signed in, none on a call
    assert (states["waiting_now"], states["service_level"], states["abandoned_rate"],
            states["average_speed_of_answer"], states["operators_available"]) == (OK, RED, RED, AMBER, AMBER)
    for key, tile in board.tiles.items():  # never colour alone: the word is on the tile
        assert WORDS[tile.tile.state] in tile.state.text()
    assert board.tiles["service_level"].value.text() == "40 %"
    assert board.tiles["service_level"].value.font().pixelSize() >= board.height() // 9 - 1

    # thresholds the supervisors set: 40 s to answer is on target under theirs
    board.settings.update({setting_name("average_speed_of_answer", "amber"): 45,
                           setting_name("average_speed_of_answer", "red"): 90})
    with qtbot.waitSignal(board.refreshed, timeout=20_000):
        board.refresh()
    assert board.tiles["average_speed_of_answer"].tile.state == OK

    # the clock moves on past two refresh periods without a good read: stale, greyed
    later = board.last_success + timedelta(seconds=2 * board.period_seconds + 1)
    board.clock = lambda: later
    with qtbot.waitSignal(board.stale_changed, timeout=5_000) as stale:
        board.check_stale()
    assert stale.args == [True] and board.banner.text().startswith("⚠ Figures stale since ")
    assert "#3a3a3a" in board.tiles["service_level"].styleSheet()
    board.clock = lambda: later + timedelta(seconds=1)
    with qtbot.waitSignal(board.stale_changed, timeout=20_000) as fresh:
        board.refresh()
    assert fresh.args == [False] and board.banner.isHidden()

    # the hub dies: the next read fails and the board says so
    line_hub.kill()
    with qtbot.waitSignal(board.stale_changed, timeout=20_000) as stale:
        board.refresh()
    assert stale.args == [True] and "Figures stale since" in board.banner.text()

    qtbot.keyClick(board, Qt.Key_Escape)
    assert not board.isVisible()
    board.close_down()


def test_operators_cannot_open_the_wallboard(qtbot, tmp_path, sample_register):
    from console.store.cache import Cache
    from console.ui.app import build_window
    from console.ui.wallboard import Wallboard

    with pytest.raises(NotPermitted):
        Wallboard(None, None, "operator", {})
    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path)
    cache.import_register(sample_register)
    cache.add_operator("admin-1", "admin", PASSWORD)
    cache.add_operator("op-1", "operator", PASSWORD)
    cache.close()
    window = build_window(db_path)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.gate.title.text().startswith("Sign in"), timeout=10_000)
        window.gate.operator_id.setText("op-1")
        window.gate.password.setText(PASSWORD)
        window.gate.button.click()
        qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
        assert not window.wallboard_action.isEnabled()
        window.show_wallboard()
        assert window.wallboard is None
        assert window.statusBar().currentMessage() == "The wallboard is for supervisors and admins."
    finally:
        window.worker.shutdown()


def test_the_wallboard_command_refuses_without_a_supervisors_sign_in(tmp_path, sample_register, monkeypatch, capsys):
    from console.cli import EXIT_REFUSED, main
    from console.store.cache import Cache

    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path)
    cache.add_operator("admin-1", "admin", PASSWORD)
    cache.add_operator("op-1", "operator", PASSWORD)
    cache.add_operator("sup-1", "supervisor", PASSWORD)
    cache.close()
    monkeypatch.setenv("HELPLINE_CONSOLE_PASSWORD", PASSWORD)
    monkeypatch.delenv("HELPLINE_CONSOLE_OPERATOR", raising=False)
    assert main(["wallboard", "--db", str(db_path)]) == EXIT_REFUSED
    assert "sign in with --operator ID" in capsys.readouterr().err
    assert main(["wallboard", "--db", str(db_path), "--operator", "op-1"]) == EXIT_REFUSED
    assert capsys.readouterr().err.strip() == "The wallboard is for supervisors and admins; op-1 signs in as an operator."
    # a supervisor on a standalone workstation: the figures come from the hub, and there is none
    assert main(["wallboard", "--db", str(db_path), "--operator", "sup-1"]) == EXIT_REFUSED
    assert "come from the hub" in capsys.readouterr().err
