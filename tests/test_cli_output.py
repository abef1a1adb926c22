"""What the command line prints is safe on a terminal (issue 14): register
values holding escape sequences or invisible controls are shown escaped by
`search` and `import-register`, in text and in JSON, never raw."""

import csv
import json
import shutil

from tests.test_import_limits import seal

NASTY_FAMILY = "Evil\x1b]0;owned\x07\x1b[2J"
NASTY_GIVEN = "Mallory\u202eexe.\x9b31m"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def nasty_register(sample_register, folder):
    shutil.copytree(sample_register, folder)
    for f in folder.iterdir():
        f.chmod(0o644)
    with open(folder / "persons.csv", "a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["S0100", "", NASTY_FAMILY, NASTY_GIVEN, "", "1980-01-01", "", "", "", "Sub\x1b[1m", "", "",
                         "", "", ""])
        writer.writerow(["S0101\x1b[2J", "", "", "Given\x1b[5m", "", "", "", "", "", "", "", "", "", "", ""])
    return seal(folder)


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
