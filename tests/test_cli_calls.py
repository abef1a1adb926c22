"""The call-log commands end to end, in a child process as automation runs them."""

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STATS_KEYS = ["calls", "by_outcome", "by_caller_type", "by_region", "by_operator", "verification", "disclosed",
              "handle_time_seconds", "escalations"]
EXPORT_KEYS = ["call_id", "started_at", "ended_at", "operator", "caller_type", "relationship", "person_id",
               "verification", "assurance",
               "disclosed_status", "guidance_delivered", "topics", "flags", "outcome", "region", "notes", "scam_report",
               "register_version", "workstation"]


def call(**changes) -> dict:
    rec = {
        "call_id": str(uuid.uuid4()),
        "started_at": "2026-01-06T09:12:00+13:00",
        "ended_at": "2026-01-06T09:19:30+13:00",
        "operator": "op-17",
        "caller_type": "patient",
        "person_id": None,
        "verification": "not_verified",
        "assurance": None,
        "disclosed_status": None,
        "guidance_delivered": [{"id": "opening", "version": "1"}, {"id": "not-verified", "version": "2"}],
        "topics": ["am-i-affected", "scam"],
        "flags": ["distress"],
        "outcome": "callback",
        "region": "Northland",
        "notes": "Caller upset; ā macron kept",
        "scam_report": {"channel": "text", "contact": "+64 21 000 0000", "claimed_identity": "Te Whatu Ora",
                        "asked_for": "card number"},
    }
    rec.update(changes)
    return rec


def ok_json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "cache.db"


def stats(cli, db, *extra) -> dict:
    return ok_json(cli("--db", db, "stats", "--json", *extra))


def test_log_call_from_stdin(cli, db):
    rec = call()
    got = ok_json(cli("--db", db, "log-call", "--json", input_text=json.dumps(rec)))
    assert got == {"call_id": rec["call_id"]}
    again = cli("--db", db, "log-call", input_text=json.dumps(rec))
    assert again.returncode == 0 and "already saved" in again.stdout
    assert stats(cli, db)["calls"] == 1


def test_call_id_made_when_absent(cli, db):
    rec = call()
    del rec["call_id"]
    got = ok_json(cli("--db", db, "log-call", "--json", input_text=json.dumps(rec)))
    assert str(uuid.UUID(got["call_id"])) == got["call_id"]


def test_log_call_from_file_with_bom(cli, db, tmp_path):
    rec = call()
    path = tmp_path / "one.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(rec, indent=2, ensure_ascii=False).encode("utf-8"))
    assert ok_json(cli("--db", db, "log-call", "--file", path, "--json")) == {"call_id": rec["call_id"]}
    exported = cli("--db", db, "export-calls", "--format", "jsonl")
    (line,) = exported.stdout.splitlines()
    assert json.loads(line)["notes"] == rec["notes"]


def test_operator_option_fills_in(cli, db):
    rec = call()
    del rec["operator"]
    refused = cli("--db", db, "log-call", "--json", input_text=json.dumps(rec))
    assert refused.returncode == 2 and "operator" in refused.stderr
    assert not db.exists(), "a refused record must not even create the cache"
    ok_json(cli("--db", db, "--operator", "op-cli", "log-call", "--json", input_text=json.dumps(rec)))
    assert stats(cli, db)["by_operator"] == {"op-cli": 1}
    rec["call_id"] = str(uuid.uuid4())
    ok_json(cli("--db", db, "log-call", "--json", input_text=json.dumps(rec), env={"HELPLINE_CONSOLE_OPERATOR": "op-env"}))
    assert stats(cli, db)["by_operator"] == {"op-cli": 1, "op-env": 1}


def test_json_lines_batch(cli, db, tmp_path):
    records = [call(), call(outcome="escalated", region=None), call(verification="verified", assurance="knowledge",
                                                                     disclosed_status="affected", outcome="resolved")]
    path = tmp_path / "batch.jsonl"
    # U+2028 is legal inside a JSON string and must not split a line
    records[0]["notes"] = "first\u2028second"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", encoding="utf-8")
    got = ok_json(cli("--db", db, "--operator", "op-x", "log-call", "--file", path, "--json"))
    assert got == {"call_ids": [r["call_id"] for r in records], "stored": 3}
    # idempotent: the same file again stores nothing
    again = ok_json(cli("--db", db, "log-call", "--file", path, "--json"))
    assert again == {"call_ids": [r["call_id"] for r in records], "stored": 0}
    text = cli("--db", db, "log-call", "--file", path)
    assert text.returncode == 0 and "Saved 0 new calls of 3" in text.stdout
    s = stats(cli, db)
    assert s["calls"] == 3 and s["escalations"] == 1 and s["disclosed"]["affected"] == 1
    # one new among old ones
    extra = call()
    path.write_text("\n".join(json.dumps(r) for r in records + [extra]), encoding="utf-8")
    assert ok_json(cli("--db", db, "log-call", "--file", path, "--json"))["stored"] == 1


