"""Call record validation (cli.md, "Call record"): one sentence per problem."""

import uuid

import pytest

from console.core.calls import NOTES_MAX, CallRecordInvalid, handle_seconds, validate_call_record

GOOD = {
    "started_at": "2026-01-06T09:12:00+13:00",
    "ended_at": "2026-01-06T09:19:30+13:00",
    "operator": "op-17",
    "caller_type": "patient",
    "person_id": None,
    "verification": "not_attempted",
    "guidance_delivered": [{"id": "opening", "version": "1"}],
    "topics": ["am-i-affected"],
    "outcome": "resolved",
    "region": "Northland",
}


def record(**changes):
    r = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            r.pop(key, None)
        else:
            r[key] = value
    return r


def problems_of(rec, **kwargs) -> list[str]:
    with pytest.raises(CallRecordInvalid) as info:
        validate_call_record(rec, **kwargs)
    problems = info.value.problems
    assert problems, "an invalid record must name at least one problem"
    for p in problems:
        assert isinstance(p, str) and p.strip()
        assert p.rstrip().endswith("."), f"not a sentence: {p!r}"
    assert str(info.value) == "\n".join(problems)
    return problems


def test_good_record_normalised():
    out = validate_call_record(dict(GOOD))
    assert set(out) == {
        "call_id", "started_at", "ended_at", "operator", "caller_type", "person_id", "verification", "assurance",
        "disclosed_status", "guidance_delivered", "topics", "flags", "outcome", "region", "notes", "scam_report",
    }
    assert out["started_at"] == GOOD["started_at"]
    assert out["operator"] == "op-17"
    assert out["flags"] == [] and out["scam_report"] is None and out["assurance"] is None
    assert out["guidance_delivered"] == [{"id": "opening", "version": "1"}]
    assert handle_seconds(out) == 450.0


def test_call_id_made_when_absent_and_kept_when_given():
    a = validate_call_record(record(call_id=...))
    b = validate_call_record(record(call_id=None))
    c = validate_call_record(record(call_id=""))
    for made in (a, b, c):
        assert str(uuid.UUID(made["call_id"])) == made["call_id"]
    assert len({a["call_id"], b["call_id"], c["call_id"]}) == 3
    given = str(uuid.uuid4())
    assert validate_call_record(record(call_id=given))["call_id"] == given


@pytest.mark.parametrize("bad", ["has space", "../../etc", "x" * 65, 12, ["a"]])
def test_bad_call_id(bad):
    (p,) = problems_of(record(call_id=bad))
    assert "call_id" in p


def test_unknown_keys_named():
    (p,) = problems_of(record(caller="Bob", zz_extra=1))
    assert "unknown keys" in p and "caller" in p and "zz_extra" in p


@pytest.mark.parametrize("key", ["started_at", "ended_at"])
@pytest.mark.parametrize("value,words", [
    ("2026-01-06T09:12:00", "no UTC offset"),
    ("2026-01-06", "no UTC offset"),
    ("yesterday at nine", "not an ISO 8601"),
    ("2026-13-45T09:00:00+13:00", "not an ISO 8601"),
])
def test_bad_times(key, value, words):
    problems = problems_of(record(**{key: value}))
    assert len(problems) == 1
    assert key in problems[0] and words in problems[0] and value in problems[0]


@pytest.mark.parametrize("value", [12345, ["2026-01-06T09:12:00+13:00"], {"at": "x"}])
def test_times_that_are_not_text(value):
    (p,) = problems_of(record(started_at=value))
    assert "started_at" in p


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+13:00", "9999-12-31T23:00:00-05:00",
                                   "1899-12-31T23:59:59Z", "3000-01-01T00:00:00Z"])
def test_times_out_of_range(value):
    start, end = problems_of(record(started_at=value, ended_at=value))
    assert "started_at" in start and "ended_at" in end
    assert "between the years 1900 and 2999" in start and "between the years" in end


def test_times_stored_trimmed():
    out = validate_call_record(record(started_at=" 2026-01-06T09:12:00+13:00\n"))
    assert out["started_at"] == "2026-01-06T09:12:00+13:00"


