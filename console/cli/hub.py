"""`helpline-console hub …`: serve the hub, and administer it on its own machine.

    hub serve [--host 127.0.0.1] [--port 8765] [--workers N]
    hub import-register PATH
    hub publish-content [--from DIR]
    hub operators add ID --role R | disable ID | list
    hub workstations enrol [NAME] | revoke NAME | list
    hub stats [--since ISO] [--until ISO]

Each takes the database as `--data DIR` (the embedded SQLite file) or
`--database-url postgresql://…`; the URL may instead come from the
environment variable HELPLINE_HUB_DATABASE_URL, which keeps its password out
of the process list. Exit status as for every command (common.py).

console.hub is imported only inside the commands: the workstation's bundle
leaves the hub and its server stack out, and its command line has no `hub`.
"""

import argparse
import json
import os
import sys

from console.cli.common import (EXIT_FAILED, EXIT_OK, PASSWORD_ENV, Refused, accounts_text, new_password,
                                option_instant, run)
from console.sync.protocol import DEFAULT_PORT

ADMIN = "hub"  # who the hub's audit names for what its command line did: whoever runs it on the hub's machine


def _add_database_options(parser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data", metavar="DIR", help="folder of the embedded database (hub.db), created owner-only")
    where.add_argument("--database-url", metavar="URL",
                       help="a PostgreSQL database, postgresql://user@host/name "
                            "(or set HELPLINE_HUB_DATABASE_URL, which keeps the password out of the process list)")


def add_hub_commands(subparsers) -> None:
    """Add `hub` and its sub-commands to the console's sub-command parsers."""
    hub = subparsers.add_parser("hub", help="Run and administer the central hub the workstations sync with.",
                                description="Run and administer the central hub the workstations sync with.")
    actions = hub.add_subparsers(dest="hub_command", metavar="ACTION", required=True)

    p = actions.add_parser("serve", help="serve the hub's HTTP API (put a TLS reverse proxy in front of it)")
    _add_database_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                   help="a reverse proxy whose X-Forwarded-For is believed (repeatable; default: none is)")

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

    p = actions.add_parser("workstations", help="enrol, revoke and list the workstations that may sync")
    ws_actions = p.add_subparsers(dest="workstations_command", metavar="ACTION", required=True)
    a = ws_actions.add_parser("enrol", help="name a workstation and print its one-time enrolment code")
    _add_database_options(a)
    a.add_argument("name", nargs="?", help="the workstation's id (default: one the hub makes up)")
    a = ws_actions.add_parser("revoke", help="revoke a workstation: its sessions end and it gets nothing more")
    _add_database_options(a)
    a.add_argument("name")
    a = ws_actions.add_parser("list", help="list workstations")
    _add_database_options(a)

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


def _open(args):
    from console.hub.storage import open_database

    return open_database(**_database_location(args))


def cmd_serve(args, out) -> int:
    import logging

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from console.hub.app import DATA_ENV, DATABASE_URL_ENV

    if not 0 < args.port < 65536:
        raise Refused(f"--port {args.port} is not a port number (1 to 65535).")
    if args.workers < 1:
        raise Refused("--workers must be 1 or more.")
    location = _database_location(args)
    db = _open(args)  # made and migrated once here, so a problem is a sentence, not a crash in every worker
    db.close()
    # the workers (separate processes with --workers) read the location from the environment
    os.environ.pop(DATA_ENV, None)
    os.environ.pop(DATABASE_URL_ENV, None)
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
                    proxy_headers=bool(args.trusted_proxy), forwarded_allow_ips=args.trusted_proxy or "")
    except SystemExit as exc:  # uvicorn's own exit, e.g. 3 when the port is taken
        if exc.code not in (None, 0):
            print(f"The hub stopped: it could not serve on {args.host}:{args.port} (the reason is above).",
                  file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def cmd_import_register(args, out) -> int:
    from console.hub.downloads import retire_snapshots
    from console.hub.registers import import_register
    from console.store.register_import import RegisterRefused

    db = _open(args)
    try:
        entry, imported = import_register(db, args.path)
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
    from console.hub.accounts import AccountError, add_operator, disable_operator, list_operators

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
        else:
            accounts = list_operators(db)
            out.emit({"operators": accounts}, accounts_text(accounts))
    except AccountError as exc:
        raise Refused(str(exc)) from None
    finally:
        db.close()
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
    from console.hub.downloads import retire_snapshots
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


def cmd_stats(args, out) -> int:
    from console.hub.reports import call_stats

    since, until = option_instant(args.since, "--since"), option_instant(args.until, "--until")
    db = _open(args)
    try:
        stats = call_stats(db, since, until)
    finally:
        db.close()
    print(json.dumps(stats, ensure_ascii=False))  # the data is the output, as from GET /v1/stats
    return EXIT_OK


COMMANDS = {"serve": cmd_serve, "import-register": cmd_import_register, "publish-content": cmd_publish_content,
            "operators": cmd_operators, "workstations": cmd_workstations, "stats": cmd_stats}


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
        print(exc, file=sys.stderr)
        return EXIT_FAILED


def main(argv=None) -> int:
    """`python -m console.hub ACTION …`, the same as `helpline-console hub ACTION …`."""
    parser = argparse.ArgumentParser(prog="helpline-console")
    add_hub_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["hub", *(sys.argv[1:] if argv is None else argv)])
    return run(run_hub, args)
