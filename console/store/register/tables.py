"""DDL of the register's tables, shared by the first migration and every
import, which builds a fresh set under a prefix and swaps it in."""

REGISTER_TABLES = ("persons", "person_phones", "name_variants", "name_near", "name_parts", "documents", "practices")

# What a name search reads for each candidate, so that it never has to visit
# the persons table: these columns are in the name indexes of persons and of
# name_parts, next to their keys.
NAME_PAYLOAD = "given_len, date_of_birth, family_name, given_names, preferred_name, suburb, city"


def create_register_tables(db, prefix: str, generation: int, indexes: bool = True) -> None:
    p = prefix
    db.execute(
        f"""CREATE TABLE {p}persons (
            person_id TEXT PRIMARY KEY,
            nhi TEXT,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            preferred_name TEXT,
            date_of_birth TEXT,
            phones TEXT,
            email TEXT,
            suburb TEXT,
            city TEXT,
            region TEXT,
            practice_code TEXT,
            notification_code_hash TEXT,
            family_key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            email_key TEXT,
            given_len INTEGER
        )"""
    )
    # No street address, postcode or notification code: a workstation holds
    # what the rules and screens use (README, "What a workstation holds"),
    # and the code only as its argon2id hash (console.core.codes).
    # family_key: name_key(family_name); given_key: the key of the first given
    # name; given_len: the length of the key of all the given names written
    # together, when that key is not also one of the person's name keys
    # (names.given_name_keys can match it), else NULL.
    #
    # Lookup tables are plain tables indexed after the bulk load: building an
    # index from sorted rows is several times faster than keeping it up to date.
    db.execute(f"CREATE TABLE {p}person_phones (tail TEXT NOT NULL, person_id TEXT NOT NULL)")
    # every one-deletion variant of each distinct name key of 5+ letters
    db.execute(f"CREATE TABLE {p}name_variants (variant TEXT NOT NULL, key TEXT NOT NULL)")
    # each distinct name key of 5+ letters with the other keys near it (names.keys_near),
    # space-separated, as the deletion index finds them: one probe for a name on file
    db.execute(f"CREATE TABLE {p}name_near (key TEXT PRIMARY KEY, near TEXT NOT NULL) WITHOUT ROWID")
    # The name index beyond persons(family_key, given_key), so that a family
    # and a given name are always one index probe, with what ranking needs:
    # part 1: the given-name keys beyond the first (later given names, hyphen
    #         parts, the preferred name) under the family key;
    # part 2: each part of a multi-part family name ("van der Merwe" → merwe)
    #         with each given-name key.
    # scorable: 1 when the given key is one names.given_name_keys() has (a
    # whole given name or the preferred name), 0 for a part of a hyphenated
    # given name, which finds the person but cannot make their name fit.
    db.execute(
        f"""CREATE TABLE {p}name_parts (
            key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            part INTEGER NOT NULL,
            scorable INTEGER NOT NULL,
            person_id TEXT NOT NULL,
            given_len INTEGER,
            date_of_birth TEXT,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            preferred_name TEXT,
            suburb TEXT,
            city TEXT
        )"""
    )
    db.execute(
        f"""CREATE TABLE {p}documents (
            document_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            category TEXT NOT NULL,
            document_date TEXT,
            source_practice_code TEXT,
            sensitive INTEGER NOT NULL
        )"""
    )
    db.execute(f"CREATE TABLE {p}practices (practice_code TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT)")
    if indexes:
        create_register_indexes(db, prefix, generation)


def register_index_statements(prefix: str, generation: int) -> list[str]:
    # index names carry the generation, so a new register's indexes never
    # collide with the ones of the register still in service
    p, g = prefix, generation
    return [
        f"CREATE INDEX idx_{name}_g{g} ON {p}{table}({columns}){where}"
        for name, table, columns, where in (
            ("persons_dob", "persons", "date_of_birth", ""),
            ("persons_nhi", "persons", "nhi", " WHERE nhi IS NOT NULL"),
            ("persons_email", "persons", "email_key", " WHERE email_key IS NOT NULL"),
            # covering: a name probe reads the index alone, never the table
            ("persons_name", "persons", f"family_key, given_key, person_id, {NAME_PAYLOAD}", ""),
            ("persons_given", "persons", "given_key", ""),
            ("phones_tail", "person_phones", "tail, person_id", ""),
            ("variants", "name_variants", "variant, key", ""),
            ("name_parts", "name_parts", f"key, given_key, part, person_id, scorable, {NAME_PAYLOAD}", ""),
            ("name_parts_given", "name_parts", "given_key", " WHERE part = 1"),
            ("documents_person", "documents", "person_id", ""),
        )
    ]


def create_register_indexes(db, prefix: str, generation: int) -> None:
    for statement in register_index_statements(prefix, generation):
        db.execute(statement)
