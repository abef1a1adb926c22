"""The command line's core commands as an administrator runs them: JSON shapes, exit codes."""

import json


def j(result):
    return json.loads(result.stdout)


def test_import_check_search_unlock(cli, tmp_path, sample_register):
    db = tmp_path / "c.db"
    imported = cli("--db", db, "import-register", sample_register, "--json")
    assert imported.returncode == 0, imported.stderr
    assert j(imported) == {"register_version": "sample-2026-01-05.1", "persons": 8, "documents": 7, "practices": 3}

    verified = cli("check-caller", "--db", db, "--json", "--family-name", "Ngāti-Rēhia", "--given-name", "Hine",
                   "--dob", "1968-02-29", "--code", "7QF2-M9DA", "--flag", "distress", "--flag", "extortion")
    assert j(verified) == {
        "outcome": "verified", "assurance": "possession", "person_id": "S0001", "affected_status": "affected",
        "documents": [{"category": "referral_letter", "document_date": "2023-04-11", "sensitive": False},
                      {"category": "discharge_summary", "document_date": "2024-01-30", "sensitive": True}],
        "guidance": ["opening", "wellbeing-support", "status-affected", "sensitive-support", "identity-protection",
                     "password-2fa", "scam-awareness", "extortion", "closing"],
    }
    for _ in range(3):
        # two strong factors in a valid form that are not his: a check that could verify (policy v2), and fails
        failed = cli("--db", db, "--json", "check-caller", "--family-name", "Tupou", "--given-name", "Sione",
                     "--dob", "1990-06-15", "--phone", "021 999 8888", "--email", "guess@example.com",
                     "--at", "2026-01-06T09:00:00+13:00")
        assert j(failed) == {"outcome": "not_verified",
                             "guidance": ["opening", "not-verified", "password-2fa", "scam-awareness", "closing"]}
        assert "insufficient" not in failed.stdout + failed.stderr
    locked = cli("--db", db, "--json", "check-caller", "--family-name", "Tupou", "--given-name", "Sione",
                 "--dob", "1990-06-15", "--nhi", "ZAA0067", "--phone", "0229876543", "--at", "2026-01-06T10:00:00+13:00")
    assert j(locked)["outcome"] == "not_verified" and "locked" not in locked.stdout
    unlocked = cli("--db", db, "--json", "unlock", "S0003")
    assert j(unlocked) == {"person_id": "S0003", "cleared_attempts": 3}
    again = cli("--db", db, "--json", "check-caller", "--family-name", "Tupou", "--given-name", "Sione",
                "--dob", "1990-06-15", "--nhi", "ZAA0067", "--phone", "0229876543", "--at", "2026-01-06T10:00:00+13:00")
    assert j(again)["outcome"] == "verified" and "documents" not in j(again)

    found = cli("--db", db, "--json", "search", "--name", "sione tupou")
    assert [r["person_id"] for r in j(found)["results"]] == ["S0003"]


def test_refused_input_exits_2_with_a_sentence(cli, tmp_path, sample_register):
    db = tmp_path / "c.db"
    bad_dob = cli("--db", db, "--json", "check-caller", "--family-name", "X", "--given-name", "Y", "--dob", "12/4/1975")
    assert bad_dob.returncode == 2
    assert "--dob '12/4/1975' is not a date written YYYY-MM-DD" in bad_dob.stderr
    assert j(bad_dob)["errors"]
    bad_at = cli("--db", db, "check-caller", "--at", "2026-01-06T09:00:00")
    assert bad_at.returncode == 2 and "has no UTC offset" in bad_at.stderr
    nothing = cli("--db", db, "search")
    assert nothing.returncode == 2 and "Give at least one of" in nothing.stderr
    missing = cli("--db", db, "import-register", tmp_path / "nowhere")
    assert missing.returncode == 2 and "no such folder or file" in missing.stderr


def test_demo_register_command_and_audit_verify(cli, tmp_path):
    out = tmp_path / "demo"
    made = cli("--json", "demo-register", out, "--persons", "500", "--seed", "7")
    assert made.returncode == 0, made.stderr
    assert j(made)["counts"]["persons"] == 500
    db = tmp_path / "c.db"
    assert cli("--db", db, "import-register", out).returncode == 0
    verified = cli("--db", db, "--json", "audit", "verify")
    assert j(verified)["ok"] is True and j(verified)["entries"] == 1