def test_z_and_offsets_accepted():
    out = validate_call_record(record(started_at="2026-01-05T20:12:00Z", ended_at="2026-01-06T09:13:00+13:00"))
    assert handle_seconds(out) == 60.0


def test_ended_before_started():
    (p,) = problems_of(record(ended_at="2026-01-06T09:11:59+13:00"))
    assert "ended_at" in p and "before started_at" in p
    # equal is fine; the same instant written in another offset too
    ok = validate_call_record(record(ended_at="2026-01-05T20:12:00+00:00"))
    assert handle_seconds(ok) == 0.0
    # 08:15+12:00 is 20:15Z, after 09:12+13:00 (20:12Z), though it reads earlier
    assert handle_seconds(validate_call_record(record(ended_at="2026-01-06T08:15:00+12:00"))) == 180.0


@pytest.mark.parametrize("verification", ["not_verified", "not_attempted"])
def test_disclosed_status_needs_verification(verification):
    (p,) = problems_of(record(verification=verification, disclosed_status="affected"))
    assert "disclosed_status" in p and "not verified" in p
    ok = validate_call_record(record(verification="verified", disclosed_status="not_affected", assurance="knowledge"))
    assert ok["disclosed_status"] == "not_affected" and ok["assurance"] == "knowledge"


@pytest.mark.parametrize("verification", ["not_verified", "not_attempted"])
def test_assurance_only_on_verified(verification):
    (p,) = problems_of(record(verification=verification, assurance="possession"))
    assert "assurance" in p
    assert validate_call_record(record(verification=verification, assurance=None))["assurance"] is None


def test_notes_limit():
    assert validate_call_record(record(notes="n" * NOTES_MAX))["notes"] == "n" * NOTES_MAX
    assert NOTES_MAX == 4000
    # characters, not bytes: 4,000 macronised letters are fine
    assert len(validate_call_record(record(notes="ā" * 4000))["notes"]) == 4000
    (p,) = problems_of(record(notes="n" * (NOTES_MAX + 1)))
    assert "notes" in p and "4,001" in p and "4,000" in p
    (p,) = problems_of(record(notes=42))
    assert "notes" in p


@pytest.mark.parametrize("key,value,named", [
    ("caller_type", "journalist", "caller_type"),
    ("verification", "maybe", "verification"),
    ("outcome", "hung_up", "outcome"),
    ("assurance", "vibes", "assurance"),
    ("disclosed_status", "partly", "disclosed_status"),
    ("flags", ["distress", "angry"], "angry"),
    ("scam_report", {"channel": "pigeon"}, "channel"),
    ("guidance_delivered", [{"id": "opening", "version": "1"}, {"id": "pep-talk", "version": "1"}], "pep-talk"),
])
def test_unknown_enum_values(key, value, named):
    rec = record(**{key: value})
    if key in ("assurance", "disclosed_status"):
        rec["verification"] = "verified"
    (p,) = problems_of(rec)
    assert named in p
    if isinstance(value, str):
        assert repr(value) in p


@pytest.mark.parametrize("key", ["caller_type", "verification", "outcome", "started_at", "ended_at"])
@pytest.mark.parametrize("missing", [..., None, ""])
def test_required_fields_once_each(key, missing):
    (p,) = problems_of(record(**{key: missing}))
    assert key in p and "required" in p


def test_operator_from_record_or_option():
    assert validate_call_record(record(operator=...), operator="op-cli")["operator"] == "op-cli"
    assert validate_call_record(record(operator="op-rec"), operator="op-cli")["operator"] == "op-rec"
    (p,) = problems_of(record(operator=...))
    assert "operator" in p


