"""The demo register: the exchange format to the letter, and data shaped like
the real register where the helpline's matching cares."""

import csv
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime

import phonenumbers
import pytest

from console.demo.register import NICKNAMES, write_demo_register
from console.core.nhi import is_valid_nhi

PERSONS = 3_000
SEED = 7
FILES = ("persons.csv", "documents.csv", "practices.csv")
# As listed in specs/register-format.md, in that order.
SPEC_COLUMNS = {
    "persons.csv": [
        "person_id", "nhi", "family_name", "given_names", "preferred_name", "date_of_birth", "phones", "email",
        "address", "suburb", "city", "postcode", "region", "practice_code", "notification_code",
    ],
    "documents.csv": ["document_id", "person_id", "category", "document_date", "source_practice_code", "sensitive"],
    "practices.csv": ["practice_code", "name", "region"],
}
REGIONS = {
    "Northland", "Auckland", "Waikato", "Bay of Plenty", "Gisborne", "Hawke's Bay", "Taranaki", "Manawatū-Whanganui",
    "Wellington", "Tasman", "Nelson", "Marlborough", "West Coast", "Canterbury", "Otago", "Southland",
}
MACRONS = set("āēīōūĀĒĪŌŪ")


def read_rows(folder, name):
    with open(folder / name, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    folder = tmp_path_factory.mktemp("register")
    calls = []
    manifest = write_demo_register(folder, PERSONS, seed=SEED, progress=lambda done, total: calls.append((done, total)))
    tables = {name: read_rows(folder, name) for name in FILES}
    return {
        "folder": folder,
        "manifest": manifest,
        "progress": calls,
        "headers": {name: header for name, (header, _) in tables.items()},
        "persons": tables["persons.csv"][1],
        "documents": tables["documents.csv"][1],
        "practices": tables["practices.csv"][1],
    }


def phones_of(person):
    return [p.strip() for p in person["phones"].split(";") if p.strip()]


def e164(text):
    """The E.164 form of a valid New Zealand number, else None."""
    try:
        number = phonenumbers.parse(text, "NZ")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == "NZ":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def test_manifest_vouches_for_the_files(register):
    folder, manifest = register["folder"], register["manifest"]
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert manifest["format"] == "breach-register"
    assert manifest["format_version"] == 1
    assert manifest["register_version"] == f"demo-{SEED}-{PERSONS}"
    assert datetime.fromisoformat(manifest["generated_at"]).utcoffset() is not None
    assert manifest["counts"] == {
        "persons": len(register["persons"]),
        "documents": len(register["documents"]),
        "practices": len(register["practices"]),
    }
    assert manifest["counts"]["persons"] == PERSONS
    for name in FILES:
        assert manifest["sha256"][name] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    assert sorted(p.name for p in folder.iterdir()) == ["documents.csv", "manifest.json", "persons.csv", "practices.csv"]


def test_headers_are_the_spec_columns_in_order_with_crlf_rows(register):
    assert register["headers"] == SPEC_COLUMNS
    first_line = (register["folder"] / "persons.csv").read_bytes().split(b"\n")[0]
    assert first_line.endswith(b"\r")


def test_register_version_can_be_chosen(tmp_path):
    manifest = write_demo_register(tmp_path, 5, seed=3, register_version="2026-01-05.3")
    assert manifest["register_version"] == "2026-01-05.3"
    assert manifest["counts"]["persons"] == 5


def test_progress_reaches_the_total(register):
    calls = register["progress"]
    assert calls[-1] == (PERSONS, PERSONS)
    assert all(total == PERSONS for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_same_seed_gives_the_same_bytes_another_seed_differs(register, tmp_path):
    again = write_demo_register(tmp_path / "again", PERSONS, seed=SEED)
    other = write_demo_register(tmp_path / "other", PERSONS, seed=SEED + 1)
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (register["folder"] / name).read_bytes()
    assert again["sha256"] == register["manifest"]["sha256"]
    assert other["sha256"]["persons.csv"] != again["sha256"]["persons.csv"]
    assert other["sha256"]["documents.csv"] != again["sha256"]["documents.csv"]


def test_every_row_is_valid_per_the_spec(register):
    persons, documents, practices = register["persons"], register["documents"], register["practices"]
    practice_codes = [p["practice_code"] for p in practices]
    assert len(set(practice_codes)) == len(practice_codes)
    assert all(p["name"] and p["region"] in REGIONS for p in practices)

    person_ids = [p["person_id"] for p in persons]
    assert len(set(person_ids)) == len(person_ids)
    for person in persons:
        assert 1 <= len(person["person_id"]) <= 64
        assert person["family_name"].strip() and person["given_names"].strip()
        if person["date_of_birth"]:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", person["date_of_birth"])
            assert date(1925, 1, 1) <= date.fromisoformat(person["date_of_birth"]) <= date(2025, 12, 31)
        if person["postcode"]:
            assert re.fullmatch(r"\d{4}", person["postcode"])
        if person["region"]:
            assert person["region"] in REGIONS
        if person["practice_code"]:
            assert person["practice_code"] in practice_codes

    document_ids = [d["document_id"] for d in documents]
    assert len(set(document_ids)) == len(document_ids)
    known = set(person_ids)
    for document in documents:
        assert document["person_id"] in known
        assert document["category"] in ("user_upload", "referral_letter", "discharge_summary")
        assert document["sensitive"] in ("0", "1")
        if document["document_date"]:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", document["document_date"])
            date.fromisoformat(document["document_date"])
        if document["category"] == "referral_letter":
            assert document["source_practice_code"] in practice_codes
        else:
            assert document["source_practice_code"] == ""


def test_nhis_check_out_in_both_formats(register):
    nhis = [p["nhi"] for p in register["persons"] if p["nhi"]]
    assert 0.85 < len(nhis) / PERSONS < 0.95
    assert len(set(nhis)) == len(nhis)
    assert all(is_valid_nhi(n) for n in nhis)
    assert all("I" not in n and "O" not in n for n in nhis)
    old = [n for n in nhis if re.fullmatch(r"[A-Z]{3}\d{4}", n)]
    new = [n for n in nhis if re.fullmatch(r"[A-Z]{3}\d{2}[A-Z]{2}", n)]
    assert len(old) + len(new) == len(nhis)
    assert 0.4 < len(old) / len(nhis) < 0.6


def test_names_carry_macrons_hyphens_particles_and_preferred_names(register):
    persons = register["persons"]
    families = [p["family_name"] for p in persons]
    givens = [p["given_names"] for p in persons]
    assert sum(any(c in MACRONS for c in f) for f in families) > 30
    assert sum(any(c in MACRONS for c in g) for g in givens) > 30
    # registers lose macrons: the same name appears both ways
    plain = {unicodedata.normalize("NFKD", f).encode("ascii", "ignore").decode() for f in families if set(f) & MACRONS}
    assert plain & set(families)
    assert sum("-" in f for f in families) > 15
    assert sum(" " in f for f in families) > 15
    assert any(f.startswith(("van ", "de ", "Te ", "dela ")) for f in families)
    assert any(f.startswith("O'") for f in families) and any(f.startswith("Mc") for f in families)
    assert sum(len(g.split()) >= 2 for g in givens) > PERSONS * 0.3
    preferred = [p for p in persons if p["preferred_name"]]
    assert 0.05 < len(preferred) / PERSONS < 0.15
    nicknames = [p for p in preferred if p["preferred_name"] in NICKNAMES.get(p["given_names"].split()[0], ())]
    assert len(nicknames) > 20  # Paddy for Patrick, Bill for Wiremu


def test_phones_parse_except_the_deliberately_unparseable_ones(register):
    written = [phone for person in register["persons"] for phone in phones_of(person)]
    per_person = Counter(len(phones_of(p)) for p in register["persons"])
    assert set(per_person) <= {0, 1, 2, 3} and per_person[0] and per_person[3]

    valid = {phone: e164(phone) for phone in written}
    unparseable = [phone for phone, number in valid.items() if number is None]
    assert 0.005 < len(unparseable) / len(written) < 0.05
    for phone, number in valid.items():
        digits = sum(c.isdigit() for c in phone)
        well_formed = digits >= 9 and not any(c.isalpha() for c in phone)
        assert (number is not None) == well_formed, phone

    kinds = Counter(phonenumbers.number_type(phonenumbers.parse(p, "NZ")) for p, n in valid.items() if n)
    assert kinds[phonenumbers.PhoneNumberType.MOBILE] and kinds[phonenumbers.PhoneNumberType.FIXED_LINE]
    for style in (r"^0\d{9}$", r"^02\d \d{3} \d{4}$", r"^\+64 2\d ", r"^\+642\d \d{7}$", r"^\(0\d\) \d{3}-\d{4}$",
                  r"^0\d-\d{3} \d{4}$", r"^0064 \d "):
        assert any(re.search(style, p) for p in valid if valid[p]), style


def test_households_share_a_landline_and_twins_share_all_but_given_names(register):
    at_address = defaultdict(list)
    for person in register["persons"]:
        if person["address"]:
            at_address[(person["address"], person["suburb"], person["city"])].append(person)
    shared_landline = 0
    twins = 0
    for people in at_address.values():
        numbers = [{e164(p) for p in phones_of(person)} - {None} for person in people]
        if len(people) > 1 and set.intersection(*numbers):
            shared_landline += 1
        for i, a in enumerate(people):
            for j in range(i + 1, len(people)):
                b = people[j]
                if (a["family_name"] == b["family_name"] and a["date_of_birth"] and a["date_of_birth"] == b["date_of_birth"]
                        and numbers[i] & numbers[j]):
                    assert a["given_names"].split()[0] != b["given_names"].split()[0]
                    twins += 1
    assert shared_landline > 50
    assert 3 <= twins <= PERSONS * 0.01


def test_contact_details_look_like_the_portal(register):
    persons = register["persons"]
    emails = [p["email"] for p in persons if p["email"]]
    assert 0.5 < len(emails) / PERSONS < 0.7
    assert all(re.fullmatch(r"[^@\s]+@example\.(co\.nz|com|org|net)", e, re.IGNORECASE) for e in emails)
    assert any(e != e.lower() for e in emails)

    codes = [p["notification_code"] for p in persons if p["notification_code"]]
    assert 0.8 < len(codes) / PERSONS < 0.9
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", c) for c in codes)

    births = [p["date_of_birth"] for p in persons if p["date_of_birth"]]
    assert 0.003 < 1 - len(births) / PERSONS < 0.03
    assert any(b > "2010-01-01" for b in births) and sum(b < "2010-01-01" for b in births) > 0.8 * len(births)
    assert all(p["region"] for p in persons)


def test_northland_is_hit_hardest(register):
    persons, documents = register["persons"], register["documents"]
    per_person = Counter(d["person_id"] for d in documents)
    assert 0.04 <= len(per_person) / PERSONS <= 0.10
    assert set(per_person.values()) <= set(range(1, 11))
    assert 2.8 < len(documents) / len(per_person) < 4.0

    northland = [p for p in persons if p["region"] == "Northland"]
    affected_northland = sum(p["person_id"] in per_person for p in northland)
    assert affected_northland / len(per_person) > 2 * len(northland) / PERSONS


def test_persons_are_enrolled_in_their_own_region(register):
    practice_region = {p["practice_code"]: p["region"] for p in register["practices"]}
    regions_with_practices = set(practice_region.values())
    enrolled = [p for p in register["persons"] if p["practice_code"]]
    assert 0.9 < len(enrolled) / PERSONS < 0.99
    local = [p for p in enrolled if p["region"] in regions_with_practices]
    assert sum(practice_region[p["practice_code"]] == p["region"] for p in local) > 0.9 * len(local)
