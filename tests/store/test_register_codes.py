"""Issue 14 on a standalone workstation: codes hashed at the door, a
register's own `notification_code_hash` kept, weak hashes refused, and no
code or street address in the cache, the rejects file or the problems."""

from datetime import date

import pytest
from argon2 import PasswordHasher

from console.core.codes import hash_code
from console.core.policy import CallerClaim
from console.core.register_format import RegisterRefused
from tests.support.canary import CANARY, canary_register, code_forms, every_value, write_register


def canary_claim(code):
    return CallerClaim(CANARY["family_name"], "Tui", date.fromisoformat(CANARY["date_of_birth"]), code=code)


def test_a_standalone_import_hashes_each_code_and_keeps_no_address(cache, tmp_path):
    stages = []
    cache.import_register(canary_register(tmp_path / "r"), progress=lambda stage, done, total: stages.append(stage))
    cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    dumped = every_value(cache.db)
    for form in code_forms(CANARY["notification_code"]):
        assert form not in dumped
    assert CANARY["address"].encode() not in dumped and b"7QF2-M9DA" not in dumped  # a sample code too
    assert cache.verify_caller(canary_claim("QZ7X CN4R Y9")).decision.verified
    assert not cache.verify_caller(canary_claim("QZ7X-CN4R-YY")).decision.verified
    # the sample's own callers still verify by their code
    sample = CallerClaim("Ngāti-Rēhia", "Hine", date(1968, 2, 29), code="7qf2-m9da")
    assert cache.verify_caller(sample).decision.verified


def test_a_register_with_hashes_instead_of_codes_is_imported_and_verifies(cache, tmp_path):
    theirs = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=2).hash("QZ7XCN4RY9")
    person = dict(CANARY, notification_code="", notification_code_hash=theirs)
    cache.import_register(write_register(tmp_path / "r", [person], "hashed-1",
                                         extra_columns=("notification_code_hash",)))
    assert cache.db.execute("SELECT notification_code_hash FROM persons WHERE person_id = ?",
                            [CANARY["person_id"]]).fetchone()[0] == theirs
    assert cache.verify_caller(canary_claim("qz7x-cn4r-y9")).decision.verified


def test_a_weak_hash_is_refused_with_a_sentence_and_changes_nothing(sample_cache, tmp_path):
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("QZ7XCN4RY9")
    person = dict(CANARY, notification_code="", notification_code_hash=weak)
    folder = write_register(tmp_path / "r", [person], "weak-1", extra_columns=("notification_code_hash",))
    with pytest.raises(RegisterRefused) as refused:
        sample_cache.import_register(folder)
    assert refused.value.problems == [
        "persons.csv:10: notification_code_hash: the hash uses 1024 KiB of memory (m=1024); the policy asks at least "
        "m=4096 (4 MiB): hash the codes again with stronger parameters"]
    assert sample_cache.db.execute("SELECT value FROM meta WHERE key = 'register_version'").fetchone()[0] == \
        "sample-2026-01-05.1"


def test_a_row_with_both_a_code_and_a_hash_is_refused_without_showing_the_code(sample_cache, tmp_path):
    person = dict(CANARY, notification_code_hash=hash_code(CANARY["notification_code"]))
    folder = write_register(tmp_path / "r", [person], "both-1", extra_columns=("notification_code_hash",))
    with pytest.raises(RegisterRefused) as refused:
        sample_cache.import_register(folder)
    assert refused.value.problems[0].startswith("persons.csv:10: notification_code_hash: a row holds")
    assert not any(form.decode() in str(refused.value) for form in code_forms(CANARY["notification_code"]))


def test_a_rejects_file_never_holds_a_code(cache, tmp_path):
    invalid = dict(CANARY, date_of_birth="14/07/1961")
    rejects = tmp_path / "rejects.csv"
    cache.import_register(write_register(tmp_path / "r", [invalid], "bad-1"), skip_invalid=True, rejects=rejects)
    written = rejects.read_bytes()
    assert CANARY["person_id"].encode() in written
    for form in code_forms(CANARY["notification_code"]):
        assert form not in written
