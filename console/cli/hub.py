"""`helpline-console hub …`: serve the hub, and administer it on its own machine.

    hub key new PATH
    hub backup PATH
    hub serve [--host 127.0.0.1] [--port 8765] [--workers N]
    hub import-register PATH
    hub publish-content [--from DIR]
    hub operators add ID --role R | disable ID | list | passwd ID | reset ID
    hub workstations enrol [NAME] | revoke NAME | allow-download NAME | list
    hub stats [--since ISO] [--until ISO]
    hub audit anchor --out FILE | verify --anchors FILE
    hub telephony add-pbx NAME [--base-url URL] | list | revoke NAME | map OPERATOR EXTENSION
                  | block NUMBER | unblock NUMBER

Each takes the database as `--data DIR` (the embedded SQLite file) or
`--database-url postgresql://…`; the URL may instead come from the
environment variable HELPLINE_HUB_DATABASE_URL, which keeps its password out
of the process list, and the hub's key as `--key-file PATH` or the systemd
credential `hub-key` (console/hub/crypto.py): without it nothing is opened
(exit 2). Exit status as for every command (common.py).

console.hub is imported only inside the commands: the workstation's bundle
leaves the hub and its server stack out, and its command line has no `hub`.
"""

import argparse
import json
import os
import sys

from console.cli.common import (EXIT_FAILED, EXIT_OK, NEW_PASSWORD_ENV, PASSWORD_ENV, Refused, accounts_text,
                                TerminalProgress, new_password, option_instant, print_json, read_password, run)
from console.core.output_safety import printable_text
from console.sync.protocol import DEFAULT_PORT

ADMIN = "hub"  # who the hub's audit names for what its command line did: whoever runs it on the hub's machine
DATABASE_WAIT = 60.0  # seconds `hub serve` waits for a PostgreSQL server out of reach (started with the hub)
PUBLIC_URL_ENV = "HELPLINE_HUB_PUBLIC_URL"  # the hub's address as PBXs and workstations reach it (TLS proxy)