def test_scam_report():
    full = {"channel": "text", "contact": "+64 21 000 0000", "claimed_identity": "IRD", "asked_for": "bank login"}
    assert validate_call_record(record(scam_report=full))["scam_report"] == full
    partial = validate_call_record(record(scam_report={"channel": "call"}))["scam_report"]
    assert partial == {"channel": "call", "contact": None, "claimed_identity": None, "asked_for": None}
    assert validate_call_record(record(scam_report=None))["scam_report"] is None
    assert validate_call_record(record(scam_report={}))["scam_report"] is None
    (p,) = problems_of(record(scam_report={"channel": "call", "amount": 5}))
    assert "amount" in p
    (p,) = problems_of(record(scam_report="by text"))
    assert "scam_report" in p
    (p,) = problems_of(record(scam_report={"contact": "x"}))
    assert "channel" in p and "required" in p


def test_optional_lists_absent_empty_or_null():
    for value in (..., [], None):
        out = validate_call_record(record(flags=value, topics=value, guidance_delivered=value))
        assert out["flags"] == [] and out["topics"] == [] and out["guidance_delivered"] == []
    assert validate_call_record(record(flags=["media", "media", "distress"]))["flags"] == ["media", "distress"]


def test_guidance_shape():
    assert validate_call_record(record(guidance_delivered=[{"id": "closing", "version": 2}]))["guidance_delivered"] == [
        {"id": "closing", "version": "2"}
    ]
    (p,) = problems_of(record(guidance_delivered=[{"id": "opening"}]))
    assert "guidance_delivered[0]" in p
    (p,) = problems_of(record(guidance_delivered=["opening"]))
    assert "guidance_delivered[0]" in p
    (p,) = problems_of(record(guidance_delivered=[{"id": "opening", "version": True}]))
    assert "version" in p


def test_not_an_object():
    (p,) = problems_of(["not", "a", "record"])
    assert "JSON object" in p


def test_where_prefixes_every_sentence():
    problems = problems_of(record(outcome="x", caller_type="y"), where="line 3: ")
    assert len(problems) == 2
    assert all(p.startswith("line 3: ") for p in problems)


def test_every_problem_reported_together():
    bad = {
        "call_id": "bad id!",
        "started_at": "2026-01-06T09:12:00",
        "ended_at": "soon",
        "caller_type": "alien",
        "verification": "not_verified",
        "assurance": "possession",
        "disclosed_status": "affected",
        "flags": ["grumpy"],
        "outcome": "vanished",
        "notes": "x" * 4001,
        "scam_report": {"channel": "fax"},
        "guidance_delivered": [{"id": "nope", "version": "1"}],
        "colour": "blue",
    }
    problems = problems_of(bad)
    text = "\n".join(problems)
    for needle in ("colour", "call_id", "started_at", "ended_at", "alien", "assurance", "disclosed_status",
                   "grumpy", "vanished", "4,001", "fax", "nope", "operator"):
        assert needle in text, needle
    assert len(problems) == 13


def test_text_that_is_not_unicode():
    # json.loads turns "\ud800" into a lone surrogate, which cannot be stored as UTF-8
    (p,) = problems_of(record(notes="caf\ud800"))
    assert p.startswith("notes holds text that is not valid Unicode")
    (p,) = problems_of(record(topics=["ok", "\udce9"], scam_report={"channel": "call", "contact": "\udfff"}))
    assert "topics" in p and "scam_report" in p
    (p,) = problems_of(record(**{"\ud800": 1}), where="line 2: ")
    assert p.startswith("line 2: \\ud800 holds")


def test_a_call_row_is_the_record_as_both_calls_tables_hold_it():
    from console.core.calls import call_row

    out = validate_call_record(record(started_at="2026-01-06T09:12:00+13:00", ended_at="2026-01-06T09:19:30+13:00"))
    row = call_row(out, workstation="ws-1", register_version="r-1", saved_at="2026-01-06T00:00:00.000000+00:00",
                   text="{}")
    assert row["started_utc"] == "2026-01-05T20:12:00.000000+00:00"
    assert row["handle_seconds"] == 450.0
    assert (row["workstation"], row["register_version"], row["record"]) == ("ws-1", "r-1", "{}")
    assert list(row)[:2] == ["call_id", "started_at"] and list(row)[-2:] == ["saved_at", "record"]
