"""Reading the register in service: persons, their phones and stolen files."""

import json

from console.core.contact import phone_e164, phone_tail, split_phones
from console.core.names import NEAR_MIN_LETTERS, keys_near, one_deletions
from console.core.policy import Document, RegisteredPerson

PERSON_COLUMNS = (
    "person_id, nhi, family_name, given_names, preferred_name, date_of_birth, phones, email, "
    "notification_code_hash, suburb, city, region, practice_code, family_key, given_key"
)


def _persons(db, where: str, params) -> list[dict]:
    cursor = db.execute(f"SELECT {PERSON_COLUMNS} FROM persons WHERE {where}", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def _in(values) -> str:
    return ",".join("?" * len(values))


def documents_of(db, person_ids) -> dict[str, list[Document]]:
    person_ids = list(person_ids)
    found: dict[str, list[Document]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return found
    for person_id, category, document_date, sensitive in db.execute(
        f"SELECT person_id, category, document_date, sensitive FROM documents WHERE person_id IN ({_in(person_ids)})",
        person_ids,
    ):
        found[person_id].append(Document(category, document_date, bool(sensitive)))
    return found


def as_registered(rows: list[dict], documents: dict[str, list[Document]]) -> list[RegisteredPerson]:
    return [
        RegisteredPerson(
            person_id=r["person_id"],
            family_name=r["family_name"],
            given_names=r["given_names"],
            preferred_name=r["preferred_name"],
            date_of_birth=r["date_of_birth"],
            nhi=r["nhi"],
            phones=tuple(split_phones(r["phones"])),
            email=r["email"],
            notification_code_hash=r["notification_code_hash"],
            documents=tuple(documents.get(r["person_id"], ())),
        )
        for r in rows
    ]


def persons_born_on(db, date_of_birth: str) -> list[RegisteredPerson]:
    """Every person with this date of birth: the only ones who can be a name match."""
    rows = _persons(db, "date_of_birth = ?", [date_of_birth])
    return as_registered(rows, documents_of(db, [r["person_id"] for r in rows]))


def ids_born_on(db, date_of_birth: str) -> set[str]:
    return {r[0] for r in db.execute("SELECT person_id FROM persons WHERE date_of_birth = ?", [date_of_birth])}


def person_rows(db, person_ids) -> list[dict]:
    person_ids = list(person_ids)
    if not person_ids:
        return []
    return _persons(db, f"person_id IN ({_in(person_ids)})", person_ids)


def ids_by_nhi(db, nhi: str) -> set[str]:
    return {r[0] for r in db.execute("SELECT person_id FROM persons WHERE nhi = ?", [nhi])}


def ids_by_email(db, email_key: str) -> set[str]:
    return {r[0] for r in db.execute("SELECT person_id FROM persons WHERE email_key = ?", [email_key])}


def ids_by_phone(db, text: str) -> set[str]:
    """Persons with a registered phone whose E.164 form equals the caller's."""
    wanted = phone_e164(text)
    tail = phone_tail(text)
    if wanted is None or tail is None:
        return set()
    candidates = db.execute("SELECT person_id, phones FROM persons WHERE person_id IN "
                            "(SELECT person_id FROM person_phones WHERE tail = ?)", [tail])
    return {person_id for person_id, phones in candidates
            if any(phone_e164(p) == wanted for p in split_phones(phones))}


def near_keys_of(db, keys) -> dict[str, set[str]]:
    """Registered name keys near each of these keys: a key on file has its
    near keys in name_near (one probe); the others (typos) go through the
    deletion index."""
    found: dict[str, set[str]] = {}
    long = []
    for key in keys:
        if key not in found:
            found[key] = {key} if key else set()
            if len(key) >= NEAR_MIN_LETTERS:
                long.append(key)
    if not long:
        return found
    for key, near in db.execute(f"SELECT key, near FROM name_near WHERE key IN {KEYS}", [json.dumps(long)]):
        found[key].update(near.split())
        long.remove(key)
    probes: dict[str, list[str]] = {}
    for key in long:
        for probe in (key, *one_deletions(key)):
            probes.setdefault(probe, []).append(key)
    if probes:
        for variant, registered in db.execute(
            f"SELECT variant, key FROM name_variants WHERE variant IN {KEYS}", [json.dumps(list(probes))]
        ):
            for key in probes[variant]:
                if registered not in found[key] and keys_near(key, registered):
                    found[key].add(registered)
    return found


# The name index: persons' covering index on (family_key, given_key) holds
# each person under its family key and first given key; name_parts holds
# them under their later given keys (part 1) and under each part of a
# multi-part family name (part 2), with a covering index too. Both carry what
# ranking and the search result need (register.tables.NAME_PAYLOAD), so a name
# lookup reads a few neighbouring index pages and never the tables.
NAME_ROW = "person_id, family_name, given_names, preferred_name, date_of_birth, suburb, city"
LATER_GIVEN, FAMILY_PART = 1, 2


RANK_ROW = "person_id, family_name, given_names, preferred_name, date_of_birth IS ? AS born, date_of_birth, suburb, city"
# A list of keys is one parameter (a JSON array), so that the SQL of a lookup
# depends only on its shape and SQLite's compiled statements are reused.
KEYS = "(SELECT value FROM json_each(?))"


def name_rows_in_rank_order(db, probes, date_of_birth: str | None = None):
    """An iterator over (person_id, family_name, given_names, preferred_name,
    born, date_of_birth, suburb, city) of the persons under any of `probes`,
    those born on `date_of_birth` (born = 1) first, then by family name, given
    names and person id, so that a caller ranking them can stop early. A
    person under several name rows comes that many times, one after the other.

    A probe is (family keys, given keys, tests): the persons whose family name
    (or a part of it) has one of the family keys and whose given names have
    one of the given keys, and who pass every test
    (near keys, length): one of their given-name keys that can make a name fit
    (names.given_name_keys) is among the near keys, or their given names
    written together, a key the index does not hold, have about that length.
    """
    date_of_birth = date_of_birth or ""  # born = 0 for everyone, even those with no date on file
    selects, params = [], []
    ctes, cte_params = [], []
    for family_keys, given_keys, tests in probes:
        if not family_keys or not given_keys:
            continue
        family, given = json.dumps(sorted(family_keys)), json.dumps(sorted(given_keys))
        if len(tests) == 1:
            (near, length), = tests
            selects.append(
                f"SELECT {RANK_ROW} FROM persons WHERE family_key IN {KEYS} AND given_key IN {KEYS} "
                f"AND (given_key IN {KEYS} OR given_len BETWEEN ? AND ?) "
                f"UNION ALL SELECT {RANK_ROW} FROM name_parts WHERE key IN {KEYS} AND given_key IN {KEYS} "
                f"AND ((scorable AND given_key IN {KEYS}) OR given_len BETWEEN ? AND ?)")
            params += [date_of_birth, family, given, json.dumps(sorted(near)), length - 1, length + 1] * 2
            continue
        # several tests: who passes them all, from lean rows (person id and
        # length), each test against the persons with a fitting key for it
        passes, test_params = [], []
        for near, length in tests:
            passes.append(
                f"(person_id IN (SELECT person_id FROM persons WHERE family_key IN {KEYS} AND given_key IN {KEYS} "
                f"UNION ALL SELECT person_id FROM name_parts WHERE key IN {KEYS} AND given_key IN {KEYS} AND scorable) "
                f"OR given_len BETWEEN ? AND ?)")
            near = json.dumps(sorted(near))
            test_params += [family, near, family, near, length - 1, length + 1]
        ok = f"ok{len(ctes)}"
        ctes.append(
            f"{ok} AS MATERIALIZED (SELECT person_id FROM ("
            f"SELECT person_id, given_len FROM persons WHERE family_key IN {KEYS} AND given_key IN {KEYS} "
            f"UNION ALL SELECT person_id, given_len FROM name_parts WHERE key IN {KEYS} AND given_key IN {KEYS}) "
            f"WHERE {' AND '.join(passes)})")
        cte_params += [family, given] * 2 + test_params
        selects.append(
            f"SELECT {RANK_ROW} FROM persons WHERE family_key IN {KEYS} AND given_key IN {KEYS} "
            f"AND person_id IN (SELECT person_id FROM {ok}) "
            f"UNION ALL SELECT {RANK_ROW} FROM name_parts WHERE key IN {KEYS} AND given_key IN {KEYS} "
            f"AND person_id IN (SELECT person_id FROM {ok})")
        params += [date_of_birth, family, given] * 2
    if not selects:
        return iter(())
    with_ = f"WITH {', '.join(ctes)} " if ctes else ""
    cursor = db.execute(
        f"{with_}SELECT * FROM ({' UNION ALL '.join(selects)}) ORDER BY born DESC, family_name, given_names, person_id",
        cte_params + params)
    return _chunks(cursor)


def _chunks(cursor, size: int = 32):
    """The rows of a cursor, read a few dozen at a time (cheaper than one by one)."""
    try:
        while rows := cursor.fetchmany(size):
            yield from rows
    finally:
        cursor.close()


def name_rows_by_family(db, family_keys, limit: int) -> list[tuple]:
    """NAME_ROW of persons whose family name, or a part of it, has one of
    these keys: at most `limit` by whole family name and `limit` by a part."""
    keys = list(family_keys)
    if not keys:
        return []
    rows = db.execute(f"SELECT {NAME_ROW} FROM persons WHERE family_key IN ({_in(keys)}) LIMIT ?",
                      keys + [limit]).fetchall()
    parts, seen = [], set()
    for row in db.execute(f"SELECT {NAME_ROW} FROM name_parts WHERE key IN ({_in(keys)}) AND part = {FAMILY_PART}",
                          keys):
        if row[0] not in seen:
            if len(seen) == limit:
                break
            seen.add(row[0])
            parts.append(row)
    return rows + parts


def name_rows_by_given(db, given_keys, limit: int) -> list[tuple]:
    """NAME_ROW of persons with one of these given-name keys: at most `limit`
    by first given name and `limit` by a later or preferred one."""
    return name_rows(db, ids_by_given(db, given_keys, limit))


def ids_by_given(db, given_keys: set[str], limit: int) -> set[str]:
    """Persons with one of these given-name keys, first or later (at most `limit` of each)."""
    keys = list(given_keys)
    if not keys:
        return set()
    found = {r[0] for r in db.execute(
        f"SELECT person_id FROM persons WHERE given_key IN ({_in(keys)}) LIMIT ?", keys + [limit])}
    found |= {r[0] for r in db.execute(
        # the literal part = 1 lets SQLite use the partial index on given_key
        f"SELECT person_id FROM name_parts WHERE given_key IN ({_in(keys)}) AND part = {LATER_GIVEN} LIMIT ?",
        keys + [limit])}
    return found


def name_rows(db, person_ids) -> list[tuple]:
    """NAME_ROW of these persons, from the persons table."""
    person_ids = list(person_ids)
    if not person_ids:
        return []
    return db.execute(f"SELECT {NAME_ROW} FROM persons WHERE person_id IN ({_in(person_ids)})", person_ids).fetchall()
