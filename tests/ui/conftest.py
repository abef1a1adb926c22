import pytest


@pytest.fixture
def window(qtbot, tmp_path, sample_register):
    """The real main window over a cache holding the sample register."""
    from console.store.cache import Cache
    from console.ui.app import build_window

    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path, operator="setup")
    cache.import_register(sample_register)
    cache.close()
    window = build_window(db_path, operator="op-ui")
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.worker.shutdown()


@pytest.fixture
def screen(window):
    return window.call_screen
