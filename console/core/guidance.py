"""Guidance scripts and the support services they point callers to.

A script is a Markdown file in `resources/guidance/`, named `<id>.md`, opening
with a small front-matter block (id, version, title). Lines starting with `> `
are notes for the operator; everything else is what to say.

Every phone number a caller hears comes from the one services file,
`resources/services.json`, through `{service:ID}` or `{helpline_number}`: a
number written into a script could drift from the real one and send a
frightened caller to a wrong line, so the tests check every rendered number
against that file.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from console.core.resources import resource_path

FRONT_MATTER_FIELDS = ("id", "version", "title")
CALL_PLACEHOLDERS = ("caller_name", "register_version")
HELPLINE_PLACEHOLDERS = ("helpline_name", "helpline_hours", "helpline_number")
FALLBACKS = {
    "caller_name": "[caller's name]",
    "register_version": "[register version]",
}
MIN_NUMBER_DIGITS = 3

_PLACEHOLDER = re.compile(r"\{([^{}\n]*)\}")
_SERVICE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Digits joined by single spaces or hyphens, with an optional leading + or
# bracketed area code: "105", "0800 543 354", "(04) 498-7654", "+64 9 123 4567".
# Brackets only around a leading area code, so "1737 (1737.org.nz)" stays two
# numbers. The look-behind keeps digits inside words (an NHI such as ABC1234) out.
_PHONE_LIKE = re.compile(r"(?<![\w+])\+?(?:\(\d+\)[ \u00a0-]?)?\d(?:[ \u00a0-]?\d)*")


@dataclass(frozen=True)
class Script:
    id: str
    version: int
    title: str
    body: str

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_PLACEHOLDER.findall(self.body)))

    @property
    def service_ids(self) -> frozenset[str]:
        return frozenset(p.removeprefix("service:") for p in self.placeholders if p.startswith("service:"))


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    number: str | None = None
    text: str | None = None  # a number that takes text messages, when it has one
    web: str | None = None
    notes: str | None = None

    def spoken(self) -> str:
        """How a script shows the service: "Healthline on 0800 611 116".

        A text number that differs from the phone number is added; when they
        are the same (1737) the script's own words say "call or text".
        """
        words = f"{self.name} on {self.number}" if self.number else self.name
        if self.text and self.text != self.number:
            words += f", or text {self.text}"
        if self.web:
            words += f" ({self.web})"
        return words


@dataclass(frozen=True)
class Helpline:
    name: str
    number: str
    hours: str
    notes: str | None = None


@dataclass(frozen=True)
class Services:
    version: str
    helpline: Helpline
    by_id: dict[str, Service] = field(default_factory=dict)

    def __getitem__(self, service_id: str) -> Service:
        return self.by_id[service_id]

    def __contains__(self, service_id: object) -> bool:
        return service_id in self.by_id

    def __iter__(self):
        return iter(self.by_id.values())

    def get(self, service_id: str) -> Service | None:
        return self.by_id.get(service_id)

    def all_numbers(self) -> set[str]:
        """Every number in the file, helpline included, digits only (as `numbers_in` gives them)."""
        numbers = {_digits(self.helpline.number)}
        for service in self:
            numbers.update(_digits(n) for n in (service.number, service.text) if n)
        return numbers


def numbers_in(text: str) -> set[str]:
    """Phone-number-like runs of three or more digits, reduced to digits only."""
    found = (_digits(m.group()) for m in _PHONE_LIKE.finditer(text or ""))
    return {n for n in found if len(n) >= MIN_NUMBER_DIGITS}


def load_scripts(folder: Path | str | None = None) -> dict[str, Script]:
    """Every `*.md` script in the folder, by id."""
    folder = Path(folder) if folder is not None else resource_path("guidance")
    if not folder.is_dir():
        raise FileNotFoundError(f"There is no guidance folder at {folder}.")
    scripts = {}
    for path in sorted(folder.glob("*.md")):
        script = _read_script(path)
        scripts[script.id] = script
    return scripts


def load_services(path: Path | str | None = None) -> Services:
    path = Path(path) if path is not None else resource_path("services.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise ValueError(f"Services file {path} is not valid JSON: {error}.") from None
    return _parse_services(data, path)


def content_guidance(content: dict) -> tuple[dict[str, Script], Services]:
    """The scripts and services of a content version published by the hub
    ({"scripts": {file name: text}, "services": {...}}), checked as a whole."""
    scripts = {}
    for name, text in sorted(content["scripts"].items()):
        script = _parse_script(text, PurePosixPath(name))
        scripts[script.id] = script
    services = _parse_services(content["services"], f"services.json (hub content {content.get('version')})")
    check_guidance(scripts, services)
    return scripts, services


def _parse_services(data, path) -> Services:
    if not isinstance(data, dict):
        raise ValueError(f"Services file {path} must hold a JSON object.")

    def problem(message: str) -> ValueError:
        return ValueError(f"Services file {path}: {message}.")

    version = data.get("version")
    if version in (None, ""):
        raise problem("it has no 'version'")
    helpline_data = data.get("helpline")
    if not isinstance(helpline_data, dict):
        raise problem("it has no 'helpline' object")
    for key in ("name", "number", "hours"):
        if not _text(helpline_data.get(key)):
            raise problem(f"the helpline has no '{key}'")
    helpline = Helpline(
        helpline_data["name"].strip(), helpline_data["number"].strip(), helpline_data["hours"].strip(),
        _text(helpline_data.get("notes")),
    )
    if not _is_phone_number(helpline.number):
        raise problem(f"the helpline number '{helpline.number}' is not a phone number")

    entries = data.get("services")
    if not isinstance(entries, list):
        raise problem("it has no 'services' list")
    by_id: dict[str, Service] = {}
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise problem(f"service {position} is not an object")
        service_id = _text(entry.get("id"))
        if not service_id or not _SERVICE_ID.fullmatch(service_id):
            raise problem(f"service {position} needs an 'id' of lower-case letters, digits and hyphens")
        if service_id in by_id:
            raise problem(f"the id '{service_id}' is used twice")
        service = Service(
            service_id, _text(entry.get("name")), _text(entry.get("number")), _text(entry.get("text")),
            _text(entry.get("web")), _text(entry.get("notes")),
        )
        if not service.name:
            raise problem(f"service '{service_id}' has no 'name'")
        if not (service.number or service.web):
            raise problem(f"service '{service_id}' needs a 'number' or a 'web' address")
        for key in ("number", "text"):
            value = getattr(service, key)
            if value and not _is_phone_number(value):
                raise problem(f"the {key} '{value}' of service '{service_id}' is not a phone number")
        by_id[service_id] = service
    return Services(str(version), helpline, by_id)


def render(script: Script, context: dict, services: Services) -> str:
    """The script's body with its placeholders filled.

    context carries the call's facts (caller_name, register_version); a
    missing or blank one shows as a bracketed prompt such as "[caller's
    name]". The helpline's name, hours and number always come from the
    services file, so no number reaches the screen from anywhere else.
    """

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key.startswith("service:"):
            service_id = key.removeprefix("service:")
            service = services.get(service_id)
            if service is None:
                raise ValueError(
                    f"Guidance script '{script.id}' names the service '{service_id}', "
                    "which is not in the services file."
                )
            return service.spoken()
        if key in HELPLINE_PLACEHOLDERS:
            return getattr(services.helpline, key.removeprefix("helpline_"))
        value = context.get(key)
        if value is None or not str(value).strip():
            return FALLBACKS.get(key, f"[{key.replace('_', ' ')}]")
        return str(value).strip()

    return _PLACEHOLDER.sub(fill, script.body)


def check_guidance(scripts: dict[str, Script], services: Services) -> None:
    """Raise ValueError when a script the policy can ask for is missing, or a
    script names a service the services file lacks: better found at start-up
    than in the middle of a call."""
    # deferred: the policy pulls in the name-matching libraries, which loading scripts does not need
    from console.core.policy import GUIDANCE_IDS

    problems = [f"there is no script '{script_id}'" for script_id in GUIDANCE_IDS if script_id not in scripts]
    for script in scripts.values():
        problems += [
            f"script '{script.id}' names the service '{service_id}', which is not in the services file"
            for service_id in sorted(script.service_ids)
            if service_id not in services
        ]
    if problems:
        raise ValueError("Guidance is incomplete: " + "; ".join(problems) + ".")


def _read_script(path: Path) -> Script:
    return _parse_script(path.read_text(encoding="utf-8-sig"), path)


def _parse_script(text: str, path) -> Script:
    def problem(message: str) -> ValueError:
        return ValueError(f"Guidance script {path}: {message}.")

    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise problem("it must start with a front-matter block, opened by a line '---'")
    closing = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if closing is None:
        raise problem("its front matter is never closed by a line '---'")

    fields: dict[str, str] = {}
    for line_number, line in enumerate(lines[1:closing], start=2):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon:
            raise problem(f"line {line_number} of the front matter is not 'name: value'")
        if key not in FRONT_MATTER_FIELDS:
            raise problem(f"the front matter has an unknown field '{key}' (expected {', '.join(FRONT_MATTER_FIELDS)})")
        if key in fields:
            raise problem(f"the front matter gives '{key}' twice")
        fields[key] = _unquote(value.strip())
    for key in FRONT_MATTER_FIELDS:
        if not fields.get(key):
            raise problem(f"the front matter has no '{key}'")

    if fields["id"] != path.stem:
        raise problem(f"its id '{fields['id']}' does not match the file name, which needs it to be '{path.stem}'")
    if not fields["version"].isdigit() or int(fields["version"]) < 1:
        raise problem(f"its version '{fields['version']}' is not a whole number from 1 up")

    body = "\n".join(lines[closing + 1:]).strip()
    if not body:
        raise problem("it has nothing after the front matter")
    for placeholder in _PLACEHOLDER.findall(body):
        if not _known_placeholder(placeholder):
            raise problem(f"it has an unknown placeholder '{{{placeholder}}}'")
    if set("{}") & set(_PLACEHOLDER.sub("", body)):
        raise problem("it has a '{' or '}' that does not make a placeholder")
    return Script(fields["id"], int(fields["version"]), fields["title"], body + "\n")


def _known_placeholder(placeholder: str) -> bool:
    if placeholder.startswith("service:"):
        return bool(_SERVICE_ID.fullmatch(placeholder.removeprefix("service:")))
    return placeholder in CALL_PLACEHOLDERS or placeholder in HELPLINE_PLACEHOLDERS


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _text(value) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _is_phone_number(text: str) -> bool:
    return numbers_in(text) == {_digits(text)}