def _add_database_options(parser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data", metavar="DIR", help="folder of the embedded database (hub.db), created owner-only")
    where.add_argument("--database-url", metavar="URL",
                       help="a PostgreSQL database, postgresql://user@host/name "
                            "(or set HELPLINE_HUB_DATABASE_URL, which keeps the password out of the process list)")
    parser.add_argument("--key-file", metavar="PATH",
                        help="the hub's key file (made once with `hub key new PATH`); under systemd, the credential "
                             "hub-key instead ($CREDENTIALS_DIRECTORY/hub-key)")


def add_hub_commands(subparsers) -> None:
    """Add `hub` and its sub-commands to the console's sub-command parsers."""
    hub = subparsers.add_parser("hub", help="Run and administer the central hub the workstations sync with.",
                                description="Run and administer the central hub the workstations sync with.")
    actions = hub.add_subparsers(dest="hub_command", metavar="ACTION", required=True)

    p = actions.add_parser("key", help="make the hub's key file")
    key_actions = p.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    a = key_actions.add_parser("new", help="write a new key file, owner-only; an existing file is never overwritten")
    a.add_argument("path")

    p = actions.add_parser("backup", help="an encrypted copy of the embedded database (same key); "
                                          "PostgreSQL: use pg_dump")
    _add_database_options(p)
    p.add_argument("path", help="the backup file to create (never written over)")

    p = actions.add_parser("serve", help="serve the hub's HTTP API (put a TLS reverse proxy in front of it)")
    _add_database_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                   help="a reverse proxy whose X-Forwarded-For is believed (repeatable; default: none is)")
    p.add_argument("--database-wait", type=float, default=DATABASE_WAIT, metavar="SECONDS",
                   help="how long a PostgreSQL database out of reach at the start is waited for (default "
                        f"{DATABASE_WAIT:.0f}; 0: not at all)")
    p.add_argument("--pushes-per-minute", type=int, default=None, metavar="N",
                   help="pushes one workstation may make in a minute before it is told to wait (default "
                        "120); raise it for many workstations catching up after a long outage")

    p = actions.add_parser("import-register", help="check a register folder or .zip and serve it to the workstations")
    _add_database_options(p)
    p.add_argument("path")

    p = actions.add_parser("publish-content", help="publish guidance scripts and the services file as a new version")
    _add_database_options(p)
    p.add_argument("--from", dest="from_folder", metavar="DIR",
                   help="a resources folder with guidance/*.md and services.json (default: the console's own)")

    p = actions.add_parser("operators", help="add, disable and list operator accounts")
    op_actions = p.add_subparsers(dest="operators_command", metavar="ACTION", required=True)
    a = op_actions.add_parser("add", help="add an account; its password is asked for, or read from "
                                          "HELPLINE_CONSOLE_PASSWORD")
    _add_database_options(a)
    a.add_argument("operator_id")
    a.add_argument("--role", required=True, choices=("operator", "supervisor", "admin"))
    a = op_actions.add_parser("disable", help="disable an account and end its sessions")
    _add_database_options(a)
    a.add_argument("operator_id")
    a = op_actions.add_parser("list", help="list accounts")
    _add_database_options(a)
    a = op_actions.add_parser("passwd", help="change an account's password with its current one (read from "
                                             "HELPLINE_CONSOLE_PASSWORD, the new one from "
                                             "HELPLINE_CONSOLE_NEW_PASSWORD, or both asked for)")
    _add_database_options(a)
    a.add_argument("operator_id")
    a = op_actions.add_parser("reset", help="give an account a temporary password (asked for, or read from "
                                            "HELPLINE_CONSOLE_PASSWORD) it must change at its next sign-in")
    _add_database_options(a)
    a.add_argument("operator_id")

    p = actions.add_parser("audit", help="sign the audit chains' heads into a file kept off the server, and prove "
                                         "the hub's trail against it")
    audit_actions = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    a = audit_actions.add_parser("anchor", help="sign the heads now and append every anchor the file lacks to it")
    _add_database_options(a)
    a.add_argument("--out", required=True, metavar="FILE", help="the anchors file (appended to, created owner-only)")
    a = audit_actions.add_parser("verify", help="prove the hub's audit trail against an anchors file")
    _add_database_options(a)
    a.add_argument("--anchors", required=True, metavar="FILE", help="an anchors file `hub audit anchor` wrote")

    p = actions.add_parser("workstations", help="enrol, revoke and list the workstations that may sync")
    ws_actions = p.add_subparsers(dest="workstations_command", metavar="ACTION", required=True)
    a = ws_actions.add_parser("enrol", help="name a workstation and print its one-time enrolment code")
    _add_database_options(a)
    a.add_argument("name", nargs="?", help="the workstation's id (default: one the hub makes up)")
    a = ws_actions.add_parser("revoke", help="revoke a workstation: its sessions end and it gets nothing more")
    _add_database_options(a)
    a.add_argument("name")
    a = ws_actions.add_parser("allow-download", help="let a workstation take one more full register today")
    _add_database_options(a)
    a.add_argument("name")
    a = ws_actions.add_parser("list", help="list workstations")
    _add_database_options(a)

    p = actions.add_parser("telephony", help="connect PBXs (their CTI address), map operators to extensions, "
                                             "block numbers")
    tel_actions = p.add_subparsers(dest="telephony_command", metavar="ACTION", required=True)
    a = tel_actions.add_parser("add-pbx", help="a new PBX: prints the secret address it posts its call events to")
    _add_database_options(a)
    a.add_argument("name")
    a.add_argument("--base-url", metavar="URL", help=f"the hub's public address as the PBX reaches it, e.g. "
                                                     f"https://hub.example.org (default: {PUBLIC_URL_ENV})")
    a = tel_actions.add_parser("list", help="the PBXs, revoked ones included, and when each last posted")
    _add_database_options(a)
    a = tel_actions.add_parser("revoke", help="stop a PBX's address working (its events stay)")
    _add_database_options(a)
    a.add_argument("name")
    a = tel_actions.add_parser("map", help="an extension or agent name the PBX sends is this operator's")
    _add_database_options(a)
    a.add_argument("operator_id")
    a.add_argument("extension")
    for action, text in (("block", "answer this number's calls with Zammad's reject action"),
                         ("unblock", "take a number off the blocked list")):
        a = tel_actions.add_parser(action, help=text)
        _add_database_options(a)
        a.add_argument("number")

    p = actions.add_parser("stats", help="cli.md's stats over every workstation's calls, as JSON")
    _add_database_options(p)
    p.add_argument("--since", help="ISO 8601 time with offset; calls started at or after it")
    p.add_argument("--until", help="ISO 8601 time with offset; calls started before it")


