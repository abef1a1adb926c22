"""What every command of `helpline-console` shares (../shared/specs/cli.md):
the exit codes, the one refusal, the options common to all commands, the
output, the one parser of a typed time or day, and opening the cache signed in.

Imported by every module of console/cli; it imports none of them.
"""

import argparse
import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from typing import Callable

from console.core.output_safety import printable_json, printable_text
from console.core.timeutil import TimeFormatError, parse_day, parse_instant

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2

PASSWORD_ENV = "HELPLINE_CONSOLE_PASSWORD"
OPERATOR_ENV = "HELPLINE_CONSOLE_OPERATOR"
NEW_PASSWORD_ENV = "HELPLINE_CONSOLE_NEW_PASSWORD"


class Refused(Exception):
    """Input refused: nothing changed; exit status 2."""

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def default_db_path() -> str:
    from platformdirs import user_data_path

    return str(user_data_path("helpline-console", appauthor=False) / "cache.db")


def add_common(parser, suppress: bool) -> None:
    """--db, --json and --operator. The same options are accepted before or
    after the sub-command; after it they must not overwrite what was given
    before with their defaults (suppress=True)."""
    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    parser.add_argument("--db", default=default(None), help="the local cache file (default: the per-user data folder)")
    parser.add_argument("--json", action="store_true", default=default(False), help="print one JSON object")
    parser.add_argument("--operator", default=default(None), help="who is acting; recorded on audit entries and calls")


@dataclass(frozen=True)
class Command:
    """A sub-command: its name and help, the function adding its arguments to
    its parser, and the function running it (returns the exit status)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, "Output"], int]


# output


def print_json(obj, indent: int | None = None) -> None:
    """JSON on standard output, every control character in it escaped (console.core.output_safety)."""
    print(printable_json(json.dumps(obj, ensure_ascii=False, indent=indent)))


class Output:
    """What a command prints: register values and notes can hold escape
    sequences, so nothing reaches the terminal without printable_text or
    printable_json (console.core.output_safety)."""

    def __init__(self, as_json: bool):
        self.as_json = as_json

    def emit(self, obj: dict, text: str | None = None) -> None:
        if self.as_json:
            print_json(obj)
        elif text is not None:
            print(printable_text(text))
        else:
            print_json(obj, indent=2)

    def fail(self, problems: list[str], code: int) -> int:
        for problem in problems:
            print(printable_text(problem), file=sys.stderr)
        if self.as_json:
            print_json({"errors": problems})
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


def run(handler, args: argparse.Namespace) -> int:
    """Run a command; a refusal or a failure becomes sentences on standard
    error (and "errors" with --json) and the exit status of cli.md."""
    from console.core.roles import NotPermitted
    from console.store.connection import CacheError
    from console.store.operators import AccountError

    out = Output(getattr(args, "json", False))
    try:
        return handler(args, out)
    except Refused as exc:
        return out.fail(exc.problems, EXIT_REFUSED)
    except (CacheError, AccountError, NotPermitted) as exc:
        return out.fail([str(exc)], EXIT_FAILED)
    except sqlite3.DatabaseError as exc:
        return out.fail([f"The cache could not be read ({exc}). It has been left as it is for inspection; "
                         "move it aside, start a new cache and re-import the register."], EXIT_FAILED)
    except KeyboardInterrupt:
        return out.fail(["Interrupted; nothing more was changed."], EXIT_FAILED)


# typed times and days: the one parser (console.core.timeutil), refused as a sentence


def _typed(parse, text: str | None, option: str):
    if not text:
        return None
    try:
        return parse(text, option)
    except TimeFormatError as exc:
        raise Refused(f"{exc}.") from None


def option_instant(text: str | None, option: str):
    """The aware datetime typed for `option`, or None when it was not given."""
    return _typed(parse_instant, text, option)


def option_day(text: str | None, option: str):
    """The calendar date typed for `option` (YYYY-MM-DD), or None when it was not given."""
    return _typed(parse_day, text, option)


# signing in


def acting_operator(args) -> str | None:
    """Who is acting: --operator, or the environment; known before the cache is opened."""
    return args.operator or os.environ.get(OPERATOR_ENV)


def read_password(prompt: str, env: str = PASSWORD_ENV) -> str:
    """From the environment (automation) or typed at the terminal, never echoed."""
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise Refused(f"A password is needed: set {env} or run the command at a terminal to be asked for it.")
    import getpass

    return getpass.getpass(prompt)


def new_password(operator_id: str, env: str, whose: str = "the new account") -> str:
    """A new password, typed twice at a terminal (once from the environment)."""
    password = read_password(f"New password for {whose} {operator_id}: ", env)
    if not os.environ.get(env) and read_password("The same password again: ", env) != password:
        raise Refused("The two passwords differ; nothing was changed.")
    return password


def accounts_text(accounts: list[dict]) -> str:
    """Operator accounts, one a line, as `operators list` and `hub operators list` print them."""
    return "\n".join(f"{a['operator_id']:<20} {a['role']:<11} {'disabled' if a['disabled'] else 'active'}"
                     for a in accounts) or "No accounts yet."


class PasswordOnce:
    """The acting operator's password, asked for (or read from the environment)
    at most once per command however often it is needed."""

    def __init__(self, operator: str | None):
        self.operator = operator
        self.value = None

    def __call__(self) -> str:
        if self.value is None:
            self.value = read_password(f"Password for {self.operator}: ")
        return self.value


def open_for(args, check: bool = True, password: PasswordOnce | None = None):
    """The cache, signed in as the acting operator once accounts exist (cli.md, Sign-in)."""
    from console.store.cache import Cache

    password = password or PasswordOnce(acting_operator(args))
    cache = Cache.open(args.db or default_db_path(), operator=password.operator, check=check)
    if cache.setup_mode:
        return cache
    try:
        if not password.operator:
            raise Refused("Operator accounts exist on this cache: sign in with --operator ID "
                          f"(the password is asked for, or read from {PASSWORD_ENV}).")
        cache.sign_in(password.operator, password())
    except BaseException:
        cache.close()
        raise
    return cache
