"""NHI validation per HISO 10046:2023.

Vectors: the issue's own (ZZZ0016, ZZZ0024, ZAA0130, ZZZ00AX valid; ZZZ0017
invalid; ZZZ00AC accepted only by the outdated modulus 23), plus the public
test suite of James-Ansley/python-nhi (tests/test_check_nhi.py) and the
examples of its Rust/Deno siblings (ZAC5361 valid; ZZZ0044, ZZZ00AA invalid).
The Rust crate's README also shows ZBN77VL as valid: its check letter is
modulus 23's, so under HISO 10046:2023 it is invalid, like ZZZ00AC.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.core.nhi import ALPHABET, check_character, is_valid_nhi, nhi_problem

VALID_OLD = ["ZZZ0016", "ZZZ0024", "ZAA0130", "JBX3656", "ZAA0067", "ZAA0075", "ZAA0083", "ZAA0091",
             "ZAA0105", "ZAA0113", "ZAA0121", "ZAA0148", "ZAA0156", "ZAC5361"]
VALID_NEW = ["ZZZ00AX", "ZVU27KZ", "ALU18KZ", "AUL78CF", "ARM79XB", "ATD33RD", "ADH48ZJ", "ZBC42DQ",
             "ZGT56KB", "ZHS91BR", "ZHW58CN", "ZLV86AX"]
INVALID = ["ZZZ0017", "ZZZ0044", "DAB8233", "JBX3650", "JBX3651", "JBX3659", "ZZZ00AA", "ZZZ00AY",
           "ZVU27KY", "ZVU27KA", "ZHW58CZ"]


@pytest.mark.parametrize("nhi", VALID_OLD + VALID_NEW)
def test_public_valid_vectors(nhi):
    assert is_valid_nhi(nhi)
    assert is_valid_nhi(nhi.lower())
    assert is_valid_nhi(f" {nhi[:3]} {nhi[3:]} ")


@pytest.mark.parametrize("nhi", INVALID)
def test_public_invalid_vectors(nhi):
    assert not is_valid_nhi(nhi)


def modulus_23_check(body: str) -> str:
    """The outdated rule some older code still uses, for contrast."""
    values = {c: i + 1 for i, c in enumerate(ALPHABET)} | {str(d): d for d in range(10)}
    total = sum(values[c] * w for c, w in zip(body, (7, 6, 5, 4, 3, 2)))
    return ALPHABET[(23 - total % 23) - 1]


@pytest.mark.parametrize("outdated, current", [("ZZZ00AC", "ZZZ00AX"), ("ZBN77VL", "ZBN77VB")])
def test_modulus_23_check_letters_are_refused(outdated, current):
    assert modulus_23_check(outdated[:6]) == outdated[6]
    assert not is_valid_nhi(outdated)
    assert is_valid_nhi(current)


@pytest.mark.parametrize("text", ["ZZI0016", "ZZO0016", "1ZZ0016", "ZZZ016", "ZZZ00166", "ZZZ0A16", "", None, "ZZZ00A1"])
def test_malformed(text):
    assert not is_valid_nhi(text)


def test_no_check_digit_exists_when_the_remainder_is_zero():
    # ZZZ004?: weighted sum ≡ 0 (mod 11), so no digit makes it valid
    assert check_character("ZZZ004") is None
    assert not any(is_valid_nhi(f"ZZZ004{d}") for d in range(10))


def test_hints_never_need_the_register():
    assert nhi_problem("ZZZ0017").startswith("the last character")
    assert nhi_problem("ZZZ") == "an NHI has 7 characters"
    assert nhi_problem("ZZZ0016") is None
    assert nhi_problem("") is None


letters = st.sampled_from(ALPHABET)
digits = st.sampled_from("0123456789")


@given(st.tuples(letters, letters, letters, digits, digits, digits))
def test_old_format_check_digit_round_trip(parts):
    body = "".join(parts)
    check = check_character(body)
    if check is None:
        assert not any(is_valid_nhi(body + d) for d in "0123456789")
    else:
        assert is_valid_nhi(body + check)
        assert sum(is_valid_nhi(body + d) for d in "0123456789") == 1


@given(st.tuples(letters, letters, letters, digits, digits, letters))
def test_new_format_has_exactly_one_check_letter(parts):
    body = "".join(parts)
    assert sum(is_valid_nhi(body + c) for c in ALPHABET) == 1
    assert is_valid_nhi(body + check_character(body))
