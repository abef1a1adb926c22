"""The `helpline-console` command (../shared/specs/cli.md).

Sub-commands run the same core and store as the window and never import Qt;
heavy modules are imported inside the commands that need them, so
`check-caller` starts about as fast as its libraries allow.

One module per group of commands, each over `common` (the one Refused, the
exit codes, the one parser of a typed time, opening the cache signed in);
no group imports another.
"""

import argparse

from console.cli import accounts, audit, callers, calls, hub, register, settings, sync, window
from console.cli.common import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Refused, add_common, run

__all__ = ["main", "build_parser", "COMMANDS", "Refused", "EXIT_OK", "EXIT_FAILED", "EXIT_REFUSED"]

# in the order `--help` lists them
_ALL = {c.name: c for group in (register, callers, audit, accounts, settings, window, calls, sync)
        for c in group.COMMANDS}
ORDER = ("import-register", "search", "check-caller", "unlock", "demo-register", "audit", "operators", "settings",
         "self-test", "wallboard", "log-call", "stats", "export-calls", "callbacks", "sync")
assert set(ORDER) == set(_ALL), "every command is listed once in ORDER"
COMMANDS = {name: _ALL[name].run for name in ORDER} | {"hub": hub.run_hub}


def build_parser() -> argparse.ArgumentParser:
    from console import __version__

    parser = argparse.ArgumentParser(prog="helpline-console", description="The breach helpline's console.")
    parser.add_argument("--version", action="version", version=f"helpline-console {__version__}")
    parser.add_argument("--demo", action="store_true", help="open on a freshly generated demo register in a temporary cache")
    parser.add_argument("--demo-persons", type=int, default=20_000, help=argparse.SUPPRESS)
    add_common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in ORDER:
        command = _ALL[name]
        p = sub.add_parser(name, help=command.help, description=command.help)
        add_common(p, suppress=True)
        command.arguments(p)
    if hub.installed():
        hub.add_hub_commands(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        return run(lambda args, out: window.run_demo(args) if args.demo else window.run_window(args), args)
    return run(COMMANDS[args.command], args)
