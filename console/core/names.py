"""Name keys and the policy's "near" comparison.

A key is the name in Unicode NFKD with combining marks dropped (macrons go),
casefolded, with every non-letter removed: "Ngāti-Rēhia" → "ngatirehia".
"""

import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

NEAR_MIN_LETTERS = 5


@lru_cache(maxsize=200_000)
def name_key(text: str | None) -> str:
    """The comparison key of a name; names repeat, so keys are cached."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in kept.casefold() if c.isalpha())


def name_tokens(text: str | None) -> list[str]:
    """Keys of the space- or hyphen-separated parts of a name, empty ones dropped."""
    return list(_tokens(text)) if text else []


def words(text: str | None) -> list[str]:
    """Keys of the space-separated words a person typed: "Dong-hyun Jang" →
    donghyun, jang (a hyphenated name stays one word, as the policy keys it)."""
    return [k for k in (name_key(w) for w in (text or "").split()) if k]


@lru_cache(maxsize=200_000)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(k for k in (name_key(p) for p in text.replace("-", " ").split()) if k)


def keys_near(a: str, b: str) -> bool:
    """Equal, or both at least 5 letters and at most one OSA edit apart."""
    if not a or not b:
        return False
    if a == b:
        return True
    if len(a) < NEAR_MIN_LETTERS or len(b) < NEAR_MIN_LETTERS:
        return False
    if abs(len(a) - len(b)) > 1:
        return False
    return OSA.distance(a, b, score_cutoff=1) <= 1


def one_deletions(key: str) -> set[str]:
    """Every string one deletion away from the key: two keys within one OSA
    edit always share a member of {key} ∪ one_deletions(key), which makes
    typo-tolerant lookups an index probe instead of a scan."""
    return {key[:i] + key[i + 1:] for i in range(len(key))}


def given_name_keys(given_names: str | None, preferred_name: str | None) -> set[str]:
    """The keys a caller's given name may be near: the whole given names, each
    space-separated given name, and the preferred name."""
    keys = {name_key(given_names)}
    keys.update(name_key(part) for part in (given_names or "").split())
    keys.add(name_key(preferred_name))
    keys.discard("")
    return keys


def family_matches(caller_family: str | None, registered_family: str | None) -> bool:
    return keys_near(name_key(caller_family), name_key(registered_family))


def given_matches(caller_given: str | None, given_names: str | None, preferred_name: str | None) -> bool:
    caller = name_key(caller_given)
    return any(keys_near(caller, k) for k in given_name_keys(given_names, preferred_name))
