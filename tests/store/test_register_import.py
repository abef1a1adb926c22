"""Register import per register-format.md: checks, every invalid row reported
as file:line: column: reason with nothing changed, skip-invalid, zip, BOM,
atomic replacement, and a killed import leaving the old register."""

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from console.core.register_format import RegisterRefused
from tests.support.canary import codes_given_as_hashes


def copy_register(src, dst):
    shutil.copytree(src, dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def reseal(folder):
    """Recompute the manifest's hashes and counts after editing a CSV."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in ("persons.csv", "documents.csv", "practices.csv"):
        data = (folder / name).read_bytes()
        manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
        rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
        manifest["counts"][name[:-4]] = len([r for r in rows[1:] if r])
    (folder / "manifest.json").write_text(json.dumps(manifest))


def edit_csv(folder, name, edit):
    path = folder / name
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    rows = edit(rows)
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    reseal(folder)


def register_state(cache):
    return (cache.register_version,
            cache.db.execute("SELECT count(*) FROM persons").fetchone()[0],
            cache.db.execute("SELECT count(*) FROM documents").fetchone()[0],
            cache.db.execute("SELECT count(*) FROM audit").fetchone()[0])


def test_sample_imports(sample_cache):
    assert register_state(sample_cache)[:3] == ("sample-2026-01-05.1", 8, 7)
    assert sample_cache.db.execute("SELECT nhi FROM persons WHERE person_id='S0002'").fetchone()[0] == "ZZZ00AX"


def test_cache_file_is_owner_only(cache, tmp_path):
    assert (tmp_path / "cache.db").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("name, edit, expected", [
    ("persons.csv", lambda r: r + [["S0001", "", "Dup", "Person", "", "", "", "", "", "", "", "", "", "", ""]],
     "persons.csv:10: person_id: person_id 'S0001' repeats an earlier row"),
    ("persons.csv", lambda r: r + [["S0100", "ZZZ0017", "Bad", "Nhi", "", "", "", "", "", "", "", "", "", "", ""]],
     "persons.csv:10: nhi: 'ZZZ0017' is not a valid NHI (wrong form or check character)"),
    ("persons.csv", lambda r: r + [["S0100", "ZZZ00AC", "Mod", "Twentythree", "", "", "", "", "", "", "", "", "", "", ""]],
     "persons.csv:10: nhi: 'ZZZ00AC' is not a valid NHI"),
    ("persons.csv", lambda r: r + [["S0100", "", "", "Nofamily", "", "", "", "", "", "", "", "", "", "", ""]],
     "persons.csv:10: family_name: family_name is required"),
    ("persons.csv", lambda r: r + [["S0100", "", "Baddate", "X", "", "1975-02-30", "", "", "", "", "", "", "", "", ""]],
     "persons.csv:10: date_of_birth: '1975-02-30' is not a date written YYYY-MM-DD"),
    ("persons.csv", lambda r: r + [["S0100", "", "Post", "Code", "", "", "", "", "", "", "", "12345", "", "", ""]],
     "persons.csv:10: postcode: '12345' is not four digits"),
    ("persons.csv", lambda r: r + [["S0100", "", "No", "Practice", "", "", "", "", "", "", "", "", "", "ZZ99", ""]],
     "persons.csv:10: practice_code: practice 'ZZ99' is not in practices.csv"),
    ("documents.csv", lambda r: r + [["D99", "S9999", "referral_letter", "", "", "0"]],
     "documents.csv:9: person_id: person 'S9999' is not in persons.csv"),
    ("documents.csv", lambda r: r + [["D99", "S0001", "x_ray", "", "", "0"]],
     "documents.csv:9: category: 'x_ray' is not one of user_upload, referral_letter, discharge_summary"),
    ("documents.csv", lambda r: r + [["D99", "S0001", "user_upload", "", "", "yes"]],
     "documents.csv:9: sensitive: 'yes' is not 0 or 1"),
    ("documents.csv", lambda r: r + [["D99", "S0001", "user_upload", "", "", ""]],
     "documents.csv:9: sensitive: sensitive is required (0 or 1)"),
    ("documents.csv", lambda r: r + [["D1", "S0001", "user_upload", "", "", "0"]],
     "documents.csv:9: document_id: document_id 'D1' repeats an earlier row"),
    ("documents.csv", lambda r: r + [["D99", "S0001", "user_upload", "2024-13-01", "", "0"]],
     "documents.csv:9: document_date: '2024-13-01' is not a date written YYYY-MM-DD"),
    ("documents.csv", lambda r: r + [["D99", "S0001", "referral_letter", "", "QQ01", "0"]],
     "documents.csv:9: source_practice_code: practice 'QQ01' is not in practices.csv"),
    ("practices.csv", lambda r: r + [["NP01", "Again", ""]],
     "practices.csv:5: practice_code: practice_code 'NP01' repeats an earlier row"),
])
def test_each_invalid_kind_is_reported_and_nothing_changes(sample_cache, sample_register, tmp_path, name, edit, expected):
    before = register_state(sample_cache)
    folder = copy_register(sample_register, tmp_path / "bad")
    edit_csv(folder, name, edit)
    with pytest.raises(RegisterRefused) as refused:
        sample_cache.import_register(folder)
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems
    assert register_state(sample_cache) == before
    assert [p.name for p in tmp_path.iterdir() if ".register-" in p.name] == ["cache.db.register-1"]


def test_every_invalid_row_is_reported_not_just_the_first(cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "bad")
    edit_csv(folder, "persons.csv", lambda r: r + [
        ["S0100", "ZZZ0017", "A", "B", "", "", "", "", "", "", "", "", "", "", ""],
        ["S0101", "", "C", "D", "", "01/02/1970", "", "", "", "", "", "", "", "", ""],
    ])
    with pytest.raises(RegisterRefused) as refused:
        cache.import_register(folder)
    assert [p.split(":")[1] for p in refused.value.problems] == ["10", "11"]
    assert cache.register_version is None


def test_unparsable_phones_and_emails_are_kept_not_errors(cache, sample_register):
    cache.import_register(sample_register)
    assert cache.db.execute("SELECT phones FROM persons WHERE person_id='S0006'").fetchone()[0] == "not a number"


def test_tampered_file_is_refused(cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "tampered")
    with open(folder / "documents.csv", "a") as f:
        f.write("D8,S0003,user_upload,,,0\n")
    with pytest.raises(RegisterRefused) as refused:
        cache.import_register(folder)
    assert refused.value.problems == [
        "documents.csv: its SHA-256 differs from manifest.json; the file was changed or damaged in transit."]


def test_wrong_counts_are_refused(cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "counts")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["counts"]["persons"] = 9
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegisterRefused) as refused:
        cache.import_register(folder)
    assert "manifest.json: counts.persons says 9 but persons.csv has 8 rows." in refused.value.problems
    assert cache.register_version is None


@pytest.mark.parametrize("change, expected", [
    (lambda m: m.update(format="other"), "manifest.json: format is 'other'"),
    (lambda m: m.update(format_version=2), "manifest.json: format_version 2 is not supported"),
    (lambda m: m["sha256"].pop("persons.csv"), "manifest.json: sha256 of persons.csv is missing"),
])
def test_manifest_checks(cache, sample_register, tmp_path, change, expected):
    folder = copy_register(sample_register, tmp_path / "manifest")
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegisterRefused) as refused:
        cache.import_register(folder)
    assert refused.value.problems[0].startswith(expected)


def test_missing_column_is_refused(cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "column")
    edit_csv(folder, "documents.csv", lambda rows: [r[:-1] for r in rows])
    with pytest.raises(RegisterRefused) as refused:
        cache.import_register(folder)
    assert refused.value.problems == ["documents.csv:1: sensitive: column is missing from the header."]


def test_bom_reordered_columns_and_extra_columns_are_accepted(cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "bom")
    path = folder / "persons.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    order = list(reversed(range(len(rows[0]))))
    rows = [[r[i] for i in order] + ["extra"] for r in rows]
    rows[0][-1] = "unknown_column"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    reseal(folder)
    result = cache.import_register(folder)
    assert (result.persons, result.documents) == (8, 7)
    row = cache.db.execute("SELECT family_name, given_names FROM persons WHERE person_id='S0001'").fetchone()
    assert row == ("Ngāti-Rēhia", "Hine Mārama")


def test_zip_of_the_folder(cache, sample_register, tmp_path):
    archive = tmp_path / "register.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sample_register.iterdir():
            z.write(f, f"register-sample/{f.name}")
    assert cache.import_register(archive).persons == 8


def test_skip_invalid_imports_the_rest_and_writes_rejects(cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "skip")
    edit_csv(folder, "persons.csv", lambda r: r + [["S0100", "ZZZ0017", "A", "B", "", "", "", "", "", "", "", "", "", "", ""]])
    edit_csv(folder, "documents.csv", lambda r: r + [["D99", "S0100", "user_upload", "", "", "0"]])
    rejects = tmp_path / "rejects.csv"
    result = cache.import_register(folder, skip_invalid=True, rejects=rejects)
    assert (result.persons, result.documents) == (8, 7)
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(r["file"], r["line"], r["column"]) for r in rows] == [
        ("persons.csv", "10", "nhi"), ("documents.csv", "9", "person_id")]


def test_import_replaces_the_register_but_never_calls_or_audit(sample_cache, sample_register, tmp_path):
    sample_cache.unlock("S0001")
    folder = copy_register(sample_register, tmp_path / "v2")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["register_version"] = "sample-v2"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    edit_csv(folder, "persons.csv", lambda r: [row for row in r if row[0] != "S0004"])
    audit_before = sample_cache.db.execute("SELECT count(*) FROM audit").fetchone()[0]
    sample_cache.import_register(folder)
    assert sample_cache.register_version == "sample-v2"
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 7
    assert sample_cache.db.execute("SELECT count(*) FROM unlocks").fetchone()[0] == 1
    assert sample_cache.db.execute("SELECT count(*) FROM audit").fetchone()[0] == audit_before + 1


KILL_SCRIPT = """
import sys
from console.store.cache import Cache
cache = Cache.open(sys.argv[1])
def progress(stage, done, total):
    print(stage, done, flush=True)
cache.import_register(sys.argv[2], progress=progress)
"""


def test_an_import_killed_half_way_leaves_the_old_register(tmp_path, sample_register, system_keyring):
    from console.demo.register import write_demo_register
    from console.store.cache import Cache

    db_path = tmp_path / "kill.db"
    cache = Cache.open(db_path)
    cache.import_register(sample_register)
    cache.close()
    big = tmp_path / "big"
    write_demo_register(big, 30_000, seed=3)  # the worker sends 25,000 persons a batch: killed after the first
    codes_given_as_hashes(big)  # the kill lands in the writing, not in 25,000 codes' hashing
    child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(db_path), str(big)],
                             stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    for line in child.stdout:
        if line.startswith("persons") and int(line.split()[1]) >= 20_000:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    cache = Cache.open(db_path)
    assert register_state(cache)[:3] == ("sample-2026-01-05.1", 8, 7)
    assert cache.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the file it was building is deleted when the cache is opened again, not left filling the disk
    assert sorted(p.name for p in tmp_path.iterdir() if ".register-" in p.name) == ["kill.db.register-1"]
    from console.core.policy import CallerClaim
    from datetime import date
    verdict = cache.verify_caller(CallerClaim("Pōtae", "Wiremu", date(1944, 12, 24), code="BILL-2024"))
    assert verdict.decision.verified
    # and the next import works
    small = tmp_path / "small"
    write_demo_register(small, 2_000, seed=5)
    codes_given_as_hashes(small)
    assert cache.import_register(small).persons == 2_000
    cache.close()


def test_readers_see_old_or_new_never_a_mixture(tmp_path, sample_register, system_keyring):
    """A reader polling during an import only ever sees a whole register."""
    from console.demo.register import write_demo_register
    from console.store.cache import Cache

    db_path = tmp_path / "mix.db"
    writer = Cache.open(db_path)
    writer.import_register(sample_register)
    big = tmp_path / "big"
    manifest = write_demo_register(big, 6_000, seed=4)  # the swap is one transaction whatever the size
    codes_given_as_hashes(big)
    reader_script = f"""
import sqlite3, time, sys
from console.store.connection import connect
conn = connect({str(db_path)!r})
seen = set()
end = time.time() + 60
while time.time() < end:
    try:
        conn.execute("BEGIN")
        version = conn.execute("SELECT value FROM meta WHERE key='register_version'").fetchone()[0]
        persons = conn.execute("SELECT count(*) FROM persons").fetchone()[0]
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        conn.execute("COMMIT")
    except sqlite3.OperationalError:
        conn.execute("ROLLBACK") if conn.in_transaction else None
        continue
    seen.add((version, persons, documents))
    if version != "sample-2026-01-05.1":
        break
print(sorted(seen))
"""
    reader = subprocess.Popen([sys.executable, "-c", reader_script], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    writer.import_register(big)
    out, _ = reader.communicate(timeout=90)
    seen = eval(out)
    allowed = {("sample-2026-01-05.1", 8, 7),
               (manifest["register_version"], manifest["counts"]["persons"], manifest["counts"]["documents"])}
    assert set(seen) <= allowed and ("sample-2026-01-05.1", 8, 7) in seen
    writer.close()


@pytest.mark.skipif(os.name != "posix", reason="the stand-in for the bundle is a shell script")
def test_in_a_bundle_the_worker_is_the_console_itself(cache, sample_register, tmp_path, monkeypatch):
    """A PyInstaller bundle has no interpreter to run `-c` with: the importer
    starts the bundle's own program, whose entry point runs the worker."""
    from pathlib import Path

    from console.store.register.worker import WORKER_ARGUMENT, worker_command

    bundle = tmp_path / "helpline-console"  # what sys.executable is in a bundle: the console itself
    bundle.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m console "$@"\n')
    bundle.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    assert worker_command() == [str(bundle), WORKER_ARGUMENT]
    result = cache.import_register(sample_register)
    assert (result.persons, result.documents, result.practices) == (8, 7, 3)


def test_a_bad_record_is_reported_at_the_line_where_it_starts(cache, sample_register, tmp_path):
    """A quoted address can hold a newline: the line given is the record's
    first, where an editor shows the row, not its last."""
    folder = copy_register(sample_register, tmp_path / "bad")
    edit_csv(folder, "persons.csv", lambda r: r + [
        ["S0100", "", "Long", "Address", "", "", "", "", "1 Long Road\nFlat 2", "", "", "", "", "", ""],
        ["S0101", "ZZZ0017", "Bad", "Nhi", "", "", "", "", "3 Some Street\nUnit 4", "", "", "", "", "", ""],
    ])
    with pytest.raises(RegisterRefused) as refused:
        cache.import_register(folder)
    assert refused.value.problems == [
        "persons.csv:12: nhi: 'ZZZ0017' is not a valid NHI (wrong form or check character)"]


def test_a_document_of_a_person_on_an_invalid_row_names_that_row(cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "bad")
    edit_csv(folder, "persons.csv", lambda r: r + [
        ["S0100", "ZZZ0017", "Bad", "Nhi", "", "", "", "", "", "", "", "", "", "", ""]])
    edit_csv(folder, "documents.csv", lambda r: r + [["D99", "S0100", "referral_letter", "", "", "0"]])
    with pytest.raises(RegisterRefused) as refused:
        cache.import_register(folder)
    assert refused.value.problems == [
        "persons.csv:10: nhi: 'ZZZ0017' is not a valid NHI (wrong form or check character)",
        "documents.csv:9: person_id: person 'S0100' is on an invalid row of persons.csv (line 10)",
    ]


def test_the_hub_check_reports_what_the_importer_reports(cache, sample_register, tmp_path):
    """The hub checks a register with the importer's own checks, without a cache."""
    from console.core.register_format import check_register

    folder = copy_register(sample_register, tmp_path / "bad")
    edit_csv(folder, "persons.csv", lambda r: r + [
        ["S0100", "ZZZ0017", "Bad", "Nhi", "", "", "", "", "a\nb", "", "", "", "", "", ""]])
    edit_csv(folder, "documents.csv", lambda r: r + [["D99", "S0100", "referral_letter", "", "", "0"]])
    with pytest.raises(RegisterRefused) as by_hub:
        check_register(folder)
    with pytest.raises(RegisterRefused) as by_importer:
        cache.import_register(folder)
    assert by_hub.value.problems == by_importer.value.problems


def test_the_hub_digest_is_the_one_a_workstation_arrives_at(cache, tmp_path):
    """The hub serves its register with hashes in place of codes (console.hub.registers)."""
    from console.core.codes import hash_code
    from console.core.register_delta import register_digest
    from console.core.register_format import check_register
    from console.store.register.digest import register_digest as cache_digest
    from tests.support.canary import write_register

    def hashed(row):
        code = row.pop("notification_code")
        return dict(row, notification_code="", notification_code_hash=hash_code(code) if code else "")

    folder = write_register(tmp_path / "hashed", [], "hashed-1", ("notification_code_hash",), change=hashed)
    checked = check_register(folder)
    cache.import_register(folder)
    assert register_digest({t: rows.values() for t, rows in checked.rows.items()}) == cache_digest(cache.db)