def test_json_list_batch_from_stdin(cli, db):
    records = [call(), call()]
    got = ok_json(cli("--db", db, "log-call", "--json", input_text=json.dumps(records)))
    assert got == {"call_ids": [r["call_id"] for r in records], "stored": 2}


def test_one_bad_line_stores_nothing(cli, db, tmp_path):
    ok_json(cli("--db", db, "log-call", "--json", input_text=json.dumps(call())))  # the cache exists already
    good = [call() for _ in range(4)]
    bad = call(outcome="hung_up")
    lines = [json.dumps(good[0]), json.dumps(good[1]), "", json.dumps(bad), json.dumps(good[2])]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = cli("--db", db, "log-call", "--file", path, "--json")
    assert refused.returncode == 2
    errors = json.loads(refused.stdout)["errors"]
    assert any(e.startswith("line 4: ") and "hung_up" in e for e in errors), errors
    assert "line 4: " in refused.stderr and "Nothing was stored" in refused.stderr
    assert stats(cli, db)["calls"] == 1

    # broken JSON on a line
    lines[3] = '{"call_id": "x", '
    path.write_text("\n".join(lines), encoding="utf-8")
    refused = cli("--db", db, "log-call", "--file", path)
    assert refused.returncode == 2 and "line 4" in refused.stderr and "not valid JSON" in refused.stderr
    assert stats(cli, db)["calls"] == 1

    # several problems on several lines: all reported
    lines[3] = json.dumps(call(caller_type="alien"))
    lines[4] = json.dumps(call(ended_at="2026-01-06T09:00:00+13:00"))
    path.write_text("\n".join(lines), encoding="utf-8")
    refused = cli("--db", db, "log-call", "--file", path, "--json")
    errors = json.loads(refused.stdout)["errors"]
    assert refused.returncode == 2
    assert any(e.startswith("line 4: ") for e in errors) and any(e.startswith("line 5: ") for e in errors)
    assert stats(cli, db)["calls"] == 1


def test_refusals(cli, db, tmp_path):
    empty = cli("--db", db, "log-call", "--json", input_text="  \n")
    assert empty.returncode == 2 and json.loads(empty.stdout)["errors"]
    missing = cli("--db", db, "log-call", "--file", tmp_path / "nope.jsonl")
    assert missing.returncode == 2 and "cannot be read" in missing.stderr
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps(call(notes="caf\u00e9"), ensure_ascii=False).encode("latin-1"))
    not_utf8 = cli("--db", db, "log-call", "--file", latin)
    assert not_utf8.returncode == 2 and "UTF-8" in not_utf8.stderr and "Traceback" not in not_utf8.stderr
    # undecodable bytes on standard input, and a lone surrogate escaped in JSON
    raw = subprocess.run([sys.executable, "-m", "console", "--db", str(db), "log-call"], cwd=REPO, capture_output=True,
                         input=json.dumps(call(notes="café"), ensure_ascii=False).encode("latin-1"), timeout=120)
    assert raw.returncode == 2 and b"not UTF-8" in raw.stderr and b"Traceback" not in raw.stderr
    surrogate = cli("--db", db, "log-call", input_text=json.dumps(call(notes="\ud800")))
    assert surrogate.returncode == 2 and "notes holds text that is not valid Unicode" in surrogate.stderr
    unknown = cli("--db", db, "log-call", input_text=json.dumps(call(mood="grumpy")))
    assert unknown.returncode == 2 and "mood" in unknown.stderr
    assert not db.exists()


