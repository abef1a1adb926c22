"""What workstations pull: the change feed, accounts, content and the register snapshot."""

import hashlib
import io
import json
import shutil
import zipfile

import pytest

from console.core.guidance import load_scripts
from console.hub.accounts import add_operator, disable_operator
from console.hub.content import ContentRefused, publish_content
from console.hub.registers import import_register
from console.paths import resources_folder
from console.sync.protocol import DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT

from tests.hub.bodies import attempt_item, callback_item, unlock_item
from tests.hub.conftest import PASSWORD, location_args, run_hub_cli


@pytest.fixture
def operator(hub):
    return hub.token("op-17", "operator")


def test_the_feed_pages_in_seq_order_and_resumes_from_its_cursor(hub, operator):
    hub.push(operator, [callback_item(f"cb-{i:02d}", assigned_to="op-17") for i in range(25)])
    seen, cursor, pages = [], 0, 0
    while True:
        page = hub.client.get("/v1/changes", headers=operator, params={"after": cursor, "limit": 10}).json()
        pages += 1
        seen += page["changes"]
        assert page["cursor"] == (page["changes"][-1]["seq"] if page["changes"] else cursor)
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert pages == 3
    assert [c["seq"] for c in seen] == sorted(c["seq"] for c in seen)
    assert [c["id"] for c in seen if c["kind"] == "callback"] == [f"cb-{i:02d}" for i in range(25)]
    assert seen[0] == {"seq": 1, "kind": "account", "id": "op-17", "body": seen[0]["body"]}
    # nothing new: an empty page that keeps the cursor
    assert hub.client.get("/v1/changes", headers=operator, params={"after": cursor}).json() == {
        "changes": [], "cursor": cursor, "more": False}
    # exactly a full page left: "more" is false only when nothing follows
    page = hub.client.get("/v1/changes", headers=operator, params={"after": seen[-11]["seq"], "limit": 10}).json()
    assert len(page["changes"]) == 10 and page["more"] is False


def feed(hub, headers, after=0) -> list[dict]:
    return hub.client.get("/v1/changes", headers=headers, params={"after": after}).json()["changes"]


def test_the_feed_carries_a_persons_lock_state_not_the_attempts_or_who_made_them(hub, operator):
    from datetime import timedelta

    from console.core.timeutil import now, utc_text

    moment = now().replace(microsecond=0)
    times = [utc_text(moment - timedelta(hours=h)) for h in (3, 2, 1)]
    hub.push(operator, [attempt_item("a-1", at=times[0]), attempt_item("a-2", at=times[1])])
    assert [c["kind"] for c in feed(hub, operator)] == ["account"]  # two attempts lock nobody: nothing to tell
    elsewhere = hub.token("op-2", workstation="ws-2")
    third = attempt_item("a-3", at=times[2], workstation="ws-2")
    third["body"]["operator"] = "op-2"
    assert hub.push(elsewhere, [third], workstation="ws-2").json()["results"][0]["status"] == "stored"
    changes = feed(hub, operator)
    assert [c for c in changes if c["kind"] not in ("account",)] == [
        {"seq": changes[-1]["seq"], "kind": "lock", "id": "P0001",
         "body": {"person_id": "P0001", "locked_from": times[2],
                  "locked_until": utc_text(moment - timedelta(hours=3) + timedelta(hours=24))}}]
    supervisor = hub.token("sup-1", "supervisor")
    unlock = unlock_item("u-1", at=utc_text(moment))
    unlock["body"]["operator"] = "sup-1"
    assert hub.push(supervisor, [unlock]).json()["results"][0]["status"] == "stored"
    after_unlock = feed(hub, operator, changes[-1]["seq"])
    assert [(c["kind"], c["body"]) for c in after_unlock if c["kind"] != "account"] == [
        ("unlock", {"unlock_id": "u-1", "person_id": "P0001", "at": unlock["body"]["at"]}),
        ("lock", {"person_id": "P0001", "locked_from": None, "locked_until": None})]
    for change in feed(hub, operator):
        assert not {"operator", "workstation", "attempt_id"} & set(change["body"]), change


def test_a_callback_is_fed_only_to_the_operator_assigned_and_to_supervisors(hub, operator):
    booked_elsewhere = hub.token("op-3", workstation="ws-2")
    hub.push(booked_elsewhere, [callback_item("cb-theirs", workstation="ws-2"),
                                callback_item("cb-mine", workstation="ws-2", assigned_to="op-17")], workstation="ws-2")
    supervisor = hub.token("sup-1", "supervisor", workstation="ws-office")
    page = hub.client.get("/v1/changes", headers=operator).json()
    assert [c["id"] for c in page["changes"] if c["kind"] == "callback"] == ["cb-mine"]
    everything = hub.client.get("/v1/changes", headers=supervisor).json()
    assert [c["id"] for c in everything["changes"] if c["kind"] == "callback"] == ["cb-theirs", "cb-mine"]
    assert page["cursor"] == everything["cursor"]  # what is held back is passed, not waited for


