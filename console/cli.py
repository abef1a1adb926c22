"""The `helpline-console` command (../shared/specs/cli.md).

Sub-commands run the same core and store as the window and never import Qt;
heavy modules are imported inside the commands that need them, so
`check-caller` starts about as fast as its libraries allow.
"""

import argparse
import json
import os
import sqlite3
import sys

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


class Refused(Exception):
    """Input refused: nothing changed; exit status 2."""

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def default_db_path() -> str:
    from platformdirs import user_data_path

    return str(user_data_path("helpline-console", appauthor=False) / "cache.db")


def _add_common(parser, suppress: bool) -> None:
    # the same options are accepted before or after the sub-command; after it
    # they must not overwrite what was given before with their defaults
    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    parser.add_argument("--db", default=default(None), help="the local cache file (default: the per-user data folder)")
    parser.add_argument("--json", action="store_true", default=default(False), help="print one JSON object")
    parser.add_argument("--operator", default=default(None), help="who is acting; recorded on audit entries and calls")


def build_parser() -> argparse.ArgumentParser:
    from console import __version__

    parser = argparse.ArgumentParser(prog="helpline-console", description="The breach helpline's console.")
    parser.add_argument("--version", action="version", version=f"helpline-console {__version__}")
    parser.add_argument("--demo", action="store_true", help="open on a freshly generated demo register in a temporary cache")
    parser.add_argument("--demo-persons", type=int, default=20_000, help=argparse.SUPPRESS)
    _add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        _add_common(p, suppress=True)
        return p

    p = command("import-register", "Import a breach register folder or .zip, replacing the one in service.")
    p.add_argument("path")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid rows; write the invalid ones to --rejects")
    p.add_argument("--rejects", help="CSV file for the rows --skip-invalid left out, with reasons")

    p = command("search", "Find records in the register (no affected status is shown).")
    for option in ("--name", "--family-name", "--given-name", "--dob", "--nhi", "--phone", "--email"):
        p.add_argument(option)
    p.add_argument("--limit", type=int, default=20)

    p = command("check-caller", "Verify a caller by the policy and say what may be disclosed.")
    for option in ("--family-name", "--given-name", "--dob", "--nhi", "--phone", "--email", "--code"):
        p.add_argument(option)
    p.add_argument("--caller-type", default="patient", choices=("patient", "representative", "practice", "media", "other"))
    p.add_argument("--relationship", choices=("parent", "guardian", "attorney", "other"))
    p.add_argument("--flag", action="append", default=[], choices=("distress", "extortion", "media", "complaint"))
    p.add_argument("--at", help="time of the call, ISO 8601 with offset (default now)")
    p.add_argument("--callback", help="an answered callback's id: its name match counts as possession")

    p = command("unlock", "Clear a person's failed verification attempts.")
    p.add_argument("person_id")
    p.add_argument("--reason")

    p = command("demo-register", "Write a synthetic register in the exchange format.")
    p.add_argument("outdir")
    p.add_argument("--persons", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)

    p = command("audit", "Check or read the audit trail.")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    a = audit_sub.add_parser("verify", help="check the hash chain and report the first broken link")
    _add_common(a, suppress=True)
    a = audit_sub.add_parser("list", help="list entries")
    _add_common(a, suppress=True)
    a.add_argument("--since")
    a.add_argument("--until")
    a.add_argument("--kind")
    a.add_argument("--person")
    a.add_argument("--by", dest="by_operator", help="entries by this operator")
    a.add_argument("--limit", type=int)

    p = command("operators", "Add, disable and list operator accounts (admin only; the first admin needs no sign-in).")
    op_sub = p.add_subparsers(dest="operators_command", metavar="ACTION", required=True)
    a = op_sub.add_parser("add", help="add an account; its password is asked for, or read from "
                                      "HELPLINE_CONSOLE_NEW_PASSWORD (for the first admin: HELPLINE_CONSOLE_PASSWORD)")
    _add_common(a, suppress=True)
    a.add_argument("operator_id")
    a.add_argument("--role", required=True, choices=("operator", "supervisor", "admin"))
    a = op_sub.add_parser("disable", help="disable an account")
    _add_common(a, suppress=True)
    a.add_argument("operator_id")
    a = op_sub.add_parser("list", help="list accounts")
    _add_common(a, suppress=True)

    p = command("settings", "Change a workstation setting (admin only).")
    # checked by cmd_settings (an unknown name is answered with the list): the
    # parser is built for every command, and loading the declarations is not free
    p.add_argument("key", metavar="SETTING", help="a setting's name, as declared in console/settings.py")
    p.add_argument("value")

    p = command("self-test", "Check this installation end to end in a throwaway cache (never the workstation's): "
                             "keystore, sample register import, a verification, a call, the audit chain.")
    p.add_argument("--gui", action="store_true", help="also open the window offscreen on that cache, then close it")

    from console.cli_calls import add_call_commands

    add_call_commands(command)
    from console.cli_sync import add_sync_commands

    add_sync_commands(command)
    try:
        from console.hub.cli import add_hub_commands
    except ImportError:  # the workstation bundle leaves the hub's server stack out
        pass
    else:
        add_hub_commands(sub)
    return parser


