"""The real window opened on a register, for scripts and tests that drive it outside the window fixture
(the keystroke benchmark and test, the AT-SPI test's app)."""

import tempfile
from pathlib import Path


def in_memory_keystore():
    """The cache's key in memory, as the in-process tests keep it: for throwaway caches only."""
    import keyring

    from console.store.keystore import allow_test_backend
    from tests.conftest import MemoryKeyring

    allow_test_backend(MemoryKeyring)
    keyring.set_keyring(MemoryKeyring())


def window_on(register, operator: str, folder: Path | None = None, size=(1400, 900)):
    """A throwaway cache holding the register, and the main window on it, shown."""
    from console.store.cache import Cache
    from console.ui.app import build_window

    db = Path(folder or tempfile.mkdtemp(prefix="helpline-window-")) / "cache.db"
    cache = Cache.open(db, operator="setup")
    cache.import_register(register)
    cache.close()
    window = build_window(db, operator=operator)
    window.resize(*size)
    window.show()
    window.activateWindow()
    return window