def test_feed_limits_are_checked(hub, operator):
    for params in ({"limit": 0}, {"limit": MAX_CHANGES_LIMIT + 1}, {"after": -1}, {"after": "x"}):
        reply = hub.client.get("/v1/changes", headers=operator, params=params)
        assert reply.status_code == 400, params
        assert reply.json()["error"].startswith("The query parameter ")
    assert hub.client.get("/v1/changes", headers=operator, params={"limit": MAX_CHANGES_LIMIT}).status_code == 200
    assert DEFAULT_CHANGES_LIMIT <= MAX_CHANGES_LIMIT


def test_accounts_reach_the_feed_with_a_verifier_the_workstation_accepts(hub):
    """The hash is made as a workstation makes its own, so its own check accepts it."""
    import sqlite_utils

    from console.store.operators import check_password
    from console.store.schema import migrate

    add_operator(hub.db, "sup-1", "supervisor", PASSWORD, created_by="test")
    disable_operator(hub.db, "sup-1")
    headers = hub.token("op-1")
    accounts = [c for c in hub.client.get("/v1/changes", headers=headers).json()["changes"] if c["kind"] == "account"]
    assert [(c["id"], c["body"]["disabled"]) for c in accounts] == [("sup-1", False), ("sup-1", True), ("op-1", False)]
    body = accounts[0]["body"]
    assert set(body) == {"operator_id", "role", "password_hash", "disabled", "must_change"}
    workstation = sqlite_utils.Database(memory=True)
    migrate(workstation)
    workstation.execute("INSERT INTO operators (operator_id, role, password_hash, disabled, created_at) "
                        "VALUES (?, ?, ?, 0, '2026-01-06')", [body["operator_id"], body["role"], body["password_hash"]])
    assert check_password(workstation, "sup-1", PASSWORD) == "supervisor"


def test_accounts_follow_the_workstations_rules(hub):
    from console.hub.accounts import AccountError

    for operator_id, role, password, problem in (
        ("bad id!", "operator", PASSWORD, "not a usable operator id"),
        ("op-2", "boss", PASSWORD, "not a role"),
        ("op-2", "operator", "short", "at least"),
    ):
        with pytest.raises(AccountError, match=problem):
            add_operator(hub.db, operator_id, role, password, created_by="test")
    add_operator(hub.db, "op-2", "operator", PASSWORD, created_by="test")
    with pytest.raises(AccountError, match="already"):
        add_operator(hub.db, "op-2", "operator", PASSWORD, created_by="test")
    with pytest.raises(AccountError, match="no operator"):
        disable_operator(hub.db, "nobody")


# content


def test_content_is_published_as_numbered_versions_once_each(hub, operator, tmp_path):
    assert publish_content(hub.db) == (1, True)
    assert publish_content(hub.db) == (1, False)  # the same content again: nothing new
    folder = tmp_path / "resources"
    shutil.copytree(resources_folder(), folder, ignore=shutil.ignore_patterns("screenshots", "styles"))
    opening = folder / "guidance" / "opening.md"
    version = load_scripts()["opening"].version  # a new version of the opening: the same words, numbered on
    opening.write_text(opening.read_text(encoding="utf-8").replace(f"version: {version}", f"version: {version + 1}"),
                       encoding="utf-8")
    assert publish_content(hub.db, folder) == (2, True)
    content = [c for c in hub.client.get("/v1/changes", headers=operator).json()["changes"] if c["kind"] == "content"]
    assert [c["id"] for c in content] == ["1", "2"]
    body = content[1]["body"]
    assert body["version"] == 2
    assert body["scripts"]["opening.md"] == opening.read_text(encoding="utf-8")
    assert set(body["scripts"]) == {p.name for p in (resources_folder() / "guidance").glob("*.md")}
    assert body["services"] == json.loads((resources_folder() / "services.json").read_text(encoding="utf-8"))


def test_content_that_would_break_the_call_screen_is_refused(hub, tmp_path):
    folder = tmp_path / "resources"
    shutil.copytree(resources_folder(), folder, ignore=shutil.ignore_patterns("screenshots", "styles"))
    (folder / "guidance" / "closing.md").unlink()
    with pytest.raises(ContentRefused, match="there is no script 'closing'"):
        publish_content(hub.db, folder)
    with pytest.raises(ContentRefused, match="is not a resources folder"):
        publish_content(hub.db, tmp_path / "empty")
    with hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM content") == 0


# the register


