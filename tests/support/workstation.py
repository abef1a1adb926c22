"""A workstation: its cache file, the operator at it and the hub it syncs
with, used in this process (`cache`, `sync`) or through the console's command
line in a child process (`run`, `start`), as automation runs it."""

import os
import subprocess
import sys
from pathlib import Path

from tests.support.hub import PASSWORD, REPO

PASSWORD_ENV = "HELPLINE_CONSOLE_PASSWORD"


def run_console(*args, input_text=None, env=None, timeout=120) -> subprocess.CompletedProcess:
    """`python -m console …` in a child process, as an administrator would run it."""
    return subprocess.run([sys.executable, "-m", "console", *map(str, args)], input=input_text, capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)


class Workstation:
    """One operator at one cache, signing in to the hub at `url` with PASSWORD.
    The cache is opened in this process on first use of `cache`."""

    def __init__(self, path: Path, operator: str, url: str | None = None, *, timeout: float = 10.0,
                 chunk_bytes: int = 16_384):
        self.path, self.operator, self.url = Path(path), operator, url
        self.timeout, self.chunk_bytes = timeout, chunk_bytes
        self._cache = None

    @property
    def cache(self):
        if self._cache is None:
            from console.store.cache import Cache

            self._cache = Cache.open(self.path, operator=self.operator)
        return self._cache

    def sync(self, **options):
        """One sync in this process, as the window's sync loop runs it."""
        from console.sync.engine import sync_cache
        from console.sync.tokens import hub_client

        with hub_client(self.url, self.operator, self.cache.workstation, PASSWORD, timeout=self.timeout) as client:
            return sync_cache(self.cache, client, chunk_bytes=self.chunk_bytes, **options)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    # the command line, in a child process

    def command(self, *args) -> list[str]:
        return [sys.executable, "-m", "console", "--db", str(self.path), "--operator", self.operator,
                *map(str, args)]

    def run(self, *args, timeout=120) -> subprocess.CompletedProcess:
        """A command of the console as this operator (the password from the environment)."""
        return subprocess.run(self.command(*args), capture_output=True, text=True, cwd=REPO, timeout=timeout,
                              env={**os.environ, PASSWORD_ENV: PASSWORD})

    def start(self, *args) -> subprocess.Popen:
        """A command of the console left running, for a test to kill."""
        return subprocess.Popen(self.command(*args), cwd=REPO, env={**os.environ, PASSWORD_ENV: PASSWORD},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
