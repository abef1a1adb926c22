"""Guidance scripts and the services file, published by the hub as numbered
content versions that reach every workstation through the change feed.

A content version is checked with the function a workstation checks it with
when it arrives (console.core.guidance.content_guidance: every script the
policy asks for present and well-formed, every service a script names in the
services file), so a version that would break a call screen is never
published.
"""

import hashlib
import json
import logging
from pathlib import Path

from console.core.guidance import content_guidance
from console.core.records import canonical
from console.core.resources import resources_folder
from console.core.timeutil import now, utc_text
from console.hub.changes import append_change

log = logging.getLogger("console.hub.content")


class ContentRefused(ValueError):
    """The folder is not publishable content; the message says why."""


def read_content(folder=None) -> dict:
    """{"scripts": {file name: text}, "services": {...}} from a resources
    folder holding guidance/*.md and services.json (default: the console's
    own), checked exactly as a workstation checks what it pulls."""
    folder = Path(folder) if folder is not None else resources_folder()
    guidance, services_path = folder / "guidance", folder / "services.json"
    if not guidance.is_dir() or not services_path.is_file():
        raise ContentRefused(f"{folder} is not a resources folder: it needs a guidance/ folder of scripts "
                             "and a services.json file.")
    try:
        scripts = {path.name: path.read_text(encoding="utf-8-sig") for path in sorted(guidance.glob("*.md"))}
        services = json.loads(services_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentRefused(f"The content in {folder} cannot be read ({exc}).") from None
    except json.JSONDecodeError as exc:
        raise ContentRefused(f"Services file {services_path} is not valid JSON: {exc}.") from None
    content = {"scripts": scripts, "services": services}
    try:
        content_guidance(content)
    except ValueError as exc:
        raise ContentRefused(str(exc)) from None
    return content


def latest_content(db) -> dict | None:
    with db.read() as tx:
        row = tx.one("SELECT body FROM content ORDER BY version DESC LIMIT 1")
    return json.loads(row[0]) if row else None


def publish_content(db, folder=None) -> tuple[int, bool]:
    """Publish the folder's content as the next version: (version, True), or
    (the latest version, False) when it holds exactly that content already."""
    content = read_content(folder)
    digest = hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()
    with db.write() as tx:
        latest = tx.one("SELECT version, sha256 FROM content ORDER BY version DESC LIMIT 1")
        if latest and latest[1] == digest:
            return latest[0], False
        # the version is drawn first, so the body can carry it
        version = tx.value("INSERT INTO content (sha256, body, published_at) VALUES (?, '', ?) RETURNING version",
                           [digest, utc_text(now())])
        body = {"version": version, **content}
        tx.execute("UPDATE content SET body = ? WHERE version = ?", [canonical(body), version])
        append_change(tx, "content", str(version), body)
    log.info("content version %s published: %s scripts", version, len(content["scripts"]))
    return version, True
