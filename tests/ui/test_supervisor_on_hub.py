"""The dashboard in the real window, fed by a real hub over real sync: a
supervisor's window shows every workstation's calls, labelled as the hub's."""

import random
from datetime import datetime, timedelta, timezone

from console.core.timeutil import HELPLINE_ZONE
from console.ui.app import build_window
from tests.support.hub import PASSWORD
from tests.support.workstation import Workstation
from tests.sync.test_sync_hub import call_record


def test_a_supervisors_dashboard_shows_the_hubs_figures(qtbot, tmp_path, running_hub):
    # another workstation's operator logs calls and syncs them
    other = Workstation(tmp_path / "other.db", "op-1", running_hub.url)
    other.sync()
    rng = random.Random(9)
    now = datetime.now(timezone.utc)
    # all twelve today on the helpline's clock, whatever the hour (minutes apart, or closer just after midnight)
    local = now.astimezone(HELPLINE_ZONE)
    step = min(timedelta(minutes=1), (local - local.replace(hour=0, minute=0, second=0, microsecond=0)) / 13)
    records = []
    for n in range(12):
        record = call_record("op-1", rng)
        start = now - (n + 1) * step
        record.update(started_at=start.isoformat(), ended_at=(start + step / 2).isoformat())
        records.append(record)
    other.cache.log_calls(records)
    other.sync()
    other.close()

    # the supervisor's own workstation, set up from the hub
    window = build_window(tmp_path / "sup.db", operator="nobody-yet")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: getattr(window, "setup_assistant", None) is not None, timeout=10_000)
    assistant = window.setup_assistant
    assistant.next_button.click()
    assistant.hub_url.setText(running_hub.url)
    assistant.hub_operator.setText("sup-1")
    assistant.hub_password.setText(PASSWORD)
    assistant.connect_button.click()
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    qtbot.waitUntil(lambda: "online" in window.connection_label.text(), timeout=30_000)
    try:
        window.dashboard_action.trigger()
        view = window.supervisor
        qtbot.waitUntil(lambda: view.figures is not None and view.figures.get("source") == "hub", timeout=20_000)
        assert view.figures["calls"] == len(records)  # none of them was taken on this workstation
        assert view.source_label.text().startswith("Hub")
        assert view.tile_values["calls"].text() == f"{len(records):,}"
        # the hub goes away: the view says it shows this workstation's figures instead
        running_hub.kill()
        view.refresh()
        qtbot.waitUntil(lambda: view.figures.get("source") != "hub", timeout=20_000)
        assert "Local cache" in view.source_label.text()
    finally:
        window.close()  # stops the sync loop and the dashboard's refreshes
        qtbot.waitUntil(lambda: not window.supervisor.refreshing, timeout=20_000)
        window.worker.shutdown()
