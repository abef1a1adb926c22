"""The hub as it runs: `python -m console.hub serve` in its own process, and
its command line, on both backends."""

import socket
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from console.sync.protocol import MAX_BODY_BYTES, SIGN_IN_FAILURES

from tests.hub.bodies import attempt_item, call_item
from tests.hub.conftest import PASSWORD, WORKSTATION, HubProcess, enrolled_in, location_args, run_hub_cli


def add_operator_by_cli(location: dict, operator_id: str, role: str) -> None:
    done = run_hub_cli("operators", "add", operator_id, "--role", role, *location_args(location),
                       env={"HELPLINE_CONSOLE_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    assert f"Added {operator_id} as {role}." in done.stdout


def sign_in(hub, operator_id: str, password: str = PASSWORD, workstation: str = WORKSTATION) -> httpx.Response:
    return httpx.post(f"{hub.url}/v1/sessions", json={"operator_id": operator_id, "password": password,
                                                      "workstation": workstation}, timeout=10, auth=hub.auth)


def test_a_workstation_session_against_a_running_hub(hub_process, database_location):
    add_operator_by_cli(database_location, "op-1", "operator")
    url = hub_process.url
    assert httpx.get(f"{url}/v1/health").json()["ok"] is True
    assert httpx.get(f"{url}/openapi.json").json()["info"]["title"] == "Helpline Console hub"
    reply = sign_in(hub_process, "op-1")
    assert reply.status_code == 200, reply.text
    headers = {"Authorization": f"Bearer {reply.json()['token']}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30, auth=hub_process.auth) as client:
        pushed = client.post("/v1/push", json={"workstation": WORKSTATION, "audit_head": None,
                                               "items": [call_item("c-1", operator="op-1"),
                                                         attempt_item("a-1") | {"body": attempt_item("a-1")["body"]
                                                                                | {"operator": "op-1"}}]})
        assert [r["status"] for r in pushed.json()["results"]] == ["stored", "stored"]
        feed = client.get("/v1/changes").json()
        assert [c["kind"] for c in feed["changes"]] == ["account"]  # one attempt locks nobody: not fed

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(MAX_BODY_BYTES // 65536 + 2):
                yield b" " * 65536

        for content in (chunks(), b" " * (MAX_BODY_BYTES + 1)):  # without and with a Content-Length
            too_big = client.post("/v1/push", content=content, headers={"Content-Type": "application/json"})
            assert too_big.status_code == 413
            assert "larger than the hub accepts" in too_big.json()["error"]
        assert client.get("/v1/stats").status_code == 403
        assert client.delete("/v1/sessions").status_code == 204
        assert client.get("/v1/changes").status_code == 401
    log = hub_process.output()
    assert "signed in: op-1 (operator)" in log
    assert "push from ws-north-1 by op-1: 1 attempt:stored, 1 call:stored" in log
    assert PASSWORD not in log and "Northland" not in log  # ids and counts only, never bodies


def test_hub_processes_share_everything_through_the_database(hub_process, database_location):
    """Two hubs behind one load balancer (the second with two worker
    processes): a token from one works on the other, and failed sign-ins on
    both count toward one limit."""
    add_operator_by_cli(database_location, "sup-1", "supervisor")
    other = HubProcess(database_location, hub_process.folder / "second", workers=2, device=hub_process.device).start()
    try:
        # the live channel crosses processes on PostgreSQL only (console/hub/live.py's Bridge)
        assert ("has its own live channel" in other.output()) == ("data" in database_location)
        token = sign_in(hub_process, "sup-1").json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{other.url}/v1/locked", headers=headers, auth=other.auth).status_code == 200
        for attempt in range(SIGN_IN_FAILURES):
            hub = (hub_process, other)[attempt % 2]
            assert sign_in(hub, "sup-1", "wrong password").status_code == 401
        for hub in (hub_process, other):
            limited = sign_in(hub, "sup-1")
            assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    finally:
        other.stop()


@pytest.mark.parametrize("backend", ["sqlite"])  # the commands' work is the library's, tested on both
def test_operators_on_the_command_line(database_location):
    where = location_args(database_location)
    add_operator_by_cli(database_location, "op-1", "operator")
    assert run_hub_cli("operators", "add", "op-1", "--role", "operator", *where,
                       env={"HELPLINE_CONSOLE_PASSWORD": PASSWORD}).returncode == 2
    short = run_hub_cli("operators", "add", "op-2", "--role", "operator", *where,
                        env={"HELPLINE_CONSOLE_PASSWORD": "short"})
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    no_password = run_hub_cli("operators", "add", "op-3", "--role", "operator", *where,
                              env={"HELPLINE_CONSOLE_PASSWORD": ""})
    assert no_password.returncode == 2 and "HELPLINE_CONSOLE_PASSWORD" in no_password.stderr
    disabled = run_hub_cli("operators", "disable", "op-1", *where)
    assert disabled.returncode == 0 and "Disabled op-1" in disabled.stdout
    assert run_hub_cli("operators", "disable", "nobody", *where).returncode == 2
    listed = run_hub_cli("operators", "list", *where)
    assert listed.returncode == 0 and listed.stdout.split() == ["op-1", "operator", "disabled"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_content_on_the_command_line(database_location, tmp_path):
    where = location_args(database_location)
    first = run_hub_cli("publish-content", *where)
    assert first.returncode == 0 and "Published content version 1" in first.stdout
    again = run_hub_cli("publish-content", *where)
    assert again.returncode == 0 and "already published as version 1" in again.stdout
    refused = run_hub_cli("publish-content", "--from", tmp_path, *where)
    assert refused.returncode == 2 and "Nothing was published." in refused.stderr


def test_serve_refuses_bad_options_and_reports_an_unreachable_database(tmp_path):
    bad_port = run_hub_cli("serve", "--data", tmp_path / "hub", "--port", "70000")
    assert bad_port.returncode == 2 and "--port 70000" in bad_port.stderr
    nowhere = run_hub_cli("serve", "--database-url", "postgresql://hub@127.0.0.1:1/hub?connect_timeout=2",
                          "--database-wait", "1")
    assert nowhere.returncode == 1 and "The hub database cannot be reached (connection" in nowhere.stderr
    assert "cannot be reached yet" in nowhere.stderr  # it was tried again within the second
    for wait in ("-1", "3601", "nan"):
        refused = run_hub_cli("serve", "--data", tmp_path / "hub", "--database-wait", wait)
        assert refused.returncode == 2 and f"--database-wait {wait} is out of range: 0 to 3600" in refused.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = run_hub_cli("serve", "--data", tmp_path / "hub", "--port", taken.getsockname()[1])
    assert busy.returncode == 1 and "could not serve on 127.0.0.1" in busy.stderr
    unsaid = run_hub_cli("stats", env={"HELPLINE_HUB_DATABASE_URL": ""})
    assert unsaid.returncode == 2 and "--data DIR" in unsaid.stderr


def test_a_hub_started_before_its_database_answers_waits_for_it(postgres_database_url, tmp_path):
    """`hub serve` started with (or just after) its PostgreSQL server: a
    connection refused is tried again, and the hub serves once it is made."""
    import threading

    from tests.sync.faultproxy import FaultProxy

    parts = urlsplit(postgres_database_url)
    proxy = FaultProxy(parts.port)
    proxy.set_mode("refuse")
    behind = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    device = enrolled_in({"database_url": postgres_database_url}, WORKSTATION)
    hub = HubProcess({"database_url": behind}, tmp_path, device=device)
    started = []
    starting = threading.Thread(target=lambda: started.append(hub.start()))
    try:
        starting.start()
        assert proxy.refused.wait(60), "the hub never tried its database"
        proxy.set_mode("pass")
        starting.join()
        assert started, "the hub did not start"
        assert httpx.get(f"{hub.url}/v1/health", timeout=10).json()["ok"] is True
        assert "the hub database cannot be reached yet" in hub.output()
    finally:
        hub.stop()
        proxy.close()


def test_a_database_that_refuses_the_hub_is_a_sentence_at_once(postgres_database_url):
    """A refusal that waiting cannot mend (here a database that does not exist)
    is not waited for."""
    parts = urlsplit(postgres_database_url)
    wrong = urlunsplit(parts._replace(path="/no_such_hub_database", query=""))
    refused = run_hub_cli("serve", "--database-url", wrong, "--database-wait", "3600")
    assert refused.returncode == 1 and 'database "no_such_hub_database" does not exist' in refused.stderr
    assert "cannot be reached yet" not in refused.stderr
    malformed = run_hub_cli("serve", "--database-url", "postgresql://hub@127.0.0.1:1/hub?no_such_option=1",
                            "--database-wait", "3600")  # nothing to reach: the address itself is wrong
    assert malformed.returncode == 1 and 'invalid URI query parameter: "no_such_option"' in malformed.stderr
    assert "cannot be reached yet" not in malformed.stderr


def test_a_hub_stopping_at_once_closes_its_database_only_after_the_anchor_signing_ends(tmp_path, monkeypatch):
    """A hub that stops as soon as it started (its port taken, say) ran its first signing of the audit
    heads in a thread while the shutdown closed the database under it: the process ended on SIGSEGV
    (exit -11, seen once in test_serve_refuses_bad_options_and_reports_an_unreachable_database). The
    database is closed only once that signing has ended."""
    import threading
    import warnings

    with warnings.catch_warnings():  # starlette would rather it ran on httpx2, which this project does not install
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    from console.hub import anchors
    from console.hub import app as hub_app

    order, started, release = [], threading.Event(), threading.Event()

    def signing(db):
        order.append("signing")
        started.set()
        release.wait(30)
        order.append("signed")

    real_open = hub_app.open_database

    def opening(**where):
        db = real_open(**where)
        real_close = db.close

        def close():
            order.append("closed")
            real_close()

        db.close = close
        return db

    monkeypatch.setattr(anchors, "sign_heads", signing)
    monkeypatch.setattr(hub_app, "open_database", opening)
    monkeypatch.setenv(hub_app.DATA_ENV, str(tmp_path / "hub"))
    monkeypatch.delenv(hub_app.DATABASE_URL_ENV, raising=False)
    with TestClient(hub_app.create_app()):
        assert started.wait(30)
        # the shutdown starts while the signing is under way; it lets go only once the shutdown waits for it
        threading.Timer(0.5, release.set).start()
    assert order == ["signing", "signed", "closed"]
