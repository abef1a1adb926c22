import json
import sys
from pathlib import Path

import pytest

from console.core.guidance import (
    Script,
    check_guidance,
    load_scripts,
    load_services,
    numbers_in,
    render,
)
from console.core.policy import GUIDANCE_IDS
from console.paths import RESOURCES_ENV, resource_path

SAMPLE_CALL = {"caller_name": "Mere Ngātā", "register_version": "3"}


@pytest.fixture(scope="module")
def scripts():
    return load_scripts()


@pytest.fixture(scope="module")
def services():
    return load_services()


def write_script(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# the shipped scripts and services


def test_every_guidance_id_has_a_script_with_that_id(scripts):
    assert set(scripts) == set(GUIDANCE_IDS)
    for script_id, script in scripts.items():
        assert script.id == script_id
        assert (resource_path("guidance") / f"{script_id}.md").is_file()


def test_every_script_has_a_version_and_a_title(scripts):
    for script in scripts.values():
        assert isinstance(script.version, int) and script.version >= 1, script.id
        assert script.title.strip(), script.id
        assert script.body.strip(), script.id


def test_shipped_guidance_is_complete(scripts, services):
    check_guidance(scripts, services)


@pytest.mark.parametrize("script_id", GUIDANCE_IDS)
def test_every_placeholder_renders(scripts, services, script_id):
    rendered = render(scripts[script_id], SAMPLE_CALL, services)
    assert "{" not in rendered and "}" not in rendered
    assert "[caller's name]" not in rendered
    assert "[register version]" not in rendered


@pytest.mark.parametrize("script_id", GUIDANCE_IDS)
def test_every_number_a_caller_hears_is_in_the_services_file(scripts, services, script_id):
    rendered = render(scripts[script_id], SAMPLE_CALL, services)
    assert numbers_in(rendered) <= services.all_numbers()


@pytest.mark.parametrize("script_id", GUIDANCE_IDS)
def test_no_script_writes_a_phone_number_itself(scripts, script_id):
    script = scripts[script_id]
    assert numbers_in(script.title) == set()
    assert numbers_in(script.body) == set()


def test_services_file_holds_the_helpline_and_key_services(services):
    assert numbers_in(services.helpline.number) == {"".join(services.helpline.number.split())}
    assert services.helpline.hours
    assert services["police-non-emergency"].number == "105"
    assert services["emergency"].number == "111"
    assert services["need-to-talk"].number == "1737"
    for service in services:
        assert service.number or service.web, service.id
    assert {"105", "111", "1737", "0800543354"} <= services.all_numbers()


def test_scripts_that_send_callers_elsewhere_name_the_right_services(scripts):
    assert {"police-non-emergency", "ncsc", "netsafe"} <= scripts["extortion"].service_ids
    assert {"centrix", "equifax", "illion", "idcare"} <= scripts["identity-protection"].service_ids
    assert {"need-to-talk", "lifeline", "healthline", "emergency"} <= scripts["wellbeing-support"].service_ids
    assert {"privacy-commissioner", "health-and-disability-commissioner"} <= scripts["complaint-rights"].service_ids


# rendering


def test_render_keeps_macrons_in_the_callers_name(scripts, services):
    rendered = render(scripts["closing"], {"caller_name": "Tūhoe Ngāwai-Rēhia"}, services)
    assert "Tūhoe Ngāwai-Rēhia" in rendered


def test_render_shows_a_readable_prompt_for_a_missing_value(services):
    script = Script("closing", 1, "Wrapping up", "Thank you, {caller_name}.\n")
    assert render(script, {}, services) == "Thank you, [caller's name].\n"
    assert render(script, {"caller_name": "  "}, services) == "Thank you, [caller's name].\n"


def test_render_takes_helpline_details_from_the_services_file(services):
    script = Script("closing", 1, "Wrapping up", "Call {helpline_number}, {helpline_hours}.\n")
    rendered = render(script, {"helpline_number": "0800 999 999"}, services)
    assert rendered == f"Call {services.helpline.number}, {services.helpline.hours}.\n"


def test_render_shows_a_service_as_name_on_number(services):
    script = Script("wellbeing-support", 1, "Support", "Call {service:healthline}.\n")
    assert render(script, {}, services) == "Call Healthline on 0800 611 116.\n"


def test_render_refuses_an_unknown_service(services):
    script = Script("extortion", 1, "Contacted", "Call {service:ghostbusters}.\n")
    with pytest.raises(ValueError, match="ghostbusters"):
        render(script, {}, services)


# finding numbers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Call Police on 105, or 111 in an emergency.", {"105", "111"}),
        ("Call or text 1737.", {"1737"}),
        ("Need to talk? on 1737 (1737.org.nz)", {"1737"}),
        ("Lifeline on 0800 543 354, or text 4357.", {"0800543354", "4357"}),
        ("Ring (04) 498-7654 or +64 9 123 4567.", {"044987654", "6491234567"}),
        ("Open 8am–8pm, 7 days; under 16 needs a parent.", set()),
        ("NHI ZZZ0016 is not a phone number.", set()),
    ],
)
def test_numbers_in_finds_phone_like_runs(text, expected):
    assert numbers_in(text) == expected