def _database_location(args) -> dict:
    url = args.database_url or (None if args.data else os.environ.get("HELPLINE_HUB_DATABASE_URL"))
    if not (url or args.data):
        raise Refused("Say where the hub's database is: --data DIR, or --database-url postgresql://… "
                      "(or HELPLINE_HUB_DATABASE_URL).")
    return {"database_url": url} if url else {"data": args.data}


def _key(args):
    from console.hub.crypto import KeyProblem, load_key

    try:
        return load_key(args.key_file)
    except KeyProblem as exc:
        raise Refused(str(exc)) from None


def _open(args, wait: float = 0):
    from console.hub.storage import open_database

    return open_database(**_database_location(args), key=_key(args), wait=wait)


def cmd_key(args, out) -> int:
    from console.hub.crypto import KeyProblem, new_key_file

    try:
        path = new_key_file(args.path)
    except KeyProblem as exc:
        raise Refused(str(exc)) from None
    out.emit({"key_file": str(path)},
             f"Wrote a new hub key to {path} (readable by its owner only). Keep a copy apart from the database's "
             "backups: without it they cannot be read.")
    return EXIT_OK


def cmd_backup(args, out) -> int:
    if "database_url" in _database_location(args):
        raise Refused("A PostgreSQL hub is backed up with pg_dump (see the README); `hub backup` copies the "
                      "embedded database.")
    db = _open(args)
    try:
        path = db.backup(args.path)
    finally:
        db.close()
    out.emit({"backup": str(path)}, f"Wrote an encrypted copy of {db.describe()} to {path}; it opens only with "
                                    "the hub's key file, which you keep apart from it.")
    return EXIT_OK