def test_stats_shape_and_values(cli, db, tmp_path):
    empty = stats(cli, db)
    assert list(empty) == STATS_KEYS
    assert empty == {"calls": 0, "by_outcome": {}, "by_caller_type": {}, "by_region": {}, "by_operator": {},
                     "verification": {"verified": 0, "not_verified": 0, "not_attempted": 0},
                     "disclosed": {"affected": 0, "not_affected": 0},
                     "handle_time_seconds": {"median": None, "p90": None}, "escalations": 0}
    records = [
        call(started_at="2026-01-06T09:00:00+13:00", ended_at="2026-01-06T09:01:00+13:00", region=None),
        call(started_at="2026-01-06T10:00:00+13:00", ended_at="2026-01-06T10:03:00+13:00", outcome="escalated",
             operator="op-2"),
        call(started_at="2026-01-05T23:00:00Z", ended_at="2026-01-05T23:10:00Z", caller_type="media",
             verification="verified", disclosed_status="not_affected", region="Otago"),
    ]
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    ok_json(cli("--db", db, "log-call", "--file", path, "--json"))
    got = stats(cli, db)
    assert got == {
        "calls": 3,
        "by_outcome": {"callback": 2, "escalated": 1},
        "by_caller_type": {"media": 1, "patient": 2},
        "by_region": {"Northland": 1, "Otago": 1},
        "by_operator": {"op-17": 2, "op-2": 1},
        "verification": {"verified": 1, "not_verified": 2, "not_attempted": 0},
        "disclosed": {"affected": 0, "not_affected": 1},
        "handle_time_seconds": {"median": 180.0, "p90": 516.0},
        "escalations": 1,
    }
    # half-open window on started_at, offsets respected
    one = stats(cli, db, "--since", "2026-01-06T09:00:00+13:00", "--until", "2026-01-05T21:00:00Z")
    assert one["calls"] == 1 and one["handle_time_seconds"] == {"median": 60.0, "p90": None}
    assert stats(cli, db, "--since", "2026-01-06T12:00:00+13:00")["calls"] == 1
    assert stats(cli, db, "--until", "2026-01-06T09:00:00+13:00")["calls"] == 0
    text = cli("--db", db, "stats")
    assert text.returncode == 0 and "Calls: 3" in text.stdout
    assert "Handle time: median 180 s, p90 516 s" in text.stdout and "by region: Northland 1, Otago 1" in text.stdout


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_stats_bad_window(cli, db, option):
    bad = cli("--db", db, "stats", option, "2026-01-06T09:00:00", "--json")
    assert bad.returncode == 2
    (error,) = json.loads(bad.stdout)["errors"]
    assert option in error and "offset" in error
    far = cli("--db", db, "stats", option, "0001-01-01T00:00:00+13:00", "--json")
    assert far.returncode == 2 and option in json.loads(far.stdout)["errors"][0]
    backwards = cli("--db", db, "stats", "--since", "2026-01-07T00:00:00Z", "--until", "2026-01-06T00:00:00Z")
    assert backwards.returncode == 2 and "--until is before --since" in backwards.stderr


def load(cli, db, tmp_path, records):
    path = tmp_path / "load.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    ok_json(cli("--db", db, "log-call", "--file", path, "--json"))


def run_bytes(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console", *map(str, args)], capture_output=True, cwd=REPO,
                          env={**os.environ, "PYTHONIOENCODING": "latin-1"}, timeout=120)


def test_export_csv(cli, db, tmp_path, sample_register):
    imported = cli("--db", db, "import-register", sample_register, "--json")
    assert imported.returncode == 0, imported.stderr
    records = [call(started_at="2026-01-06T10:00:00+13:00", ended_at="2026-01-06T10:05:00+13:00",
                    notes="=HYPERLINK(\"http://evil\")", caller_type="representative", relationship="parent"),
               call(started_at="2026-01-06T09:00:00+13:00", ended_at="2026-01-06T09:05:00+13:00")]
    load(cli, db, tmp_path, records)
    # standard output: bytes are UTF-8 with a BOM whatever the terminal's encoding
    out = run_bytes("--db", db, "export-calls", "--json")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(b"\xef\xbb\xbf")
    text = out.stdout.decode("utf-8-sig")
    assert "\r\r\n" not in text and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == EXPORT_KEYS
    assert len(rows) == 3
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert [b["call_id"] for b in body] == [records[1]["call_id"], records[0]["call_id"]]  # oldest first
    first = body[0]
    assert first["guidance_delivered"] == "opening@1;not-verified@2"
    assert first["topics"] == "am-i-affected;scam" and first["flags"] == "distress"
    assert first["register_version"] == "sample-2026-01-05.1" and first["workstation"]
    assert first["notes"] == "Caller upset; ā macron kept" and first["person_id"] == ""
    assert json.loads(first["scam_report"])["contact"] == "+64 21 000 0000"
    # a formula in free text is written so a spreadsheet shows it as text
    assert body[1]["notes"] == "'=HYPERLINK(\"http://evil\")"
    # a representative's relationship to the patient is in the record, and so in its export (trap 6)
    assert (body[1]["caller_type"], body[1]["relationship"]) == ("representative", "parent")
    assert first["relationship"] == ""

    out_file = tmp_path / "calls.csv"
    written = cli("--db", db, "export-calls", "--output", out_file, "--since", "2026-01-06T09:30:00+13:00")
    assert written.returncode == 0 and written.stdout == "" and "Exported 1 calls" in written.stderr
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + ",".join(EXPORT_KEYS).encode() + b"\r\n")
    assert raw.count(b"\r\n") == 2
    # exports are audited
    audit = ok_json(cli("--db", db, "audit", "list", "--kind", "export", "--json"))["entries"]
    assert [(e["detail"]["what"], e["detail"]["rows"]) for e in audit][:2] == [("calls", 2), ("calls", 1)]


