"""console.core.codes: notification codes as argon2id hashes (policy v2)."""

import time

from argon2 import PasswordHasher, extract_parameters
from argon2.low_level import Type

from console.core.codes import MEMORY_KIB, ParallelHasher, code_mac, hash_code, hash_problem, verify_code


def test_a_hash_records_its_parameters_and_its_own_salt():
    first, second = hash_code("K7QF-2M9D"), hash_code("K7QF-2M9D")
    assert first != second  # a salt of its own
    parameters = extract_parameters(first)
    assert (parameters.type, parameters.memory_cost, parameters.time_cost) == (Type.ID, 4096, 1)
    assert parameters.memory_cost * 1024 >= 4 * 1024 * 1024
    assert "K7QF" not in first


def test_a_code_verifies_however_it_is_written_and_nothing_else_does():
    stored = hash_code("K7QF-2M9D")
    for written in ("K7QF-2M9D", "k7qf 2m9d", " K7QF2M9D ", "k7qf-2m9d"):
        assert verify_code(written, stored)
    for wrong in ("K7QF-2M9E", "", None, "K7QF"):
        assert not verify_code(wrong, stored)
    assert not verify_code("K7QF-2M9D", None) and not verify_code("K7QF-2M9D", "not a hash")


def test_one_guess_costs_at_least_a_millisecond_of_cpu():
    stored = hash_code("K7QF-2M9D")
    start = time.process_time()
    for _ in range(20):
        verify_code("WRONG-123", stored)
    assert (time.process_time() - start) / 20 >= 0.001
    assert MEMORY_KIB >= 4096


def test_weak_or_foreign_hashes_from_a_register_are_refused_with_a_sentence():
    assert hash_problem(hash_code("K7QF-2M9D")) is None
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("K7QF2M9D")
    assert "m=1024" in hash_problem(weak) and "4 MiB" in hash_problem(weak)
    assert "argon2id" in hash_problem("$2b$12$abcdefghijklmnopqrstuv")
    argon2i = PasswordHasher(memory_cost=4096, type=Type.I).hash("K7QF2M9D")
    assert "argon2id" in hash_problem(argon2i)
    assert "more than a check" in hash_problem(PasswordHasher(time_cost=50, memory_cost=4096).hash("X"))
    # a register's own strong enough hash verifies the code as the policy normalises it
    theirs = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=2).hash("K7QF2M9D")
    assert hash_problem(theirs) is None and verify_code("k7qf-2m9d", theirs)


def test_the_parallel_hasher_hashes_every_code_in_order_with_progress():
    seen = []
    codes = [f"CODE-{i:04d}" for i in range(ParallelHasher.INLINE + 10)]
    with ParallelHasher(seen.append, processes=2) as hasher:
        hashes = hasher(codes)
    assert hasher.hashed == len(codes) and seen[-1] == len(codes)
    assert verify_code(codes[0], hashes[0]) and verify_code(codes[-1], hashes[-1])
    assert not verify_code(codes[1], hashes[0])


def test_the_keyed_digest_depends_on_key_person_and_code_only():
    key = b"k" * 32
    assert code_mac(key, "P1", "k7qf 2m9d") == code_mac(key, "P1", "K7QF-2M9D")
    assert code_mac(key, "P1", "K7QF-2M9D") != code_mac(key, "P2", "K7QF-2M9D")
    assert code_mac(key, "P1", "K7QF-2M9D") != code_mac(b"j" * 32, "P1", "K7QF-2M9D")