def cmd_serve(args, out) -> int:
    import logging

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from console.core.authorship import MAX_PUSHES_PER_MINUTE
    from console.hub.app import DATA_ENV, DATABASE_URL_ENV, DATABASE_WAIT_ENV, KEY_FILE_ENV, PUSHES_PER_MINUTE_ENV
    from console.hub.crypto import key_file_path

    if not 0 < args.port < 65536:
        raise Refused(f"--port {args.port} is not a port number (1 to 65535).")
    if args.workers < 1:
        raise Refused("--workers must be 1 or more.")
    if not 0 <= args.database_wait <= 3600:
        raise Refused(f"--database-wait {args.database_wait:g} is out of range: 0 to 3600 seconds.")
    if args.pushes_per_minute is not None and not 0 < args.pushes_per_minute <= MAX_PUSHES_PER_MINUTE:
        raise Refused(f"--pushes-per-minute {args.pushes_per_minute} is out of range: a workstation may be allowed "
                      f"1 to {MAX_PUSHES_PER_MINUTE:,} pushes a minute.")
    location = _database_location(args)
    # made and migrated once here, so a problem is a sentence, not a crash in every worker
    db = _open(args, wait=args.database_wait)
    db.close()
    if args.workers > 1 and "database_url" not in location:
        print(f"Note: on SQLite each of the {args.workers} workers has its own live channel: a screen pop or "
              "live message reaches only the workstations connected to the worker that received it. Serve "
              "SQLite with one worker, or use PostgreSQL for more.", file=sys.stderr)
    # the workers (separate processes with --workers) read the location from the environment
    os.environ.pop(DATA_ENV, None)
    os.environ.pop(DATABASE_URL_ENV, None)
    os.environ[KEY_FILE_ENV] = os.path.abspath(key_file_path(args.key_file))
    os.environ[DATABASE_WAIT_ENV] = str(args.database_wait)
    os.environ.pop(PUSHES_PER_MINUTE_ENV, None)
    if args.pushes_per_minute is not None:
        os.environ[PUSHES_PER_MINUTE_ENV] = str(args.pushes_per_minute)
    if "database_url" in location:
        os.environ[DATABASE_URL_ENV] = location["database_url"]
    else:
        os.environ[DATA_ENV] = os.path.abspath(location["data"])
    log_config = json.loads(json.dumps(LOGGING_CONFIG))
    log_config["formatters"]["hub"] = {"()": "uvicorn.logging.DefaultFormatter",
                                       "fmt": "%(levelprefix)s %(name)s: %(message)s"}
    log_config["handlers"]["hub"] = {"formatter": "hub", "class": "logging.StreamHandler",
                                     "stream": "ext://sys.stderr"}
    log_config["loggers"]["console"] = {"handlers": ["hub"], "level": "INFO", "propagate": False}
    try:
        uvicorn.run("console.hub.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                    log_config=log_config, log_level=logging.INFO, server_header=False,
                    proxy_headers=bool(args.trusted_proxy), forwarded_allow_ips=args.trusted_proxy or "",
                    timeout_graceful_shutdown=5)  # the live channel's streams never end of themselves
    except SystemExit as exc:  # uvicorn's own exit, e.g. 3 when the port is taken
        if exc.code not in (None, 0):
            print(f"The hub stopped: it could not serve on {args.host}:{args.port} (the reason is above).",
                  file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def cmd_import_register(args, out) -> int:
    from console.hub.downloads import retire_snapshots
    from console.hub.registers import import_register
    from console.core.register_format import RegisterRefused

    db = _open(args)
    progress = TerminalProgress(enabled=not getattr(args, "json", False))
    try:
        entry, imported = import_register(db, args.path, progress=progress)
        progress.finish()
        retire_snapshots(db)
    except RegisterRefused as exc:
        raise Refused(*exc.problems, "The register was not imported; the hub serves the one it served before.") \
            from None
    finally:
        db.close()
    if imported:
        _audit(args, "register_imported", register=entry["seq"], register_version=entry["register_version"])
        text = (f"Register {entry['register_version']} is in service as register {entry['seq']}: "
                f"{entry['persons']:,} persons, {entry['documents']:,} stolen files, "
                f"a {entry['size']:,}-byte snapshot. Workstations fetch it at their next sync.")
    else:
        text = f"That register is already in service (register {entry['seq']}); nothing was changed."
    out.emit(dict(entry, imported=imported), text)
    return EXIT_OK


def cmd_publish_content(args, out) -> int:
    from console.hub.content import ContentRefused, publish_content

    db = _open(args)
    try:
        version, published = publish_content(db, args.from_folder)
    except ContentRefused as exc:
        raise Refused(str(exc), "Nothing was published.") from None
    finally:
        db.close()
    if published:
        _audit(args, "content_published", version=version)
    text = (f"Published content version {version}; workstations take it at their next sync." if published
            else f"That content is already published as version {version}; nothing was changed.")
    out.emit({"version": version, "published": published}, text)
    return EXIT_OK


def cmd_operators(args, out) -> int:
    from console.hub.accounts import (AccountError, add_operator, change_password, disable_operator, list_operators,
                                      reset_password)

    db = _open(args)
    try:
        if args.operators_command == "add":
            password = new_password(args.operator_id, PASSWORD_ENV)
            account = add_operator(db, args.operator_id, args.role, password, created_by=ADMIN)
            out.emit(account, f"Added {account['operator_id']} as {account['role']}.")
        elif args.operators_command == "disable":
            ended = disable_operator(db, args.operator_id, disabled_by=ADMIN)
            out.emit({"operator_id": args.operator_id, "disabled": True, "sessions_ended": ended},
                  f"Disabled {args.operator_id}; {ended} session{'s' if ended != 1 else ''} ended.")
        elif args.operators_command == "passwd":
            current = read_password(f"Current password for {args.operator_id}: ")
            change_password(db, args.operator_id, current,
                            new_password(args.operator_id, NEW_PASSWORD_ENV, whose="the account"))
            out.emit({"operator_id": args.operator_id, "password_changed": True},
                     f"Changed the password of {args.operator_id}; its sessions ended.")
        elif args.operators_command == "reset":
            reset_password(db, args.operator_id, new_password(args.operator_id, PASSWORD_ENV, whose="the account"),
                           reset_by="hub")
            out.emit({"operator_id": args.operator_id, "must_change": True},
                     f"Reset the password of {args.operator_id}; it must be changed at the next sign-in.")
        else:
            accounts = list_operators(db)
            out.emit({"operators": accounts}, accounts_text(accounts))
    except AccountError as exc:
        raise Refused(str(exc)) from None
    finally:
        db.close()
    return EXIT_OK


def cmd_audit(args, out) -> int:
    from console.hub.anchors import AnchorProblem, append_anchors, read_anchors, verify_against

    db = _open(args)
    try:
        if args.audit_command == "anchor":
            appended = append_anchors(db, args.out)
            out.emit({"appended": appended, "file": args.out},
                     f"Appended {appended} signed anchor{'s' if appended != 1 else ''} to {args.out}; keep it off "
                     "this server, on append-only storage.")
            return EXIT_OK
        try:
            anchors = read_anchors(args.anchors)
        except AnchorProblem as exc:
            raise Refused(str(exc)) from None
        problems = verify_against(db, anchors)
    finally:
        db.close()
    if problems:
        out.emit({"intact": False, "anchors": len(anchors), "problems": problems},
                 "The hub's audit trail does not match its anchors:\n" + "\n".join(problems))
        return EXIT_FAILED
    out.emit({"intact": True, "anchors": len(anchors), "problems": []},
             f"The hub's audit trail holds every one of the {len(anchors)} anchors in {args.anchors}.")
    return EXIT_OK


def _audit(args, kind: str, **detail) -> None:
    """An administrator's action in the hub's audit (those in accounts and workstations record their own)."""
    from console.hub.audit_log import record

    db = _open(args)
    try:
        with db.write() as tx:
            record(tx, kind, operator_id=ADMIN, **detail)
    finally:
        db.close()


def cmd_workstations(args, out) -> int:
    from console.hub.downloads import allow_download, retire_snapshots
    from console.hub.workstations import WorkstationRefused, create_enrolment, list_workstations, revoke

    db = _open(args)
    try:
        if args.workstations_command == "enrol":
            enrolment = create_enrolment(db, args.name, created_by=ADMIN)
            out.emit(enrolment, f"Workstation {enrolment['workstation']}: type the code {enrolment['code']} into its "
                                f"setup assistant (or `sync --enrol CODE`) before {enrolment['expires_at']}. "
                                "It works once.")
        elif args.workstations_command == "revoke":
            ended = revoke(db, args.name, revoked_by=ADMIN)
            retire_snapshots(db)
            out.emit({"workstation": args.name, "revoked": True, "sessions_ended": ended},
                     f"Revoked {args.name}; {ended} session{'s' if ended != 1 else ''} ended.")
        elif args.workstations_command == "allow-download":
            allow_download(db, args.name, granted_by=ADMIN)
            out.emit({"workstation": args.name, "allowed": True},
                     f"{args.name} may take one more full register today.")
        else:
            found = list_workstations(db)
            lines = [f"{w['workstation']}: {w['state']}" + (f" (caches {', '.join(w['caches'])})" if w["caches"] else "")
                     for w in found]
            out.emit({"workstations": found}, "\n".join(lines) or "No workstation is enrolled yet.")
    except WorkstationRefused as exc:
        raise Refused(str(exc)) from None
    finally:
        db.close()
    return EXIT_OK


def cmd_telephony(args, out) -> int:
    from console.hub.telephony import (TelephonyProblem, add_pbx, block_number, list_pbxs, map_extension,
                                       revoke_pbx, unblock_number)

    command = args.telephony_command
    if command == "add-pbx":
        base = (args.base_url or os.environ.get(PUBLIC_URL_ENV, "")).rstrip("/")
        if base and not base.startswith(("https://", "http://")):
            raise Refused(f"--base-url must start with https:// (or http:// on a private network), not {base[:60]!r}.")
    db = _open(args)
    try:
        if command == "add-pbx":
            token = add_pbx(db, args.name)
            path = f"/v1/cti/{token}"
            url = base + path if base else None
            where = url or f"https://<the hub's public address>{path}"
            out.emit({"name": args.name, "url": url, "path": path},
                     f"PBX {args.name} posts its call events to:\n{where}\nThe address is its secret: it is shown "
                     "only now (the hub keeps its hash). Lost, revoke it and add the PBX again.")
        elif command == "list":
            pbxs = list_pbxs(db)
            lines = [f"{p['name']}: added {p['created_at'][:16]}"
                     + (f", revoked {p['revoked_at'][:16]}" if p["revoked_at"] else "")
                     + (f", last event {p['last_event_at'][:19]}" if p["last_event_at"] else ", no event yet")
                     for p in pbxs]
            out.emit({"pbxs": pbxs}, "\n".join(lines) or "No PBX has been added (hub telephony add-pbx NAME).")
        elif command == "revoke":
            revoke_pbx(db, args.name)
            out.emit({"name": args.name, "revoked": True}, f"Revoked {args.name}: its address no longer works.")
        elif command == "map":
            map_extension(db, args.operator_id, args.extension)
            out.emit({"operator_id": args.operator_id, "extension": args.extension},
                     f"Calls the PBX gives to {args.extension} are {args.operator_id}'s.")
        elif command == "block":
            key = block_number(db, args.number)
            out.emit({"blocked": key}, f"Blocked {key}: its calls are answered with reject.")
        else:
            found = unblock_number(db, args.number)
            out.emit({"unblocked": found}, "Unblocked it." if found else "That number was not blocked; "
                                                                          "nothing changed.")
    except TelephonyProblem as exc:
        raise Refused(str(exc)) from None
    finally:
        db.close()
    return EXIT_OK


def cmd_stats(args, out) -> int:
    from console.hub.reports import call_stats

    since, until = option_instant(args.since, "--since"), option_instant(args.until, "--until")
    db = _open(args)
    try:
        stats = call_stats(db, since, until)
    finally:
        db.close()
    print_json(stats)  # the data is the output, as from GET /v1/stats
    return EXIT_OK


COMMANDS = {"key": cmd_key, "backup": cmd_backup, "serve": cmd_serve, "import-register": cmd_import_register,
            "publish-content": cmd_publish_content, "operators": cmd_operators, "workstations": cmd_workstations,
            "audit": cmd_audit, "stats": cmd_stats, "telephony": cmd_telephony}


def installed() -> bool:
    """Whether the hub is part of this installation (the workstation's bundle leaves it out)."""
    try:
        import console.hub  # noqa: F401 (its package holds a docstring only)
    except ImportError:
        return False
    return True


def run_hub(args, out) -> int:
    """Run the `hub` sub-command that `args` (from add_hub_commands' parser) names."""
    from console.hub.storage import DatabaseUnavailable

    try:
        return COMMANDS[args.hub_command](args, out)
    except DatabaseUnavailable as exc:
        print(printable_text(str(exc)), file=sys.stderr)
        return EXIT_FAILED


def main(argv=None) -> int:
    """`python -m console.hub ACTION …`, the same as `helpline-console hub ACTION …`."""
    parser = argparse.ArgumentParser(prog="helpline-console")
    add_hub_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["hub", *(sys.argv[1:] if argv is None else argv)])
    return run(run_hub, args)
