"""First run: a new workstation is set up in the window, from the hub or
from a register file, and a refusal changes nothing."""

import pytest

from console.store.cache import Cache
from console.ui.app import build_window
from tests.support.hub import PASSWORD


@pytest.fixture
def new_window(qtbot, tmp_path):
    """The window over a cache that has never been set up."""
    db_path = tmp_path / "new.db"
    window = build_window(db_path, operator="nobody-yet")
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: getattr(window, "setup_assistant", None) is not None, timeout=10_000)
    window.db_path_for_test = db_path
    yield window
    if window.sync is not None:
        window.sync.stop()
    window.worker.shutdown()


def test_a_new_workstation_shows_the_assistant_not_the_call_screen(new_window):
    assert new_window.stack.currentWidget() is new_window.setup_assistant
    assert new_window.session is None
    assert not any(action.isEnabled() for action in new_window.call_actions)


def test_standalone_setup_imports_a_register_with_a_first_admin(new_window, qtbot, sample_register):
    assistant = new_window.setup_assistant
    assistant.use_file.setChecked(True)
    assistant.next_button.click()
    assistant.register_path.setText(str(sample_register))
    assistant.admin_id.setText("admin-1")
    assistant.admin_password.setText("a long password")
    assistant.admin_repeat.setText("a different one")
    assistant.import_button.click()
    assert "differ" in assistant.message.text()  # refused before anything is done
    assistant.admin_repeat.setText("a long password")
    assistant.import_button.click()
    qtbot.waitUntil(lambda: new_window.session is not None, timeout=30_000)
    assert new_window.stack.currentWidget() is new_window.call_screen
    assert new_window.operator == "admin-1"
    qtbot.waitUntil(lambda: "sample-2026-01-05.1" in new_window.version_label.text(), timeout=10_000)
    cache = Cache.open(new_window.db_path_for_test)
    try:
        assert cache.register_version == "sample-2026-01-05.1"
        assert cache.sign_in("admin-1", "a long password") == "admin"
        assert cache.hub_url is None
    finally:
        cache.close()


@pytest.fixture
def hub_not_enrolled_on(tmp_path, sample_register):
    """A hub with op-1, the sample register and content, on which this machine is not enrolled."""
    from tests.support.hub import HubProcess, prepare_hub

    location = {"data": str(tmp_path / "hub-data")}
    prepare_hub(location, sample_register, (("op-1", "operator"),), content=True)
    hub = HubProcess(location, tmp_path)
    hub.enrol_on_start = False
    hub.start()
    yield hub
    hub.kill()


def _connect(assistant, url: str, password: str) -> None:
    assistant.hub_url.setText(url)
    assistant.hub_operator.setText("op-1")
    assistant.hub_password.setText(password)
    assistant.connect_button.click()


def test_setup_from_the_hub_signs_in_fetches_and_starts_syncing(new_window, qtbot, running_hub):
    assistant = new_window.setup_assistant
    assistant.next_button.click()  # the hub is the default choice
    _connect(assistant, running_hub.url, "not the password")
    qtbot.waitUntil(lambda: assistant.connect_button.isEnabled(), timeout=30_000)
    assert assistant.message.text() == "Sign-in failed: the operator id or password is wrong."
    assert new_window.session is None
    assistant.hub_password.setText(PASSWORD)
    assistant.connect_button.click()
    qtbot.waitUntil(lambda: new_window.session is not None, timeout=30_000)
    assert new_window.operator == "op-1"
    qtbot.waitUntil(lambda: "sample-2026-01-05.1" in new_window.version_label.text(), timeout=10_000)
    qtbot.waitUntil(lambda: "online" in new_window.connection_label.text(), timeout=30_000)
    # the guidance in use is the hub's published version
    qtbot.waitUntil(lambda: getattr(new_window, "content_version", None) is not None, timeout=10_000)
    assert set(new_window.call_screen.scripts) >= {"opening", "closing"}
    # the hub goes away: the status bar says so and the console carries on
    running_hub.kill()
    new_window.sync_action.trigger()
    qtbot.waitUntil(lambda: "offline" in new_window.connection_label.text(), timeout=30_000)
    assert new_window.call_screen.isEnabled()
    running_hub.start()
    new_window.sync_action.trigger()
    qtbot.waitUntil(lambda: "online" in new_window.connection_label.text(), timeout=30_000)


def test_a_machine_not_enrolled_is_told_so_and_enrols_with_the_code(new_window, qtbot, hub_not_enrolled_on):
    import re

    hub = hub_not_enrolled_on
    assistant = new_window.setup_assistant
    assistant.next_button.click()
    _connect(assistant, hub.url, PASSWORD)
    qtbot.waitUntil(lambda: assistant.connect_button.isEnabled(), timeout=30_000)
    assert "not enrolled" in assistant.message.text()
    code = re.search(r"the code ([A-Z0-9-]+) ", hub.cli("workstations", "enrol", "front-desk").stdout).group(1)
    assistant.hub_code.setText(code)
    assistant.connect_button.click()
    qtbot.waitUntil(lambda: new_window.session is not None, timeout=30_000)
    assert "front-desk: enrolled" in hub.cli("workstations", "list").stdout


def test_an_unreachable_hub_is_said_plainly(new_window, qtbot):
    assistant = new_window.setup_assistant
    assistant.next_button.click()
    _connect(assistant, "http://127.0.0.1:9", PASSWORD)  # nothing listens there
    qtbot.waitUntil(lambda: assistant.connect_button.isEnabled(), timeout=30_000)
    assert "cannot be reached" in assistant.message.text()
    assert new_window.stack.currentWidget() is assistant
