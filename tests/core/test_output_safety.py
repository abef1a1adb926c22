"""Output safety (console/core/output_safety.py): no control character reaches
a terminal raw, no cell reads as a formula, personal data files are 0600."""

import json
import os
import stat

import pytest

from console.core.output_safety import open_private, printable, printable_json, printable_text, spreadsheet_cell

ESCAPES = ["\x1b]0;pwned\x07", "\x1b[2J", "\x9b31m", "a\rb", "\u202egnp.exe", "x\x00y", "\x7f", "\u2028", "\x08\x08"]


@pytest.mark.parametrize("value", ESCAPES)
def test_no_control_character_is_printed_raw(value):
    shown = printable(value)
    assert shown.isprintable(), shown
    # the operator still sees what was there
    assert "\\x" in shown or "\\u" in shown


def test_printable_escapes_a_values_own_newline_but_text_keeps_its_lines():
    assert printable("Smith\nInjected: line") == "Smith\\x0aInjected: line"
    assert printable_text("one \x1b[31m\ntwo") == "one \\x1b[31m\ntwo"
    assert printable("Ngāti-Rēhia, Hine") == "Ngāti-Rēhia, Hine"


def test_printable_json_is_the_same_json_with_nothing_raw():
    obj = {"name": "a\x1b[2J\u202eb\x9bc", "n": [1, 2]}
    text = printable_json(json.dumps(obj, ensure_ascii=False, indent=2))
    assert json.loads(text) == obj
    assert all(line.isprintable() for line in text.split("\n"))


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", " =1", "  +cmd", "\n=1", "\r\n@x", "\t=1",
                                  "\u3000=1", "\u00a0-1", "\uff1dHYPERLINK()", "\uff0b1", "\uff0d1", "\uff20x",
                                  "\x00=1", "\tplain", "\rplain"])
def test_formula_like_cells_are_escaped(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value, cell", [("plain note", "plain note"), ("a-b", "a-b"), ("", ""), (None, ""),
                                         (-3, "-3"), (2.5, "2.5"), ("Ngāti-Rēhia", "Ngāti-Rēhia")])
def test_ordinary_cells_are_left_alone(value, cell):
    assert spreadsheet_cell(value) == cell


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_private_files_are_created_owner_only_and_an_existing_one_is_made_so(tmp_path):
    os.umask(0o022)
    new = tmp_path / "new.csv"
    with open_private(new) as f:
        assert stat.S_IMODE(os.fstat(f.fileno()).st_mode) == 0o600
        f.write("x")
    assert stat.S_IMODE(new.stat().st_mode) == 0o600 and new.read_text() == "x"
    old = tmp_path / "old.csv"
    old.write_text("old personal data")
    old.chmod(0o644)
    with open_private(old) as f:
        f.write("new")
    assert stat.S_IMODE(old.stat().st_mode) == 0o600 and old.read_text() == "new"