# bad scripts


GOOD_SCRIPT = "---\nid: opening\nversion: 1\ntitle: Welcome\n---\nKia ora, {caller_name}.\n"


def test_a_good_script_loads(tmp_path):
    write_script(tmp_path, "opening.md", GOOD_SCRIPT)
    scripts = load_scripts(tmp_path)
    assert scripts["opening"] == Script("opening", 1, "Welcome", "Kia ora, {caller_name}.\n")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Kia ora.\n", "front-matter"),
        ("---\nid: opening\nversion: 1\ntitle: Welcome\nKia ora.\n", "never closed"),
        ("---\nversion: 1\ntitle: Welcome\n---\nKia ora.\n", "no 'id'"),
        ("---\nid: opening\ntitle: Welcome\n---\nKia ora.\n", "no 'version'"),
        ("---\nid: opening\nversion: 1\n---\nKia ora.\n", "no 'title'"),
        ("---\nid: closing\nversion: 1\ntitle: Welcome\n---\nKia ora.\n", "does not match the file name"),
        ("---\nid: opening\nversion: one\ntitle: Welcome\n---\nKia ora.\n", "version"),
        ("---\nid: opening\nversion: 1\ntitle: Welcome\nauthor: Sam\n---\nKia ora.\n", "unknown field 'author'"),
        ("---\nid: opening\nversion: 1\ntitle: Welcome\n---\nKia ora, {caller_nmae}.\n", "unknown placeholder"),
        ("---\nid: opening\nversion: 1\ntitle: Welcome\n---\nKia ora, {caller_name.\n", "placeholder"),
        ("---\nid: opening\nversion: 1\ntitle: Welcome\n---\n\n", "nothing after"),
    ],
)
def test_bad_front_matter_names_the_file(tmp_path, text, problem):
    write_script(tmp_path, "opening.md", text)
    with pytest.raises(ValueError) as raised:
        load_scripts(tmp_path)
    assert "opening.md" in str(raised.value)
    assert problem in str(raised.value)


def test_check_guidance_reports_missing_scripts_and_unknown_services(tmp_path, services):
    write_script(tmp_path, "opening.md", GOOD_SCRIPT.replace("{caller_name}", "{service:no-such-line}"))
    with pytest.raises(ValueError) as raised:
        check_guidance(load_scripts(tmp_path), services)
    assert "'closing'" in str(raised.value)
    assert "no-such-line" in str(raised.value)


# bad services


def test_bad_services_file_names_the_file(tmp_path):
    path = tmp_path / "services.json"
    data = {
        "version": "1",
        "helpline": {"name": "Helpline", "number": "0800 000 000", "hours": "8am–8pm, 7 days"},
        "services": [{"id": "healthline", "name": "Healthline", "number": "call us"}],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="services.json.*not a phone number"):
        load_services(path)
    data["services"] = [{"id": "healthline", "name": "Healthline"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="services.json.*'number' or a 'web'"):
        load_services(path)


# where resources come from


def test_resources_folder_can_be_moved_by_environment(tmp_path, monkeypatch):
    (tmp_path / "guidance").mkdir()
    write_script(tmp_path / "guidance", "opening.md", GOOD_SCRIPT)
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path))
    assert resource_path("guidance") == tmp_path / "guidance"
    assert set(load_scripts()) == {"opening"}


def test_resources_default_to_the_folder_beside_the_package(monkeypatch):
    monkeypatch.delenv(RESOURCES_ENV, raising=False)
    assert resource_path("services.json") == Path(__file__).resolve().parents[2] / "resources" / "services.json"


