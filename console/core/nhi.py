"""National Health Index numbers, validated as HISO 10046:2023 defines them.

Old format AAANNNC: modulus 11 check digit. New format AAANNAX: modulus 24
check letter (older public code wrongly uses 23).
"""

import re

# Letters I and O are never used, so A=1 … Z=24.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_VALUE = {c: i + 1 for i, c in enumerate(ALPHABET)} | {str(d): d for d in range(10)}
_OLD = re.compile(r"[A-HJ-NP-Z]{3}[0-9]{4}")
_NEW = re.compile(r"[A-HJ-NP-Z]{3}[0-9]{2}[A-HJ-NP-Z]{2}")
_WEIGHTS = (7, 6, 5, 4, 3, 2)


def normalise_nhi(text: str | None) -> str:
    """Spaces removed and uppercased, as the policy compares NHIs."""
    return "".join(text.split()).upper() if text else ""


def _weighted_sum(body: str) -> int:
    return sum(_VALUE[c] * w for c, w in zip(body, _WEIGHTS))


def check_character(body: str) -> str | None:
    """The check character for the first six characters, or None when no
    character can make them valid (old format with remainder 0)."""
    body = body.upper()
    if len(body) != 6:
        raise ValueError("an NHI body has six characters")
    total = _weighted_sum(body)
    if body[5].isdigit():
        remainder = total % 11
        if remainder == 0:
            return None
        return str((11 - remainder) % 10)
    return ALPHABET[(24 - total % 24) - 1]


def is_valid_nhi(text: str | None) -> bool:
    """True when the text (spaces and case ignored) is a well-formed NHI with a
    correct check character, in either format."""
    nhi = normalise_nhi(text)
    if not (_OLD.fullmatch(nhi) or _NEW.fullmatch(nhi)):
        return False
    return check_character(nhi[:6]) == nhi[6]


def nhi_problem(text: str | None) -> str | None:
    """A short, register-independent hint about what is wrong, or None."""
    nhi = normalise_nhi(text)
    if not nhi:
        return None
    if len(nhi) != 7:
        return "an NHI has 7 characters"
    if not (_OLD.fullmatch(nhi) or _NEW.fullmatch(nhi)):
        return "an NHI is three letters (not I or O), then 4 digits or 2 digits and 2 letters"
    if check_character(nhi[:6]) != nhi[6]:
        return "the last character of this NHI does not check out; ask the caller to read it again"
    return None