# output


class Output:
    def __init__(self, as_json: bool):
        self.as_json = as_json

    def emit(self, obj: dict, text: str | None = None) -> None:
        if self.as_json:
            print(json.dumps(obj, ensure_ascii=False))
        else:
            print(text if text is not None else json.dumps(obj, ensure_ascii=False, indent=2))

    def fail(self, problems: list[str], code: int) -> int:
        for problem in problems:
            print(problem, file=sys.stderr)
        if self.as_json:
            print(json.dumps({"errors": problems}, ensure_ascii=False))
        return code


class TerminalProgress:
    """A one-line progress bar on standard error, only on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        fraction = min(done / total, 1.0) if total else 1.0
        bar = "#" * int(fraction * 30)
        if self.stage is not None and stage != self.stage:
            sys.stderr.write("\n")
        sys.stderr.write(f"\r{stage:<10} [{bar:<30}] {done:>10,}/{total:,}")
        self.stage = stage
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.stage:
            sys.stderr.write("\n")


# helpers


def parse_at(text: str | None):
    from console.core.timeutil import TimeFormatError, now, parse_instant

    if not text:
        return now()
    try:
        return parse_instant(text, "--at")
    except TimeFormatError as exc:
        raise Refused(str(exc)) from None


def parse_dob(text: str | None, option: str = "--dob"):
    from console.core.timeutil import TimeFormatError, parse_day

    if not text:
        return None
    try:
        return parse_day(text, option)
    except TimeFormatError as exc:
        raise Refused(str(exc)) from None


PASSWORD_ENV = "HELPLINE_CONSOLE_PASSWORD"


def read_password(prompt: str, env: str = PASSWORD_ENV) -> str:
    """From the environment (automation) or typed at the terminal, never echoed."""
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise Refused(f"A password is needed: set {env} or run the command at a terminal to be asked for it.")
    import getpass

    return getpass.getpass(prompt)


def open_for(args, check: bool = True):
    """The cache, signed in as --operator once accounts exist (cli.md, Sign-in)."""
    from console.store.cache import Cache

    operator = args.operator or os.environ.get("HELPLINE_CONSOLE_OPERATOR")
    cache = Cache.open(args.db or default_db_path(), operator=operator, check=check)
    if cache.setup_mode:
        return cache
    try:
        if not operator:
            raise Refused("Operator accounts exist on this cache: sign in with --operator ID "
                          f"(the password is asked for, or read from {PASSWORD_ENV}).")
        cache.sign_in(operator, read_password(f"Password for {operator}: "))
    except BaseException:
        cache.close()
        raise
    return cache


# commands


def cmd_import_register(args, out: Output) -> int:
    from console.core.register_format import RegisterRefused

    if args.rejects and not args.skip_invalid:
        raise Refused("--rejects goes with --skip-invalid.")
    cache = open_for(args)
    progress = TerminalProgress(enabled=not args.json)
    try:
        result = cache.import_register(args.path, skip_invalid=args.skip_invalid, rejects=args.rejects, progress=progress)
    except RegisterRefused as exc:
        progress.finish()
        raise Refused(*exc.problems, "The register was not imported; the previous register is still in service.") from None
    finally:
        cache.close()
    progress.finish()
    if result.rejected and not args.rejects:
        for problem in result.rejected:
            print(problem, file=sys.stderr)
    text = (f"Imported register {result.register_version}: {result.persons:,} persons, "
            f"{result.documents:,} stolen files, {result.practices:,} practices.")
    if result.rejected:
        text += f" {len(result.rejected):,} invalid rows left out" + (f" (see {args.rejects})." if args.rejects else ".")
    out.emit(result.as_json(), text)
    return EXIT_OK


def cmd_search(args, out: Output) -> int:
    from console.store.search import SearchQuery

    if args.dob:
        parse_dob(args.dob)
    if args.limit < 1:
        raise Refused("--limit must be 1 or more.")
    query = SearchQuery(args.name, args.family_name, args.given_name, args.dob, args.nhi, args.phone, args.email, args.limit)
    if not query.fields_used():
        raise Refused("Give at least one of --name, --family-name, --given-name, --dob, --nhi, --phone, --email.")
    cache = open_for(args, check=False)
    try:
        results = cache.search(query)
    finally:
        cache.close()
    lines = [f"{r['score']:.2f}  {r['person_id']}  {r['family_name']}, {r['given_names']}"
             f"{' (' + r['preferred_name'] + ')' if r['preferred_name'] else ''}  born {r['date_of_birth'] or '?'}"
             f"  {r['suburb'] or ''} {r['city'] or ''}".rstrip() for r in results]
    out.emit({"results": results}, "\n".join(lines) if lines else "No records found.")
    return EXIT_OK


def cmd_check_caller(args, out: Output) -> int:
    from console.core.policy import CallerClaim

    at = parse_at(args.at)
    claim = CallerClaim(
        family_name=args.family_name, given_name=args.given_name, date_of_birth=parse_dob(args.dob),
        nhi=args.nhi, phone=args.phone, email=args.email, code=args.code,
        caller_type=args.caller_type, relationship=args.relationship, flags=tuple(dict.fromkeys(args.flag)),
    )
    cache = open_for(args, check=False)
    try:
        callback_persons = frozenset()
        if args.callback:
            callback_persons = cache.answered_callback_persons(args.callback)
        verification = cache.verify_caller(claim, at, callback_persons)
    finally:
        cache.close()
    result = verification.as_json()
    out.emit(result, _verification_text(result, verification.register_version))
    return EXIT_OK


def _verification_text(result: dict, version: str | None) -> str:
    lines = [f"Register as of {version or '(none imported)'}"]
    if result["outcome"] == "verified":
        status = "AFFECTED: their files were taken" if result["affected_status"] == "affected" else "NOT AFFECTED"
        lines.append(f"Verified ({result['assurance']}): {status}")
        for doc in result.get("documents", []):
            lines.append(f"  - {doc['category'].replace('_', ' ')}, {doc['document_date'] or 'date unknown'}"
                         f"{', SENSITIVE' if doc['sensitive'] else ''}")
    else:
        lines.append("Not verified. Offer a callback to the numbers on file.")
    lines.append("Guidance: " + ", ".join(result["guidance"]))
    return "\n".join(lines)


def cmd_unlock(args, out: Output) -> int:
    cache = open_for(args)
    try:
        unlock = cache.unlock(args.person_id, args.reason)
    finally:
        cache.close()
    out.emit({"person_id": args.person_id, "cleared_attempts": unlock["cleared_attempts"]},
             f"Unlocked {args.person_id}: {unlock['cleared_attempts']} failed attempts cleared.")
    return EXIT_OK


def cmd_demo_register(args, out: Output) -> int:
    from console.core.demo_register import write_demo_register

    if args.persons < 1:
        raise Refused("--persons must be 1 or more.")
    progress = TerminalProgress(enabled=not args.json)
    manifest = write_demo_register(args.outdir, args.persons, seed=args.seed, progress=lambda d, t: progress("writing", d, t))
    progress.finish()
    out.emit({"outdir": args.outdir, **manifest},
             f"Wrote demo register {manifest['register_version']} to {args.outdir}: "
             f"{manifest['counts']['persons']:,} persons, {manifest['counts']['documents']:,} stolen files.")
    return EXIT_OK


def cmd_audit(args, out: Output) -> int:
    cache = open_for(args)
    try:
        if args.audit_command == "verify":
            report = cache.verify_audit()
            text = (f"Audit chain intact: {report.entries:,} entries." if report.ok
                    else f"Audit chain BROKEN at entry {report.first_broken_seq}: {report.problem}.")
            out.emit(report.as_json(), text)
            return EXIT_OK if report.ok else EXIT_FAILED
        since = parse_at(args.since) if args.since else None
        until = parse_at(args.until) if args.until else None
        entries = cache.audit_entries(since=since, until=until, operator=args.by_operator,
                                      person_id=args.person, kind=args.kind, limit=args.limit)
    finally:
        cache.close()
    lines = [f"{e['seq']:>6} {e['at']} {e['kind']:<18} {e['operator'] or '-':<10} {e['person_id'] or '-':<12} "
             f"{json.dumps(e['detail'], ensure_ascii=False)}" for e in entries]
    out.emit({"entries": entries}, "\n".join(lines) if lines else "No audit entries.")
    return EXIT_OK


def _window_runner():
    """The window's entry point, loaded only when the window is wanted: no
    sub-command ever imports Qt."""
    import importlib

    return importlib.import_module("console.ui.app").run_window


def run_demo(args, out: Output) -> int:
    """The window on a freshly generated demo register in a temporary cache,
    which is deleted (with its key) when the window closes."""
    from console.demo import prepare_demo

    run_window = _window_runner()

    demo = prepare_demo(args.demo_persons, progress=TerminalProgress(enabled=True))
    print(demo.instructions())
    try:
        return run_window(demo.cache_path, operator=args.operator or "demo-operator", demo=demo)
    finally:
        demo.discard()


def cmd_operators(args, out: Output) -> int:
    cache = open_for(args)
    try:
        if args.operators_command == "add":
            first = cache.setup_mode
            env = PASSWORD_ENV if first else "HELPLINE_CONSOLE_NEW_PASSWORD"
            password = read_password(f"Password for the new account {args.operator_id}: ", env)
            if not os.environ.get(env) and read_password("The same password again: ", env) != password:
                raise Refused("The two passwords differ; nothing was changed.")
            try:
                account = cache.add_operator(args.operator_id, args.role, password)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            out.emit(account, f"Added {account['operator_id']} as {account['role']}.")
        elif args.operators_command == "disable":
            try:
                cache.disable_operator(args.operator_id)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            out.emit({"operator_id": args.operator_id, "disabled": True}, f"Disabled {args.operator_id}.")
        else:
            accounts = cache.list_operators()
            out.emit({"operators": accounts}, "\n".join(
                f"{a['operator_id']:<20} {a['role']:<11} {'disabled' if a['disabled'] else 'active'}" for a in accounts)
                or "No accounts yet.")
    finally:
        cache.close()
    return EXIT_OK


def cmd_settings(args, out: Output) -> int:
    from console.settings import SettingRefused, declared

    try:
        declared(args.key).parse(args.value)  # refused before the cache is opened
    except SettingRefused as exc:
        raise Refused(str(exc)) from None
    cache = open_for(args)
    try:
        stored = cache.set_setting(args.key, args.value)
    finally:
        cache.close()
    out.emit({args.key: stored}, f"{args.key} is now {stored or '(empty)'}.")
    return EXIT_OK


def cmd_self_test(args, out: Output) -> int:
    from console.selftest import run_self_test

    return run_self_test(gui=args.gui, as_json=args.json)


def _run_hub(args, out) -> int:
    from console.hub.cli import run_hub

    return run_hub(args)


COMMANDS = {
    "self-test": cmd_self_test,
    "operators": cmd_operators,
    "settings": cmd_settings,
    "import-register": cmd_import_register,
    "search": cmd_search,
    "check-caller": cmd_check_caller,
    "unlock": cmd_unlock,
    "demo-register": cmd_demo_register,
    "audit": cmd_audit,
}


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Output(args.json)
    from console.cli_calls import CALL_COMMANDS
    from console.cli_sync import SYNC_COMMANDS
    from console.core.roles import NotPermitted
    from console.store.connection import CacheError
    from console.store.operators import AccountError

    handlers = COMMANDS | CALL_COMMANDS | SYNC_COMMANDS | {"hub": _run_hub}
    try:
        if args.command is None:
            if args.demo:
                return run_demo(args, out)
            return _window_runner()(args.db or default_db_path(), operator=args.operator)
        return handlers[args.command](args, out)
    except Refused as exc:
        return out.fail(exc.problems, EXIT_REFUSED)
    except (CacheError, AccountError, NotPermitted) as exc:
        return out.fail([str(exc)], EXIT_FAILED)
    except sqlite3.DatabaseError as exc:
        return out.fail([f"The cache could not be read ({exc}). It has been left as it is for inspection; "
                         "move it aside, start a new cache and re-import the register."], EXIT_FAILED)
    except KeyboardInterrupt:
        return out.fail(["Interrupted; nothing more was changed."], EXIT_FAILED)
