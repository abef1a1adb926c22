from hypothesis import given
from hypothesis import strategies as st

from console.core.names import family_matches, given_matches, keys_near, name_key, one_deletions


def test_policy_examples():
    assert name_key("Ngāta") == "ngata"
    assert name_key("Smith-Jones") == name_key("smith jones") == name_key("SMITHJONES")
    assert name_key("O'Brien") == name_key("OBrien")
    assert name_key("van der Merwe") == "vandermerwe"
    assert name_key("Ātaahua") == "ataahua"
    assert name_key("Pōtae") == "potae"
    assert name_key("Tūhoe-Rāwiri") == "tuhoerawiri"


def test_near_needs_five_letters_on_both_sides():
    assert keys_near("smith", "smyth")
    assert keys_near("smith", "smiht")  # adjacent transposition is one OSA edit
    assert keys_near("smith", "smithe")
    assert not keys_near("jane", "jana")
    assert keys_near("jane", "jane")
    assert not keys_near("smith", "smyht")
    assert not keys_near("", "")


def test_family_and_given_rules():
    assert family_matches("ngati rehia", "Ngāti-Rēhia")
    assert family_matches("Ngati-Rehai", "Ngāti-Rēhia")
    assert given_matches("Mārama", "Hine Mārama", None)
    assert given_matches("hine marama", "Hine Mārama", None)
    assert given_matches("Paddy", "Patrick James", "Paddy")
    assert given_matches("Patrik", "Patrick James", None)
    assert not given_matches("Pat", "Patrick James", None)


names = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Zs", "Pd", "Po", "Mn")), max_size=30)


@given(names)
def test_key_is_idempotent_and_letters_only(text):
    key = name_key(text)
    assert name_key(key) == key
    assert all(c.isalpha() for c in key)


MACRONS = {"a": "ā", "e": "ē", "i": "ī", "o": "ō", "u": "ū"}


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20), st.data())
def test_key_ignores_case_macrons_and_punctuation(plain, data):
    decorated = ""
    for ch in plain:
        ch = MACRONS.get(ch, ch) if data.draw(st.booleans()) else ch
        ch = ch.upper() if data.draw(st.booleans()) else ch
        decorated += ch + data.draw(st.sampled_from(["", "", "-", " ", "'", "."]))
    assert name_key(decorated) == plain


@given(st.text(alphabet="abcdefghij", min_size=5, max_size=12), st.data())
def test_one_edit_is_near_and_found_through_shared_deletions(key, data):
    i = data.draw(st.integers(0, len(key) - 1))
    c = data.draw(st.sampled_from("klmnop"))
    edits = [key[:i] + c + key[i + 1:], key[:i] + key[i + 1:], key[:i] + c + key[i:]]
    if i < len(key) - 1:
        edits.append(key[:i] + key[i + 1] + key[i] + key[i + 2:])
    for other in edits:
        if len(other) >= 5:
            assert keys_near(key, other)
            probes = {key} | one_deletions(key)
            indexed = {other} | one_deletions(other)
            assert probes & indexed, "the deletion index would miss this typo"


@given(st.text(alphabet="abcdef", min_size=5, max_size=10), st.text(alphabet="abcdef", min_size=5, max_size=10))
def test_near_is_symmetric(a, b):
    assert keys_near(a, b) == keys_near(b, a)
