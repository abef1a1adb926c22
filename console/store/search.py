"""Finding a record in the register (the `search` command and the supervisor's
lookup). Search finds; it never discloses: results carry no affected status.

NHI, phone and email are exact indexed lookups. Names are compared by key
(case, macrons and punctuation ignored) and tolerate one typo through the
deletion index. Ranking: a date-of-birth match above none, then exact name
keys above near ones.
"""

from dataclasses import dataclass
from itertools import combinations

from console.core.contact import email_key
from console.core.names import given_name_keys, keys_near, name_key, name_tokens
from console.core.nhi import normalise_nhi
from console.store import persons as registry

BROAD_CAP = 5_000  # candidates read for a name that narrows nothing (a common family name alone)


@dataclass(frozen=True)
class SearchQuery:
    name: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    dob: str | None = None
    nhi: str | None = None
    phone: str | None = None
    email: str | None = None
    limit: int = 20

    def fields_used(self) -> list[str]:
        return [f for f in ("name", "family_name", "given_name", "dob", "nhi", "phone", "email") if getattr(self, f)]

    @property
    def has_name(self) -> bool:
        return bool(self.name or self.family_name or self.given_name)


def _part_score(caller_key: str, registered_keys) -> int:
    """2 for an exact key, 1 for a near one, 0 for none."""
    if caller_key in registered_keys:
        return 2
    return 1 if any(keys_near(caller_key, k) for k in registered_keys) else 0


def _spans(tokens: list[str]):
    """Every contiguous run of tokens that could be the family name, with the rest."""
    for i, j in combinations(range(len(tokens) + 1), 2):
        yield "".join(tokens[i:j]), tokens[:i] + tokens[j:]


def name_fraction(query: SearchQuery, row: dict) -> float | None:
    """How well the row's names fit the query, 0–1; None when they do not."""
    family_keys = {row["family_key"], *name_tokens(row["family_name"])}
    given_keys = given_name_keys(row["given_names"], row["preferred_name"])
    if query.family_name or query.given_name:
        points, most = 0, 0
        for text, keys in ((query.family_name, family_keys), (query.given_name, given_keys)):
            if text:
                score = _part_score(name_key(text), keys)
                if not score:
                    return None
                points, most = points + score, most + 2
        return points / most
    tokens = name_tokens(query.name)
    if not tokens:
        return None
    best = None
    for span_key, rest in _spans(tokens):
        family = 2 if span_key == row["family_key"] else _part_score(span_key, family_keys)
        if not family:
            continue
        scores = [_part_score(t, given_keys) for t in rest]
        if all(scores):
            fraction = (family + sum(scores)) / (2 * (1 + len(rest)))
            best = max(best or 0, fraction)
    if best is None and len(tokens) == 1:
        given = _part_score(tokens[0], given_keys)
        if given:
            best = given / 4  # a lone given name fits, but weakly
    return best


def _name_candidates(db, query: SearchQuery) -> set[str]:
    """Persons whose names could fit the query, through the name indexes.

    A family and a given name together are one composite index probe per
    near key; a lone name (one word, or only one of the two fields) reads at
    most BROAD_CAP candidates for ranking.
    """
    if query.family_name or query.given_name:
        family = registry.near_keys(db, name_key(query.family_name)) if query.family_name else set()
        given = registry.near_keys(db, name_key(query.given_name)) if query.given_name else set()
        if query.given_name:
            given |= set().union(*(registry.near_keys(db, t) for t in name_tokens(query.given_name)))
        if family and given:
            return registry.ids_by_names(db, family, given)
        if family:
            return registry.ids_by_family(db, family, BROAD_CAP)
        return registry.ids_by_given(db, given, BROAD_CAP)
    tokens = name_tokens(query.name)
    near = {t: registry.near_keys(db, t) for t in tokens}
    found: set[str] = set()
    for span_key, rest in _spans(tokens):
        family = near.get(span_key) or registry.near_keys(db, span_key)
        if rest:
            found |= registry.ids_by_names(db, family, set().union(*(near[t] for t in rest)))
        elif len(tokens) == 1:
            found |= registry.ids_by_family(db, family, BROAD_CAP)
    if len(tokens) == 1:
        found |= registry.ids_by_given(db, near[tokens[0]], BROAD_CAP)
    return found


def search_register(db, query: SearchQuery) -> list[dict]:
    """Matching persons, best first, as cli.md's `search` result rows."""
    exact: list[set[str]] = []
    if query.nhi:
        exact.append(registry.ids_by_nhi(db, normalise_nhi(query.nhi)))
    if query.phone:
        exact.append(registry.ids_by_phone(db, query.phone))
    if query.email:
        exact.append(registry.ids_by_email(db, email_key(query.email)) if email_key(query.email) else set())
    if exact:
        candidates = set.intersection(*exact)
    else:
        # with a name, the date of birth only ranks; alone, it finds
        candidates = _name_candidates(db, query) if query.has_name else registry.ids_born_on(db, query.dob)
    results = []
    for row in registry.person_rows(db, candidates):
        fraction = name_fraction(query, row) if query.has_name else 1.0
        if fraction is None:
            continue
        dob_match = bool(query.dob) and row["date_of_birth"] == query.dob
        if query.dob and not dob_match and not query.has_name and not exact:
            continue
        score = round(0.5 * dob_match + 0.5 * fraction, 4)
        results.append((score, row))
    results.sort(key=lambda item: (-item[0], item[1]["family_name"], item[1]["given_names"], item[1]["person_id"]))
    return [
        {
            "person_id": row["person_id"],
            "family_name": row["family_name"],
            "given_names": row["given_names"],
            "preferred_name": row["preferred_name"],
            "date_of_birth": row["date_of_birth"],
            "suburb": row["suburb"],
            "city": row["city"],
            "score": score,
        }
        for score, row in results[: query.limit]
    ]
