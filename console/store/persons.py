"""Reading the register in service: persons, their phones and stolen files."""

from console.core.contact import phone_e164, phone_tail, split_phones
from console.core.names import NEAR_MIN_LETTERS, keys_near, one_deletions
from console.core.policy import Document, RegisteredPerson

PERSON_COLUMNS = (
    "person_id, nhi, family_name, given_names, preferred_name, date_of_birth, phones, email, "
    "notification_code, suburb, city, region, practice_code, family_key, given_key"
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
            notification_code=r["notification_code"],
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


def person(db, person_id: str) -> RegisteredPerson | None:
    rows = person_rows(db, [person_id])
    if not rows:
        return None
    return as_registered(rows, documents_of(db, [person_id]))[0]


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
    candidates = [r[0] for r in db.execute("SELECT person_id FROM person_phones WHERE tail = ?", [tail])]
    found = set()
    for row in person_rows(db, candidates):
        if any(phone_e164(p) == wanted for p in split_phones(row["phones"])):
            found.add(row["person_id"])
    return found


def near_keys(db, key: str) -> set[str]:
    """Registered name keys near `key`, found through the deletion index."""
    if not key:
        return set()
    if len(key) < NEAR_MIN_LETTERS:
        return {key}
    probes = [key, *one_deletions(key)]
    found = {r[0] for r in db.execute(f"SELECT DISTINCT key FROM name_variants WHERE variant IN ({_in(probes)})", probes)}
    return {k for k in found if keys_near(key, k)} | {key}


def ids_by_names(db, family_keys: set[str], given_keys: set[str]) -> set[str]:
    """Persons whose family name (or a part of it) has one of `family_keys` and
    whose given names (first, later or preferred) have one of `given_keys`:
    three index probes, however common the names."""
    family, given = list(family_keys), list(given_keys)
    if not family or not given:
        return set()
    f, g = _in(family), _in(given)
    sql = (f"SELECT person_id FROM persons WHERE family_key IN ({f}) AND given_key IN ({g}) "
           f"UNION SELECT person_id FROM given_parts WHERE family_key IN ({f}) AND key IN ({g}) "
           f"UNION SELECT person_id FROM family_parts WHERE key IN ({f}) AND given_key IN ({g})")
    return {r[0] for r in db.execute(sql, (family + given) * 3)}


def ids_by_family(db, family_keys: set[str], limit: int) -> set[str]:
    """Persons whose family name, or a part of it, has one of these keys (at most `limit`)."""
    keys = list(family_keys)
    if not keys:
        return set()
    found = {r[0] for r in db.execute(
        f"SELECT person_id FROM persons WHERE family_key IN ({_in(keys)}) LIMIT ?", keys + [limit])}
    found |= {r[0] for r in db.execute(
        f"SELECT DISTINCT person_id FROM family_parts WHERE key IN ({_in(keys)}) LIMIT ?", keys + [limit])}
    return found


def ids_by_given(db, given_keys: set[str], limit: int) -> set[str]:
    """Persons with one of these given-name keys, first or later (at most `limit`)."""
    keys = list(given_keys)
    if not keys:
        return set()
    found = {r[0] for r in db.execute(
        f"SELECT person_id FROM persons WHERE given_key IN ({_in(keys)}) LIMIT ?", keys + [limit])}
    found |= {r[0] for r in db.execute(
        f"SELECT person_id FROM given_parts WHERE key IN ({_in(keys)}) LIMIT ?", keys + [limit])}
    return found


def is_affected(db, person_id: str) -> bool:
    return db.execute("SELECT 1 FROM documents WHERE person_id = ? LIMIT 1", [person_id]).fetchone() is not None
