"""A PostgreSQL server for tests, and a fresh schema per test.

The server is the one HELPLINE_TEST_DATABASE_URL names when it is set;
otherwise a throwaway cluster is made for the session from the machine's
PostgreSQL binaries (`packaging/dev test` installs Debian's `postgresql`
package), run as the `postgres` user when the tests run as root, since
PostgreSQL refuses to run as root. Each test gets a schema of its own, dropped
afterwards, so a database named by HELPLINE_TEST_DATABASE_URL is left as it
was found.

A conftest uses these fixtures by importing them:
`from tests.hub.postgres import postgres_server, postgres_database_url`.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayCluster:
    """A PostgreSQL cluster in a temp folder, listening on 127.0.0.1 only."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="helpline-hub-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *command: str) -> None:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> str:
        initdb = ("initdb", "-D", str(self.data), "--username=postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
        try:
            # a language's collation (ICU's en-US), as most servers have: the hub's ordering
            # of times must not depend on the database's collation
            self._run(*initdb, "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US")
        except RuntimeError:  # PostgreSQL before 15, or built without ICU
            shutil.rmtree(self.data, ignore_errors=True)
            self._run(*initdb, "--locale=C")
        self._serve()
        url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE helpline_hub_test")
        return f"postgresql://postgres@127.0.0.1:{self.port}/helpline_hub_test"

    def _serve(self) -> None:
        """The postmaster as a child of the tests, in their session: `pg_ctl start` would put it in a
        session of its own, which Linux schedules as a group of its own (autogroup), and a group that is
        mostly idle waits seconds for a CPU that another session keeps busy (e.g. `stress-ng --cpu 2`)."""
        argv = [str(self.bindir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port),
                "-k", str(self.folder), "-F", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        self.server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                       errors="replace", cwd=self.folder, process_group=0)
        ready, started = threading.Event(), threading.Event()
        lines: list[str] = []

        def read() -> None:
            with open(self.folder / "server.log", "w", encoding="utf-8") as log:
                for line in self.server.stderr:
                    log.write(line)
                    log.flush()
                    lines.append(line)
                    if "ready to accept connections" in line:
                        started.set()
                        ready.set()
            ready.set()  # it stopped

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(120) or not started.is_set():
            raise RuntimeError("PostgreSQL did not start:\n" + "".join(lines[-30:]))

    def stop(self) -> None:
        try:
            if self.data.exists() and (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            if getattr(self, "server", None) is not None:
                self.server.wait(timeout=60)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    url = os.environ.get("HELPLINE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not initdbs:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): install Debian's "
                    "postgresql package (packaging/dev test does) or set HELPLINE_TEST_DATABASE_URL.")
    cluster = ThrowawayCluster(Path(initdbs[-1]).parent)
    try:
        url = cluster.start()
    except Exception:
        cluster.stop()
        raise
    try:
        yield url
    finally:
        cluster.stop()


def _with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    option = f"options={quote(f'-csearch_path={schema}')}"
    return urlunsplit(parts._replace(query=f"{parts.query}&{option}" if parts.query else option))


@pytest.fixture
def postgres_database_url(postgres_server):
    """A database URL whose tables all land in a fresh schema of this test's own."""
    import psycopg

    schema = f"hub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield _with_search_path(postgres_server, schema)
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
