"""Rules the workstation and the hub share through console.core: the one
parser of a typed instant, accounts, the audit chain, deterministic zips and
the transaction that rolls back a failed commit."""

import io
import re
import sqlite3
import zipfile

import pytest

from console.core.accounts import AccountError, check_new_account, password_hasher
from console.core.archive import FIXED_ZIP_TIME, fixed_time_zip
from console.core.audit_chain import GENESIS, entry_hash
from console.core.timeutil import OutsideCalendar, TimeFormatError, parse_instant
from console.core.transactions import transaction


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-05:00"])
def test_an_instant_outside_the_calendar_is_refused_with_a_sentence(text):
    with pytest.raises(OutsideCalendar, match=re.escape(f"--since '{text}' is outside the calendar")):
        parse_instant(text, "--since")
    assert issubclass(OutsideCalendar, TimeFormatError)


def test_an_instant_at_the_calendars_ends_in_utc_is_accepted():
    assert parse_instant("0001-01-01T00:00:00Z").year == 1
    assert parse_instant("9999-12-31T23:59:59+00:00").year == 9999


@pytest.mark.parametrize("operator_id, role, password, words", [
    ("bad id", "operator", "a long password", "not a usable operator id"),
    ("op-1", "janitor", "a long password", "not a role"),
    ("op-1", "operator", "short", "at least 12 characters"),
    ("op-1", "operator", "password1234", "too easy to guess: This is a very common password"),
    ("op-1", "operator", "aaaaaaaaaaaa", "too easy to guess"),
    ("op-1", "operator", "qwertyuiop12", "too easy to guess"),
    ("op-1", "operator", "op-1op-1op-1", "too easy to guess"),
    ("admin-1", "admin", "helpline2026", "too easy to guess"),
])
def test_new_account_rules(operator_id, role, password, words):
    with pytest.raises(AccountError, match=words):
        check_new_account(operator_id, role, password)
    check_new_account("op-1", "operator", "a long password")


def test_the_hasher_verifies_its_own_hashes():
    hasher = password_hasher()
    assert hasher.verify(hasher.hash("a long password"), "a long password")


def test_the_hasher_of_accounts_is_argon2id_at_its_recommended_parameters():
    """The real one (imported before tests/conftest.py makes this process's quick): what accounts get."""
    from argon2 import PasswordHasher, Type, extract_parameters

    parameters = extract_parameters(password_hasher().hash("a long password"))
    default = PasswordHasher()
    assert (parameters.type, parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        Type.ID, default.time_cost, default.memory_cost, default.parallelism)
    assert parameters.memory_cost >= 64 * 1024


def test_an_entry_hash_covers_every_field_and_the_previous_hash():
    fields = [GENESIS, "e-1", "2026-01-06T09:00:00.000000+00:00", "op-1", "ws-1", "search", None, "{}"]
    digest = entry_hash(*fields)
    assert len(digest) == 64 and digest != GENESIS
    for i in range(len(fields)):
        changed = list(fields)
        changed[i] = "x" if fields[i] != "x" else "y"
        assert entry_hash(*changed) != digest


def test_a_fixed_time_zip_depends_only_on_its_files():
    files = {"b.csv": b"b\n", "a.csv": b"a\n" * 1000}
    first = fixed_time_zip(files)
    assert first == fixed_time_zip(dict(files))
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == ["b.csv", "a.csv"]
        assert {info.date_time for info in archive.infolist()} == {FIXED_ZIP_TIME}
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o600}  # zipfile's own
        assert archive.read("a.csv") == files["a.csv"]
    with zipfile.ZipFile(io.BytesIO(fixed_time_zip(files, mode=0o644))) as archive:
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o644}


def _table(conn):
    return [row[0] for row in conn.execute("SELECT x FROM t")]


def test_a_transaction_commits_or_rolls_back_the_block():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    with transaction(conn, lambda: conn.execute("BEGIN IMMEDIATE")):
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ZeroDivisionError), transaction(conn, lambda: conn.execute("BEGIN")):
        conn.execute("INSERT INTO t VALUES (2)")
        1 / 0
    assert not conn.in_transaction
    assert _table(conn) == [1]


class FailingCommit:
    """A DB-API connection whose COMMIT fails (a full disk), leaving its transaction open."""

    def __init__(self):
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        self.conn.execute("CREATE TABLE t (x)")

    def begin(self):
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self):
        raise sqlite3.OperationalError("database or disk is full")

    def rollback(self):
        self.conn.rollback()


def test_a_failed_commit_is_rolled_back_so_the_next_transaction_can_begin():
    failing = FailingCommit()
    with pytest.raises(sqlite3.OperationalError, match="disk is full"), transaction(failing, failing.begin):
        failing.conn.execute("INSERT INTO t VALUES (1)")
    assert not failing.conn.in_transaction
    assert _table(failing.conn) == []
    failing.begin()  # the writer lock is free again
    failing.conn.rollback()


def test_a_begin_that_fails_opens_nothing():
    conn = sqlite3.connect(":memory:", isolation_level=None)

    def refused():
        raise RuntimeError("busy")

    with pytest.raises(RuntimeError, match="busy"), transaction(conn, refused):
        pytest.fail("the block must not run")
