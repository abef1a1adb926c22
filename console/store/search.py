"""Finding a record in the register (the `search` command and the supervisor's
lookup). Search finds; it never discloses: results carry no affected status.

NHI, phone and email are exact indexed lookups. Names are compared by key
(case, macrons and punctuation ignored) and tolerate one typo through the
deletion index. Ranking: a date-of-birth match above none, then exact name
keys above near ones.
"""

import heapq
from dataclasses import dataclass
from itertools import combinations

from console.core.contact import email_key
from console.core.names import given_name_keys, keys_near, name_key, name_tokens, words
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
    # search is kinder than the policy: a part of a hyphenated given name fits too
    given_keys = given_name_keys(row["given_names"], row["preferred_name"]) | set(name_tokens(row["given_names"]))
    if query.family_name or query.given_name:
        points, most = 0, 0
        for text, keys in ((query.family_name, family_keys), (query.given_name, given_keys)):
            if text:
                score = _part_score(name_key(text), keys)
                if not score:
                    return None
                points, most = points + score, most + 2
        return points / most
    tokens = words(query.name)
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


class _Fit:
    """`name_fraction` for one query, remembered per registered name.

    The fraction depends only on the row's family name and on its given and
    preferred names, and candidates share them a lot: each family name, each
    given names and each preferred name is scored once per query, and each
    combination of those scores is turned into a fraction once.
    """

    def __init__(self, query: SearchQuery):
        self._memo: dict = {}
        self._family: dict = {}
        self._given: dict = {}
        self._preferred: dict = {None: None}
        self._combined: dict = {}
        self._near: dict = {}
        if query.family_name or query.given_name:
            self._fielded = True
            self._family_keys = (name_key(query.family_name),) if query.family_name else ()
            self._given_keys = (name_key(query.given_name),) if query.given_name else ()
            self._spans = ()
        else:
            self._fielded = False
            tokens = words(query.name)
            self._family_keys = tuple(key for key, _ in _spans(tokens))
            self._given_keys = tuple(tokens)
            # per span (in _spans order): the positions of the tokens left for the given names
            self._spans = tuple(
                tuple(k for k in range(len(tokens)) if not i <= k < j) for i, j in combinations(range(len(tokens) + 1), 2)
            )
            self._lone = len(tokens) == 1

    def _scores(self, wanted: tuple, registered: set) -> tuple:
        """_part_score of each wanted key against the registered keys."""
        registered.discard("")
        near = self._near
        scores = []
        for key in wanted:
            if key in registered:
                scores.append(2)
                continue
            score = 0
            for k in registered:
                pair = (key, k)
                hit = near.get(pair)
                if hit is None:
                    hit = near[pair] = keys_near(key, k)
                if hit:
                    score = 1
                    break
            scores.append(score)
        return tuple(scores)

    def __call__(self, family_name: str, given_names: str, preferred_name: str | None) -> float | None:
        names = (family_name, given_names, preferred_name)
        fraction = self._memo.get(names, -1)
        if fraction != -1:
            return fraction
        family = self._family.get(family_name)
        if family is None:
            # {family key, *its parts}; "" stays: an empty family key is a registered key
            keys = {name_key(family_name), *name_tokens(family_name)}
            scores = []
            for key in self._family_keys:
                scores.append(2 if key in keys else self._scores((key,), keys - {""} if "" in keys else keys)[0])
            family = self._family[family_name] = tuple(scores)
        given = self._given.get(given_names)
        if given is None:
            # given_name_keys(given_names, preferred_name) is these keys and the preferred name's
            keys = {name_key(given_names), *(name_key(part) for part in (given_names or "").split()),
                    *name_tokens(given_names)}
            given = self._given[given_names] = self._scores(self._given_keys, keys)
        if preferred_name in self._preferred:
            preferred = self._preferred[preferred_name]
        else:
            preferred = self._preferred[preferred_name] = self._scores(self._given_keys, {name_key(preferred_name)})
        if preferred is not None:
            given = tuple(map(max, given, preferred))
        scores = (family, given)
        fraction = self._combined.get(scores, -1)
        if fraction == -1:
            fraction = self._combined[scores] = self._combine(family, given)
        self._memo[names] = fraction
        return fraction

    def _combine(self, family: tuple, given: tuple) -> float | None:
        if self._fielded:
            points = most = 0
            for score in family + given:
                if not score:
                    return None
                points, most = points + score, most + 2
            return points / most if most else None
        if not given:
            return None  # no tokens
        best = None
        for span_score, rest in zip(family, self._spans):
            if not span_score:
                continue
            scores = [given[k] for k in rest]
            if all(scores):
                fraction = (span_score + sum(scores)) / (2 * (1 + len(rest)))
                best = max(best or 0, fraction)
        if best is None and self._lone and given[0]:
            best = given[0] / 4  # a lone given name fits, but weakly
        return best


