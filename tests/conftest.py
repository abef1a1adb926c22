"""Test configuration: headless Qt, user folders in a temp dir, an in-memory keyring."""

import os
import sys
from pathlib import Path

# Set before anything can load Qt: there is no display in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_REGISTER = REPO.parent / "shared" / "samples" / "register-sample"
if not SAMPLE_REGISTER.exists():  # a checkout without shared/ beside it: the copy kept in tests
    SAMPLE_REGISTER = REPO / "tests" / "data" / "register-sample"


@pytest.fixture(autouse=True)
def user_folders(tmp_path, monkeypatch):
    """Point every per-user folder at a temp dir so no test touches a real profile."""
    home = tmp_path / "home"
    for var, sub in (("HOME", ""), ("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(folder))
    monkeypatch.delenv("HELPLINE_CONSOLE_OPERATOR", raising=False)
    return home


@pytest.fixture
def sample_register() -> Path:
    return SAMPLE_REGISTER


@pytest.fixture
def cache(tmp_path):
    from console.store.cache import Cache

    c = Cache.open(tmp_path / "cache.db", operator="op-test")
    yield c
    c.close()


@pytest.fixture
def sample_cache(cache, sample_register):
    cache.import_register(sample_register)
    return cache


def run_cli(*args, input_text=None, env=None):
    """Run the command line in a child process, as an administrator would."""
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "console", *map(str, args)],
        input=input_text, capture_output=True, text=True, cwd=REPO,
        env={**os.environ, **(env or {})}, timeout=120,
    )


@pytest.fixture
def cli():
    return run_cli
