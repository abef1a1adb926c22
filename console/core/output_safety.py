"""What the console writes out for people and programs to read, made safe:
text for a terminal with no control character in it, spreadsheet cells that
are never taken for formulas, and files holding personal data created
readable by their owner only.

Register values come from outside (a breach investigation's files) and call
notes from callers: either can hold an escape sequence that rewrites a
terminal, or a cell a spreadsheet would run. Every printer of such values
(console/cli) and every CSV writer (exports, rejects) goes through here.
"""

import os
import re

# C0 controls (tab and newline included), DEL, C1 controls, and the invisible
# characters that reorder or break what a terminal shows: bidirectional marks,
# embeddings, overrides and isolates, and the line and paragraph separators
_INVISIBLE = "\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff"
_UNSAFE = "\x00-\x1f" + _INVISIBLE
_UNSAFE_VALUE = re.compile(f"[{_UNSAFE}]")
_UNSAFE_IN_TEXT = re.compile(f"[\\x00-\\x09\\x0b-\\x1f{_INVISIBLE}]")  # all of them but the newline


def _shown(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value) -> str:
    """One value (a name, a reason, a version) as it may appear on a line of
    a terminal: every control or invisible formatting character written as
    a visible escape (ESC as \\x1b, a newline as \\x0a, U+202E as \\u202e)."""
    return _UNSAFE_VALUE.sub(_shown, str(value))


def printable_text(text: str) -> str:
    """Lines of output as printable() makes each value, keeping the newlines
    that separate them (a value's own newline should already be escaped)."""
    return _UNSAFE_IN_TEXT.sub(_shown, text)


def printable_json(text: str) -> str:
    """JSON text (from json.dumps with ensure_ascii=False) with every
    control or invisible formatting character inside its strings written as
    a \\uXXXX escape: the same JSON value, safe on a terminal. Raw newlines
    in JSON text are only its indentation, and are kept."""
    return _UNSAFE_IN_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# A cell whose text starts with one of these, after any leading blanks or
# controls, is taken for a formula by spreadsheets (CSV injection), the
# fullwidth forms included (some spreadsheets fold them to their ASCII forms)
FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20"
_FORMULA = re.compile(rf"^[\s{_UNSAFE}]*[{re.escape(FORMULA_START)}]|^[\t\r\n]")


def spreadsheet_cell(value) -> str:
    """A CSV cell's text that a spreadsheet shows as text: one that could be
    read as a formula gets a leading apostrophe (which spreadsheets hide).
    Numbers are written as they are; None is the empty cell."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def open_private(path, encoding: str = "utf-8", newline: str = ""):
    """A text file at `path` for writing, readable and writable by its owner
    only from the moment it exists (0600): for exports and rejects, which hold
    personal data. An existing file is emptied and made owner-only before
    anything is written to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # the mode of os.open applies to a new file only
        return os.fdopen(fd, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        raise