def _name_lookup(db, query: SearchQuery):
    """Where the persons whose names could fit the query are, through the name index:
    ("probes", [(family keys, given keys, tests), …]) for `persons.name_rows_in_rank_order`,
    or ("rows", name rows) already read.

    A family and a given name together are one probe of the name index; a
    lone name (one word, or only one of the two fields) reads at most
    BROAD_CAP candidates for ranking.
    """
    if query.family_name or query.given_name:
        family_key = name_key(query.family_name) if query.family_name else ""
        given_keys = [name_key(query.given_name), *name_tokens(query.given_name)] if query.given_name else []
        near = registry.near_keys_of(db, [family_key, *given_keys])
        family = near[family_key] if query.family_name else set()
        given = set().union(*(near[k] for k in given_keys))
        if family and given:
            # the given name must be near one of the person's given-name keys (name_fraction)
            return "probes", [(family, given, [(near[given_keys[0]], len(given_keys[0]))])]
        if family:
            return "rows", registry.name_rows_by_family(db, family, BROAD_CAP)
        return "rows", registry.name_rows_by_given(db, given, BROAD_CAP)
    tokens = words(query.name)
    spans = list(_spans(tokens))
    # (a span taking every token finds nothing unless it is the only token)
    near = registry.near_keys_of(db, tokens + [span_key for span_key, rest in spans if rest])
    if len(tokens) != 1:
        probes = []
        for span_key, rest in spans:
            if not rest:
                continue
            # every token left must be near one of the person's given-name keys (name_fraction)
            probes.append((near[span_key], set().union(*(near[t] for t in rest)), [(near[t], len(t)) for t in rest]))
        return "probes", probes
    return "rows", (registry.name_rows_by_family(db, near[tokens[0]], BROAD_CAP)
                    + registry.name_rows_by_given(db, near[tokens[0]], BROAD_CAP))


def _name_candidates(db, query: SearchQuery) -> set[str]:
    """Persons whose names could fit the query, through the name index."""
    kind, found = _name_lookup(db, query)
    if kind == "probes":
        found = registry.name_rows_in_rank_order(db, found)
    return {row[0] for row in found}


def _rank(rows, query: SearchQuery, fit, exact, in_rank_order: bool):
    """Score rows (person_id, family_name, given_names, preferred_name,
    born, …); in rank order (born that day first, then by names), stop once
    no later row can reach the first `limit`. Returns {person_id: (-score,
    family_name, given_names, person_id, row)}."""
    dob, limit = query.dob, query.limit
    in_rank_order = in_rank_order and limit > 0
    ranked = {}
    above = 0  # results no later row can outrank
    top = 1.0 if dob else 0.5  # the best score a later row can have
    # a score is 0.5 for the date of birth plus half the name fraction
    for row in rows:
        person_id = row[0]
        if person_id in ranked:
            continue  # the same person through another name row
        dob_match = bool(dob) and bool(row[4])
        if in_rank_order and top == 1.0 and not dob_match:
            # past those born that day, who all score above 0.5 and so above everyone else
            top, above = 0.5, len(ranked)
            if above >= limit:
                break
        fraction = fit(row[1], row[2], row[3]) if fit else 1.0
        if fraction is None:
            continue
        if dob and not dob_match and not fit and not exact:
            continue
        score = round(0.5 * dob_match + 0.5 * fraction, 4)
        ranked[person_id] = (-score, row[1], row[2], person_id, row)
        if in_rank_order and score == top:
            # every later row has a later name or a lower score
            above += 1
            if above >= limit:
                break
    if hasattr(rows, "close"):
        rows.close()
    return ranked


def search_register(db, query: SearchQuery) -> list[dict]:
    """Matching persons, best first, as cli.md's `search` result rows."""
    exact: list[set[str]] = []
    if query.nhi:
        exact.append(registry.ids_by_nhi(db, normalise_nhi(query.nhi)))
    if query.phone:
        exact.append(registry.ids_by_phone(db, query.phone))
    if query.email:
        exact.append(registry.ids_by_email(db, email_key(query.email)) if email_key(query.email) else set())
    dob, limit = query.dob, query.limit
    fit = _Fit(query) if query.has_name else None
    probes = None
    if exact:
        rows = registry.name_rows(db, set.intersection(*exact))
    elif query.has_name:
        # with a name, the date of birth only ranks
        kind, rows = _name_lookup(db, query)
        if kind == "probes":
            probes = rows
    else:
        # alone, it finds
        rows = registry.name_rows(db, registry.ids_born_on(db, dob))
    if probes is not None:
        # (person_id, family_name, given_names, preferred_name, born, …), born
        # that day first, then by names: ranking stops once no later row can
        # reach the first `limit`, which is mostly within the first few dozen
        ranked = _rank(registry.name_rows_in_rank_order(db, probes, dob), query, fit, exact, True)
    else:
        rows = [row[:4] + (bool(dob) and row[4] == dob, row) for row in rows]
        ranked = _rank(rows, query, fit, exact, False)
    if 0 < limit < len(ranked):
        best = heapq.nsmallest(limit, ranked.values())
    else:
        best = sorted(ranked.values())[:limit]
    if probes is not None:
        best = [(score, row[:4] + row[5:]) for score, _, _, _, row in best]
    else:
        best = [(score, row[5]) for score, _, _, _, row in best]
    return [
        {
            "person_id": row[0],
            "family_name": row[1],
            "given_names": row[2],
            "preferred_name": row[3],
            "date_of_birth": row[4],
            "suburb": row[5],
            "city": row[6],
            "score": -score,
        }
        for score, row in best
    ]
