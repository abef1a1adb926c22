"""DDL of the register's tables, shared by the first migration and every
import, which builds a fresh set under a prefix and swaps it in."""

REGISTER_TABLES = ("persons", "person_phones", "name_variants", "family_parts", "given_parts", "documents", "practices")


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
            address TEXT,
            suburb TEXT,
            city TEXT,
            postcode TEXT,
            region TEXT,
            practice_code TEXT,
            notification_code TEXT,
            family_key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            email_key TEXT
        )"""
    )
    # Lookup tables are plain tables indexed after the bulk load: building an
    # index from sorted rows is several times faster than keeping it up to date.
    db.execute(f"CREATE TABLE {p}person_phones (tail TEXT NOT NULL, person_id TEXT NOT NULL)")
    # every one-deletion variant of each distinct name key of 5+ letters
    db.execute(f"CREATE TABLE {p}name_variants (variant TEXT NOT NULL, key TEXT NOT NULL)")
    # Name index beyond persons(family_key, given_key), so that a family and
    # a given name are always one index probe:
    # each part of a multi-part family name ("van der Merwe" → merwe) with each given-name key,
    db.execute(f"CREATE TABLE {p}family_parts (key TEXT NOT NULL, given_key TEXT NOT NULL, person_id TEXT NOT NULL)")
    # and the given-name keys beyond the first (later given names, the preferred name) with the family key.
    db.execute(f"CREATE TABLE {p}given_parts (family_key TEXT NOT NULL, key TEXT NOT NULL, person_id TEXT NOT NULL)")
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


def create_register_indexes(db, prefix: str, generation: int) -> None:
    # index names carry the generation, so a new register's indexes never
    # collide with the ones of the register still in service
    p, g = prefix, generation
    for name, table, columns in (
        ("persons_dob", "persons", "date_of_birth"),
        ("persons_nhi", "persons", "nhi"),
        ("persons_email", "persons", "email_key"),
        ("persons_name", "persons", "family_key, given_key"),
        ("persons_given", "persons", "given_key"),
        ("phones_tail", "person_phones", "tail, person_id"),
        ("variants", "name_variants", "variant, key"),
        ("family_parts", "family_parts", "key, given_key, person_id"),
        ("given_parts", "given_parts", "family_key, key, person_id"),
        ("given_parts_key", "given_parts", "key"),
        ("documents_person", "documents", "person_id"),
    ):
        db.execute(f"CREATE INDEX idx_{name}_g{g} ON {p}{table}({columns})")
