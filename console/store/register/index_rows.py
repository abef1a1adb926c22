"""The rows of the register's tables built from a valid persons.csv row: the
person with its search keys, its phone tails and its name index rows, and
after the last person the name variants and near keys of every name key
(register/tables.py says what each table holds)."""

from console.core.contact import phone_tail, split_phones
from console.core.names import NEAR_MIN_LETTERS, keys_near, name_key, name_tokens, one_deletions
from console.core.nhi import normalise_nhi

MEMO = 100_000  # distinct family names, or given names, whose analysis is kept
HASH_COLUMN = 12  # of notification_code_hash in a persons row (register/tables.py)


class PersonRows:
    """Builds the rows of persons, person_phones and name_parts into the
    lists `persons`, `phones` and `parts` (emptied by whoever sends them),
    and gathers the register's name keys."""

    def __init__(self):
        self.persons: list[tuple] = []
        self.phones: list[tuple] = []
        self.parts: list[tuple] = []
        self.name_keys: set[str] = set()
        self.codes: list[tuple[int, str]] = []  # (index in persons, code) of the codes not yet hashed
        # name analysis, once per distinct family name, given names and preferred name
        self._families: dict[str, tuple] = {}
        self._givens: dict[str, tuple] = {}
        self._preferreds: dict[str, str] = {}

    def take(self) -> dict[str, list]:
        """The rows built since the last take, by table."""
        if self.codes:
            raise RuntimeError("the batch's notification codes are not hashed yet")
        tables = {"persons": self.persons, "person_phones": self.phones, "name_parts": self.parts}
        self.persons, self.phones, self.parts = [], [], []
        return tables

    def hash_pending(self, hasher) -> None:
        """Put each pending code's hash in its person's row (hasher: codes → hashes, in order)."""
        pending, self.codes = self.codes, []
        for (index, _), code_hash in zip(pending, hasher([code for _, code in pending]), strict=True):
            row = self.persons[index]
            self.persons[index] = (*row[:HASH_COLUMN], code_hash, *row[HASH_COLUMN + 1:])

    def forget_names(self) -> None:
        self._families.clear()
        self._givens.clear()
        self._preferreds.clear()

    def _family(self, family: str) -> tuple:
        fam = self._families.get(family)
        if fam is None:
            family_key = name_key(family)
            parts = name_tokens(family)
            self.name_keys.add(family_key)
            if len(parts) > 1:
                self.name_keys.update(parts)
                fam = (family_key, tuple(dict.fromkeys(parts)))
            else:
                fam = (family_key, ())
            if len(self._families) < MEMO:
                self._families[family] = fam
        return fam

    def _given(self, given: str) -> tuple:
        giv = self._givens.get(given)
        if giv is None:
            keys = [name_key(part) for part in given.split()]
            whole = name_key(given)
            # the first given name's key and every given-name key (later
            # names, hyphenated parts), first one first
            extra = tuple(dict.fromkeys(keys + name_tokens(given)))
            self.name_keys.update(extra)
            # given_name_keys() of a row beyond these: the whole given names as
            # one key; its length lets a search rule rows out (given_len)
            # and those that can make a name fit: given_name_keys() and, as
            # search is kinder than the policy, the parts of a hyphenated name
            giv = (keys[0], extra, whole, len(whole) if whole and whole not in extra else None, frozenset(extra))
            if len(self._givens) < MEMO:  # the common given names come early and often
                self._givens[given] = giv
        return giv

    def _preferred(self, preferred: str) -> str:
        key = self._preferreds.get(preferred)
        if key is None:
            key = name_key(preferred)
            self.name_keys.add(key)
            if len(self._preferreds) < MEMO:
                self._preferreds[preferred] = key
        return key

    def add(self, row) -> None:
        """The rows of one valid persons.csv row (stripped values in column order)."""
        (person_id, nhi, family, given, preferred, dob, phones, email,
         _, suburb, city, _, region, practice, code, code_hash) = row
        family_key, family_parts = self._family(family)
        given_key, extra_given, whole, given_len, scorable = self._given(given)
        if preferred:
            preferred_key = self._preferred(preferred)
            if preferred_key not in scorable:
                scorable = scorable | {preferred_key}
            if preferred_key not in extra_given:
                extra_given = extra_given + (preferred_key,)
                if preferred_key == whole:
                    given_len = None
        else:
            preferred = None
        dob = dob or None
        suburb = suburb or None
        city = city or None
        if len(extra_given) > 1 or family_parts:
            payload = (person_id, given_len, dob, family, given, preferred, suburb, city)
            for key in extra_given:
                if key != given_key and key:
                    self.parts.append((family_key, key, 1, key in scorable) + payload)
            # (the first given name's key is among the extra ones)
            for part in family_parts:
                for key in extra_given:
                    self.parts.append((part, key, 2, key != "" and key in scorable) + payload)
        self.persons.append((
            person_id, normalise_nhi(nhi) or None, family, given, preferred, dob,
            phones or None, email or None, suburb, city, region or None, practice or None, code_hash or None,
            family_key, given_key, email.casefold() or None, given_len,
        ))
        if code:  # hashed before the batch is sent (hash_pending); never stored itself
            self.codes.append((len(self.persons) - 1, code))
        if phones:
            for tail in {phone_tail(phone) for phone in split_phones(phones)} - {None}:
                self.phones.append((tail, person_id))


def name_key_rows(name_keys, batch: int):
    """("name_variants" or "name_near", rows) in batches of at most `batch`
    rows: every one-deletion variant of each name key of NEAR_MIN_LETTERS or
    more letters, then each such key with the keys near it."""
    keys = sorted(key for key in name_keys if len(key) >= NEAR_MIN_LETTERS)
    by_variant: dict[str, list[str]] = {}
    variants = []
    for key in keys:
        for variant in (key, *one_deletions(key)):
            variants.append((variant, key))
            by_variant.setdefault(variant, []).append(key)
        if len(variants) >= batch:
            yield "name_variants", variants
            variants = []
    yield "name_variants", variants
    near_rows = []
    for key in keys:  # sorted: appended in key order to the WITHOUT ROWID table
        found = set()
        for variant in (key, *one_deletions(key)):
            found.update(by_variant.get(variant, ()))
        found.discard(key)
        near_rows.append((key, " ".join(sorted(k for k in found if keys_near(key, k)))))
        if len(near_rows) >= batch:
            yield "name_near", near_rows
            near_rows = []
    yield "name_near", near_rows