def test_a_frozen_build_reads_resources_from_its_bundle(tmp_path, monkeypatch):
    monkeypatch.delenv(RESOURCES_ENV, raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("guidance") == tmp_path / "resources" / "guidance"


def test_hub_content_gives_the_same_scripts_and_services_as_the_files():
    from console.core.guidance import content_guidance, load_scripts, load_services
    from console.hub.content import read_content

    scripts, services = content_guidance(read_content())
    assert scripts == load_scripts()
    assert services == load_services()


def test_hub_content_with_a_broken_script_is_refused_with_its_name():
    from console.core.guidance import content_guidance
    from console.hub.content import read_content

    content = read_content()
    content["scripts"]["opening.md"] = content["scripts"]["opening.md"].replace("id: opening", "id: other")
    with pytest.raises(ValueError, match="opening.md"):
        content_guidance(content)


def test_the_opening_leaves_nothing_in_brackets_to_read_out(scripts, services):
    """It said "My name is [your first name]", read out as written on a busy day."""
    rendered = render(scripts["opening"], SAMPLE_CALL, services)
    spoken = [line for line in rendered.splitlines() if not line.startswith(">")]
    assert not any("[" in line or "]" in line for line in spoken), spoken


# (id, version) → the sha256 of the script's title and body: a script whose words change is a new version,
# since call records name the version delivered. Changed a script? Raise its version and record it here.
SCRIPT_VERSIONS = {
    ("opening", 1): "c6226324def8e306c9b3e86dac22fd45e1aff691a5b04f61d5a48944fb3ac38c",
    ("closing", 1): "4bb73c18486a87353b0ecf4e27d20417c8fe2837cf274f2942143071358c0fe8",
    ("complaint-rights", 1): "2ecf8e5100ff3809d2e2e902666bb354ed13f4eda67e2e31d5d4564b27fc857b",
    ("extortion", 1): "32ea670c3ab87dd2bfacaf18babc4a92728e746bfca1c7b124ae02bc8d96fcb9",
    ("identity-protection", 1): "5bea5351086bb1f4cd57e65a181464730f5cc2b4c53d93c18063fc4575f635bd",
    ("media-referral", 1): "447eac16de81a7a556b5baba5c34f2521f270ac5d9216e82f91a0c0ff8a4dead",
    ("not-verified", 1): "3592bb820be6066d6daf10e21b03bb5915e0fd3ce8a40fa7adca7456b0078bc0",
    ("offer-details", 1): "185280e0dbfaee0ef1fe713207ee72650f3ca70968fba1f7ad5e6451b5fb8d47",
    ("opening", 2): "e4ec00fb80e36836094da86566f0d6cca6dc6a84ee067a890fa674e93f3cc729",
    ("password-2fa", 1): "5d2adcbd15aa72d8af9b6438207f0c55e9da59d97c1de688e96cb4bdfd592ed7",
    ("scam-awareness", 1): "ac98385e711eb96cf305e902a871c19f15df41e0c3d7e864f47580eeaa2ce2c5",
    ("sensitive-support", 1): "f13f67db5b058b765971c1132732afd37fd714f121ecc9f44a13791621623dea",
    ("status-affected", 1): "c4bbe15162d399696952e2fc170eec57ef7e685fb8d59c7ff655c48954e00e6c",
    ("status-not-affected", 1): "3909d56e1b71813417eef2db0f4e42265a3aba7cdf8c1716c512c6abb8f07c42",
    ("wellbeing-support", 1): "bdbdb18b70fb4ca13ff3a26834539a3fe1a9c2e677eba4d4191f8b09eeb5c75c",
}


def script_digest(script) -> str:
    import hashlib

    return hashlib.sha256(f"{script.title}\n{script.body}".encode("utf-8")).hexdigest()


def test_a_script_whose_words_changed_has_a_new_version(scripts):
    for script in scripts.values():
        key, digest = (script.id, script.version), script_digest(script)
        assert key in SCRIPT_VERSIONS, f"a new version: record {key!r}: {digest!r} in SCRIPT_VERSIONS"
        assert SCRIPT_VERSIONS[key] == digest, (
            f"{script.id} changed but is still version {script.version}: raise its version and record "
            f"({script.id!r}, {script.version + 1}): {digest!r}")