def test_exports_are_owner_only_and_no_cell_reads_as_a_formula(cli, db, tmp_path, sample_register):
    ok_json(cli("--db", db, "import-register", sample_register, "--json"))
    notes = [" =1+1", "\n+cmd|' /C calc'!A0", "\t@SUM(A1)", "\uff1dHYPERLINK(\"http://evil\")", "\u3000\uff0b1",
             "\uff0d1", "\uff20x", "-2+3"]
    load(cli, db, tmp_path, [call(started_at=f"2026-01-06T09:0{i}:00+13:00", ended_at=f"2026-01-06T09:0{i}:30+13:00",
                                  notes=note) for i, note in enumerate(notes)])
    for fmt in ("csv", "jsonl"):
        path = tmp_path / f"calls.{fmt}"
        path.write_text("an older export, readable by all")
        path.chmod(0o644)
        assert cli("--db", db, "export-calls", "--format", fmt, "--output", path).returncode == 0
        assert path.stat().st_mode & 0o777 == 0o600
        new = tmp_path / f"new.{fmt}"
        assert cli("--db", db, "export-calls", "--format", fmt, "--output", new).returncode == 0
        assert new.stat().st_mode & 0o777 == 0o600
    with open(tmp_path / "calls.csv", encoding="utf-8-sig", newline="") as f:
        assert [row["notes"] for row in csv.DictReader(f)] == ["'" + note for note in notes]


