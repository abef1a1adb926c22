"""Every option of the command line that takes a time or a day goes through
the one parser: a bad or out-of-range value is a sentence naming the option
and exit status 2, never a traceback, and nothing is opened or changed."""

import json

import pytest

from console.cli import EXIT_REFUSED, main

TIME_OPTIONS = [
    (("check-caller", "--family-name", "Tupou"), "--at"),
    (("audit", "list"), "--since"),
    (("audit", "list"), "--until"),
    (("stats",), "--since"),
    (("stats",), "--until"),
    (("export-calls",), "--since"),
    (("export-calls",), "--until"),
    (("callbacks", "book", "--family-name", "Tupou", "--given-name", "Sione"), "--due"),
    (("hub", "stats"), "--since"),
    (("hub", "stats"), "--until"),
]
BAD_TIMES = [
    ("0001-01-01T00:00:00+14:00", "is outside the calendar"),
    ("9999-12-31T23:59:59-14:00", "is outside the calendar"),
    ("2026-01-06T09:00:00", "has no UTC offset"),
    ("yesterday", "is not an ISO 8601 time"),
]
DAY_OPTIONS = [
    (("search",), "--dob"),
    (("check-caller", "--family-name", "Tupou"), "--dob"),
    (("callbacks", "book", "--family-name", "Tupou"), "--dob"),
]
BAD_DAYS = ["1975-02-30", "12/4/1975", "0000-01-01", "99999-01-01"]


def run(tmp_path, capsys, command, option, value):
    where = ["--data", str(tmp_path / "hub")] if command[0] == "hub" else ["--db", str(tmp_path / "c.db")]
    code = main(["--json", *command, *where, option, value])
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), json.loads(captured.out)


@pytest.mark.parametrize("value, problem", BAD_TIMES)
@pytest.mark.parametrize("command, option", TIME_OPTIONS, ids=lambda p: " ".join(p) if isinstance(p, tuple) else p)
def test_a_bad_time_is_refused_with_a_sentence(tmp_path, capsys, command, option, value, problem):
    code, err, out = run(tmp_path, capsys, command, option, value)
    assert code == EXIT_REFUSED
    assert len(err) == 1 and err[0].startswith(f"{option} {value!r} {problem}") and err[0].endswith(".")
    assert out == {"errors": err}
    assert not (tmp_path / "c.db").exists() and not (tmp_path / "hub").exists()


@pytest.mark.parametrize("value", BAD_DAYS)
@pytest.mark.parametrize("command, option", DAY_OPTIONS, ids=lambda p: " ".join(p) if isinstance(p, tuple) else p)
def test_a_bad_day_is_refused_with_a_sentence(tmp_path, capsys, command, option, value):
    code, err, out = run(tmp_path, capsys, command, option, value)
    assert code == EXIT_REFUSED
    assert err == [f"{option} {value!r} is not a date written YYYY-MM-DD."] and out == {"errors": err}
    assert not (tmp_path / "c.db").exists()