def read_snapshot(hub, headers, seq: int, size: int, chunk: int) -> bytes:
    data, offset = b"", 0
    while offset < size:
        reply = hub.client.get(f"/v1/register/{seq}/snapshot", headers=headers,
                               params={"offset": offset, "length": chunk})
        assert reply.status_code == 200 and reply.headers["content-type"] == "application/octet-stream"
        assert 0 < len(reply.content) <= chunk
        data += reply.content
        offset += len(reply.content)
    return data


def test_a_register_imported_by_the_command_line_is_served_in_chunks(hub, operator, database_location,
                                                                     sample_register, tmp_path):
    assert hub.client.get("/v1/register", headers=operator).status_code == 404
    archive = tmp_path / "register.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sample_register.iterdir():
            z.write(path, f"register-sample/{path.name}")
    done = run_hub_cli("import-register", archive, *location_args(database_location))
    assert done.returncode == 0, done.stderr
    assert "in service as register 1" in done.stdout
    entry = hub.client.get("/v1/register", headers=operator).json()
    assert entry["seq"] == 1 and entry["register_version"] == "sample-2026-01-05.1"
    assert (entry["persons"], entry["documents"]) == (8, 7)
    # the register as given, each notification code replaced by its hash (issue 14)
    served = read_snapshot(hub, operator, 1, entry["size"], chunk=100)
    assert entry["sha256"] == hashlib.sha256(served).hexdigest()
    with zipfile.ZipFile(io.BytesIO(served)) as z:
        persons = z.read("persons.csv").decode("utf-8")
    assert "7QF2-M9DA" not in persons and "$argon2id$" in persons and "12 Kerikeri Road" in persons
    # what a workstation makes of the snapshot has the digest the hub announced
    from console.store.connection import open_cache
    from console.store.register.digest import register_digest
    from console.store.register.swap import import_register as import_on_workstation

    workstation = open_cache(tmp_path / "workstation.db")
    import_on_workstation(workstation, read_snapshot(hub, operator, 1, entry["size"], chunk=4096))
    assert register_digest(workstation) == entry["digest"]
    workstation.close()
    feed = [c for c in hub.client.get("/v1/changes", headers=operator).json()["changes"] if c["kind"] == "register"]
    assert feed == [{"seq": feed[0]["seq"], "kind": "register", "id": "1", "body": entry}]


def test_a_register_folder_is_zipped_the_same_way_every_time(hub, sample_register):
    first, imported = import_register(hub.db, sample_register)
    assert imported and first["seq"] == 1
    again, imported = import_register(hub.db, sample_register)
    assert (again, imported) == (first, False)
    with zipfile.ZipFile(io.BytesIO(read_snapshot_bytes(hub, 1))) as z:
        assert sorted(z.namelist()) == ["documents.csv", "manifest.json", "persons.csv", "practices.csv"]


def read_snapshot_bytes(hub, seq: int) -> bytes:
    """The snapshot as stored, opened (it is sealed: console/hub/sealing.py)."""
    with hub.db.read() as tx:
        return hub.db.sealer.open_blob("registers", str(seq), "snapshot",
                                       tx.value("SELECT snapshot FROM registers WHERE seq = ?", [seq]))


def test_a_refused_register_changes_nothing_and_exits_2(hub, database_location, sample_register, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(sample_register, broken)
    with open(broken / "persons.csv", "a", encoding="utf-8") as f:
        f.write("tampered\n")
    done = run_hub_cli("import-register", broken, *location_args(database_location))
    assert done.returncode == 2
    assert "persons.csv: its SHA-256 differs from manifest.json" in done.stderr
    assert "The register was not imported" in done.stderr
    with hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM registers") == 0
        assert tx.value("SELECT count(*) FROM changes") == 0
    missing = run_hub_cli("import-register", tmp_path / "nowhere", *location_args(database_location))
    assert missing.returncode == 2 and "no such folder or file" in missing.stderr


def test_snapshot_ranges_are_checked(hub, operator, sample_register):
    entry, _ = import_register(hub.db, sample_register)
    size = entry["size"]

    def get(seq, **params):
        return hub.client.get(f"/v1/register/{seq}/snapshot", headers=operator, params=params)

    assert get(1, offset=size - 1).content == read_snapshot_bytes(hub, 1)[-1:]
    assert get(1, offset=size - 10, length=100).content == read_snapshot_bytes(hub, 1)[-10:]
    past = get(1, offset=size)
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{size}"
    assert f"{size} bytes" in past.json()["error"]
    assert get(2).status_code == 404 and "no register 2" in get(2).json()["error"]
    for params in ({"offset": -1}, {"length": 0}, {"length": 4 * 1024 * 1024 + 1}, {"offset": "start"}):
        reply = get(1, **params)
        assert reply.status_code == 400 and reply.json()["error"].startswith("The query parameter "), params
    assert get("one").status_code == 400
    assert get(0).status_code == 400
