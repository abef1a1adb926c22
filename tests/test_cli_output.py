"""What the command line prints is safe on a terminal (issue 14): register
values holding escape sequences or invisible controls are shown escaped by
`search` and `import-register`, in text and in JSON, never raw."""

import csv
import json

from tests.test_import_limits import register_with_persons

NASTY_FAMILY = "Evil\x1b]0;owned\x07\x1b[2J"
NASTY_GIVEN = "Mallory\u202eexe.\x9b31m"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def nasty_register(sample_register, folder):
    return register_with_persons(sample_register, folder, [
        ["S0100", "", NASTY_FAMILY, NASTY_GIVEN, "", "1980-01-01", "", "", "", "Sub\x1b[1m", "", "", "", "", ""],
        ["S0101\x1b[2J", "", "", "Given\x1b[5m", "", "", "", "", "", "", "", "", "", "", ""]])


def assert_nothing_raw(text):
    for char in RAW:
        assert char not in text, repr(text)


def test_import_register_and_search_print_no_control_character_raw(cli, sample_register, tmp_path):
    folder = nasty_register(sample_register, tmp_path / "nasty")
    db = tmp_path / "c.db"
    refused = cli("--db", db, "import-register", folder)
    assert refused.returncode == 2
    assert_nothing_raw(refused.stdout + refused.stderr)
    assert "persons.csv:11: family_name: family_name is required" in refused.stderr
    imported = cli("--db", db, "import-register", folder, "--skip-invalid")
    assert imported.returncode == 0, imported.stderr
    assert_nothing_raw(imported.stdout + imported.stderr)
    found = cli("--db", db, "search", "--dob", "1980-01-01")
    assert found.returncode == 0, found.stderr
    assert_nothing_raw(found.stdout)
    assert "Evil\\x1b]0;owned\\x07\\x1b[2J, Mallory\\u202eexe.\\x9b31m" in found.stdout
    assert "Sub\\x1b[1m" in found.stdout and len(found.stdout.strip().splitlines()) == 1
    as_json = cli("--db", db, "search", "--dob", "1980-01-01", "--json")
    assert_nothing_raw(as_json.stdout)
    result = json.loads(as_json.stdout)["results"][0]
    assert (result["family_name"], result["given_names"]) == (NASTY_FAMILY, NASTY_GIVEN)


# a canary person: values found nowhere they should not be

CANARY_CODE, CANARY_NHI, CANARY_PHONE, CANARY_STREET = "CNRY-7Q4Z", "ZZZ5506", "027 913 4468", "77 Canary Lane"
REJECTED_CODE, REJECTED_NHI, REJECTED_PHONE, REJECTED_STREET = "RJCT-9K2W", "ZZZ5514", "027 913 5579", "5 Rejected Row"


def canary_register(sample_register, folder):
    return register_with_persons(sample_register, folder, [
        ["S0900", CANARY_NHI, "Canaryfield", "Tweety", "", "1971-07-07", CANARY_PHONE, "tweety@example.org",
         CANARY_STREET, "Kerikeri", "Kerikeri", "0230", "Northland", "NP01", CANARY_CODE],
        # no family name: rejected, with every other value given
        ["S0901", REJECTED_NHI, "", "Rejected", "", "1972-08-08", REJECTED_PHONE, "rejected@example.org",
         REJECTED_STREET, "Kerikeri", "Kerikeri", "0230", "Northland", "NP01", REJECTED_CODE]])


def secret_forms():
    forms = []
    for code, nhi, phone, street in ((CANARY_CODE, CANARY_NHI, CANARY_PHONE, CANARY_STREET),
                                     (REJECTED_CODE, REJECTED_NHI, REJECTED_PHONE, REJECTED_STREET)):
        digits = phone.replace(" ", "")
        forms += [code, code.replace("-", ""), nhi, phone, digits, "+64" + digits[1:], street]
    return forms


def test_a_canary_is_in_no_log_export_rejects_file_or_output(sample_register, tmp_path, capsys, caplog,
                                                             user_folders):
    import logging

    from console.cli import main
    from console.logs import setup_logging

    caplog.set_level(logging.DEBUG)
    setup_logging(logging.DEBUG)
    folder = canary_register(sample_register, tmp_path / "canary")
    db, rejects = tmp_path / "c.db", tmp_path / "rejects.csv"
    at = "2026-01-06T09:00:00+13:00"
    commands = [
        ["import-register", folder],
        ["import-register", folder, "--skip-invalid"],
        ["import-register", folder, "--skip-invalid", "--rejects", rejects],
        ["search", "--name", "Tweety Canaryfield"],
        ["search", "--name", "Tweety Canaryfield", "--json"],
        ["search", "--dob", "1972-08-08"],
        ["check-caller", "--family-name", "Canaryfield", "--given-name", "Tweety", "--dob", "1971-07-07",
         "--code", CANARY_CODE, "--nhi", CANARY_NHI, "--phone", CANARY_PHONE, "--at", at],
        ["check-caller", "--family-name", "Canaryfield", "--given-name", "Tweety", "--dob", "1971-07-07",
         "--code", REJECTED_CODE, "--phone", REJECTED_PHONE, "--at", at, "--json"],
        ["export-calls", "--output", tmp_path / "calls.csv"],
        ["export-calls", "--format", "jsonl"],
        ["stats", "--json"],
        ["audit", "list", "--json"],
    ]
    statuses = [main(["--db", str(db), *map(str, command)]) for command in commands]
    assert statuses == [2] + [0] * (len(commands) - 1)
    logging.getLogger("console").debug("the test's own line: the log file is written")
    printed = capsys.readouterr()
    assert "Verified (possession)" in printed.out and '"outcome": "not_verified"' in printed.out
    assert "persons.csv:11: family_name: family_name is required" in printed.err
    assert [row["line"] for row in csv.DictReader(rejects.open(encoding="utf-8"))] == ["11"]
    assert (tmp_path / "calls.csv").stat().st_size > 0
    logs = list((user_folders / ".local/state").rglob("*.log"))
    assert logs and "the test's own line" in logs[0].read_text()
    texts = {"standard output": printed.out, "standard error": printed.err,
             "log records": "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)}
    for path in tmp_path.rglob("*"):
        if path.is_file() and folder not in path.parents:  # not the register itself
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    found = [(secret, where) for where, text in texts.items() for secret in secret_forms() if secret in text]
    assert found == []