def test_export_jsonl(cli, db, tmp_path, sample_register):
    ok_json(cli("--db", db, "import-register", sample_register, "--json"))
    records = [call(), call(verification="verified", assurance="possession", disclosed_status="affected",
                            person_id="S0008")]
    load(cli, db, tmp_path, records)
    out = cli("--db", db, "export-calls", "--format", "jsonl", "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 2
    by_id = {line["call_id"]: line for line in lines}
    for rec in records:
        got = by_id[rec["call_id"]]
        assert list(got) == EXPORT_KEYS
        assert got["register_version"] == "sample-2026-01-05.1" and got["workstation"]
        assert {k: got[k] for k in rec} == rec
    path = tmp_path / "calls.jsonl"
    assert cli("--db", db, "export-calls", "--format", "jsonl", "--output", path).returncode == 0
    assert [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] == lines
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    # the export round-trips through log-call (extra keys refused, so strip them): idempotent
    stripped = tmp_path / "again.jsonl"
    stripped.write_text("\n".join(json.dumps({k: v for k, v in x.items() if k not in ("register_version", "workstation")})
                                  for x in lines), encoding="utf-8")
    assert ok_json(cli("--db", db, "log-call", "--file", stripped, "--json"))["stored"] == 0
    empty = cli("--db", db, "export-calls", "--format", "jsonl", "--since", "2030-01-01T00:00:00Z")
    assert empty.returncode == 0 and empty.stdout == ""
    unwritable = cli("--db", db, "export-calls", "--output", tmp_path / "no-such-dir" / "x.csv")
    assert unwritable.returncode == 2 and "cannot be written" in unwritable.stderr


def test_callbacks_cli(cli, db, sample_register):
    ok_json(cli("--db", db, "import-register", sample_register, "--json"))
    match = ok_json(cli("--db", db, "--operator", "op-a", "callbacks", "book", "--family-name", "Pōtae",
                        "--given-name", "Wiremu", "--dob", "1944-12-24", "--json"))
    nobody = ok_json(cli("--db", db, "--operator", "op-a", "callbacks", "book", "--family-name", "Nobody",
                         "--given-name", "Here", "--dob", "1970-01-01", "--json"))
    assert list(match) == list(nobody) == ["callback_id", "due_at", "status"]
    assert match["status"] == nobody["status"] == "booked"
    text = cli("--db", db, "--operator", "op-a", "callbacks", "book", "--family-name", "Nobody",
               "--given-name", "Here", "--dob", "1970-01-01")
    assert text.returncode == 0 and text.stdout.startswith("Callback ") and "booked" in text.stdout

    listed = ok_json(cli("--db", db, "callbacks", "list", "--json"))["callbacks"]
    assert [r["callback_id"] for r in listed] == [match["callback_id"]]
    assert listed[0]["numbers"] == ["09 401 7777"]
    raw = cli("--db", db, "callbacks", "list", "--which", "all", "--json").stdout
    assert "S0008" not in raw and "person_ids" not in raw
    assert len(json.loads(raw)["callbacks"]) == 3

    assigned = ok_json(cli("--db", db, "callbacks", "assign", match["callback_id"], "op-b", "--json"))
    assert assigned == {"callback_id": match["callback_id"], "assigned_to": "op-b"}
    mine = ok_json(cli("--db", db, "callbacks", "list", "--assigned-to", "op-b", "--json"))["callbacks"]
    assert [r["callback_id"] for r in mine] == [match["callback_id"]]
    assert ok_json(cli("--db", db, "callbacks", "list", "--which", "due", "--json"))["callbacks"][0]["callback_id"] == \
        match["callback_id"]

    done = ok_json(cli("--db", db, "--operator", "op-b", "callbacks", "complete", match["callback_id"],
                       "--outcome", "answered", "--json"))
    assert done == {"callback_id": match["callback_id"], "status": "closed", "outcome": "answered"}
    again = cli("--db", db, "callbacks", "complete", match["callback_id"], "--outcome", "no_answer", "--json")
    assert again.returncode == 2 and "already closed" in json.loads(again.stdout)["errors"][0]
    assert ok_json(cli("--db", db, "callbacks", "list", "--json")) == {"callbacks": []}
    audit = ok_json(cli("--db", db, "audit", "list", "--kind", "export", "--json"))["entries"]
    assert [e["detail"]["what"] for e in audit].count("callbacks") == 5  # the five lists above
    kinds = [e["kind"] for e in ok_json(cli("--db", db, "audit", "list", "--json"))["entries"]]
    assert kinds.count("callback_booked") == 3 and kinds.count("callback_completed") == 1
    assert "callback_countersigned" not in kinds
    assert ok_json(cli("--db", db, "audit", "verify", "--json"))["ok"] is True

    # the answered callback lets check-caller verify with possession once another supervisor countersigned it
    def check_with_callback():
        return ok_json(cli("--db", db, "check-caller", "--family-name", "Potae", "--given-name", "Wiremu",
                           "--dob", "1944-12-24", "--callback", match["callback_id"], "--json"))

    assert check_with_callback()["outcome"] == "not_verified"  # op-b's own word confirms nothing
    own = cli("--db", db, "--operator", "op-b", "callbacks", "countersign", match["callback_id"], "--json")
    assert own.returncode == 2 and "they placed themselves" in json.loads(own.stdout)["errors"][0]
    signed = ok_json(cli("--db", db, "--operator", "sup-c", "callbacks", "countersign", match["callback_id"], "--json"))
    assert signed == {"callback_id": match["callback_id"], "countersigned_by": "sup-c"}
    checked = check_with_callback()
    assert checked["outcome"] == "verified" and checked["assurance"] == "possession"

    bad_due = cli("--db", db, "callbacks", "book", "--dob", "1944-12-24", "--due", "tomorrow", "--json")
    assert bad_due.returncode == 2 and "--due" in json.loads(bad_due.stdout)["errors"][0]
    missing = cli("--db", db, "callbacks", "assign", "no-such-id", "op-b")
    assert missing.returncode == 2 and "no callback" in missing.stderr


@pytest.mark.slow(seconds=10)
def test_who_may_attest_what_on_the_command_line(cli, db, sample_register):
    """Policy v2 with accounts: log-call refuses a call credited to someone else (but takes a supervisor's paper
    entry), `verified` with no check behind it, a person not in the register, a future date; check-caller refuses
    a call more than 12 hours past from an operator; a self-answered callback never verifies; and an operator's
    refusals for a callback read alike whether anyone matched or not."""
    from datetime import datetime, timedelta, timezone

    ok_json(cli("--db", db, "import-register", sample_register, "--json"))
    passwords = {"admin-1": "admin password 1", "op-1": "operator password 1", "sup-1": "supervisor password 1"}
    cli("--db", db, "operators", "add", "admin-1", "--role", "admin",
        env={"HELPLINE_CONSOLE_PASSWORD": passwords["admin-1"]})
    for who, role in (("op-1", "operator"), ("sup-1", "supervisor")):
        ok_json(cli("--db", db, "--operator", "admin-1", "--json", "operators", "add", who, "--role", role,
                    env={"HELPLINE_CONSOLE_PASSWORD": passwords["admin-1"],
                         "HELPLINE_CONSOLE_NEW_PASSWORD": passwords[who]}))

    def as_(who, *args, input_text=None):
        return cli("--db", db, "--operator", who, "--json", *args, input_text=input_text,
                   env={"HELPLINE_CONSOLE_PASSWORD": passwords[who]})

    now = datetime.now(timezone.utc).replace(microsecond=0)
    recent = dict(started_at=(now - timedelta(minutes=3)).isoformat(), ended_at=now.isoformat())

    def refused(result, words):
        assert result.returncode == 2, result.stdout
        assert words in " ".join(json.loads(result.stdout)["errors"])

    refused(as_("op-1", "log-call", input_text=json.dumps(call(**recent, operator="sup-1"))), "credited to sup-1")
    paper = call(**recent, operator="op-1")
    assert ok_json(as_("sup-1", "log-call", input_text=json.dumps(paper)))["call_id"] == paper["call_id"]
    verified = dict(recent, operator="op-1", person_id="S0008", verification="verified", assurance="possession",
                    disclosed_status="affected")
    refused(as_("op-1", "log-call", input_text=json.dumps(call(**verified))), "no check by op-1 verified S0008")
    refused(as_("op-1", "log-call", input_text=json.dumps(call(**dict(recent, operator="op-1", person_id="NOPE")))),
            "not in the register")
    later = (now + timedelta(hours=1)).isoformat()
    refused(as_("op-1", "log-call", input_text=json.dumps(call(operator="op-1", started_at=later, ended_at=later))),
            "in the future")
    refused(as_("op-1", "log-call", input_text=json.dumps(call(operator="op-1"))), "only a supervisor")
    checked = ok_json(as_("op-1", "check-caller", "--family-name", "Pōtae", "--given-name", "Wiremu",
                          "--dob", "1944-12-24", "--code", "BILL-2024"))
    assert checked["outcome"] == "verified"
    assert "call_id" in ok_json(as_("op-1", "log-call", input_text=json.dumps(call(**verified))))
    refused(as_("op-1", "check-caller", "--family-name", "X", "--given-name", "Y", "--dob", "1970-01-01",
                "--at", (now - timedelta(hours=13)).isoformat()), "only a supervisor")
    refused(as_("op-1", "check-caller", "--family-name", "X", "--given-name", "Y", "--dob", "1970-01-01",
                "--at", later), "in the future")

    # callbacks: the booking operator cannot tell a match from nobody, and cannot attest their own answer
    match = ok_json(as_("op-1", "callbacks", "book", "--family-name", "Pōtae", "--given-name", "Wiremu",
                        "--dob", "1944-12-24"))
    nobody = ok_json(as_("op-1", "callbacks", "book", "--family-name", "Nobody", "--given-name", "Here",
                         "--dob", "1970-01-01"))
    answers = []
    for booked in (match, nobody):
        result = as_("op-1", "callbacks", "complete", booked["callback_id"], "--outcome", "answered")
        assert result.returncode == 2
        answers.append(json.loads(result.stdout)["errors"][0].replace(booked["callback_id"], "ID"))
    assert answers[0] == answers[1] and "no_number_on_file" not in answers[0]
    ok_json(as_("sup-1", "callbacks", "assign", match["callback_id"], "op-1"))
    ok_json(as_("op-1", "callbacks", "complete", match["callback_id"], "--outcome", "answered"))
    by_callback = ("check-caller", "--family-name", "Pōtae", "--given-name", "Wiremu", "--dob", "1944-12-24",
                   "--callback", match["callback_id"])
    assert ok_json(as_("op-1", *by_callback))["outcome"] == "not_verified"
    refused_role = as_("op-1", "callbacks", "countersign", match["callback_id"])
    assert refused_role.returncode == 1 and "supervisor" in refused_role.stderr
    ok_json(as_("sup-1", "callbacks", "countersign", match["callback_id"]))
    assert ok_json(as_("op-1", *by_callback))["assurance"] == "possession"
