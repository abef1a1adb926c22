"""`operators add | disable | list | passwd | reset`: the workstation's operator accounts.

`passwd` is the operator's own change (their current password, asked for or
read from HELPLINE_CONSOLE_PASSWORD, then the new one, asked for twice or read
from HELPLINE_CONSOLE_NEW_PASSWORD); it works for an account whose password an
admin reset, which cannot sign in until it has. `reset ID` is an admin's: a
temporary password the account must change at its next sign-in.
"""

from console.cli.common import (EXIT_OK, NEW_PASSWORD_ENV, PASSWORD_ENV, Command, Refused, accounts_text,
                                acting_operator, add_common, default_db_path, new_password, open_for, read_password)


def _operators_arguments(p) -> None:
    op_sub = p.add_subparsers(dest="operators_command", metavar="ACTION", required=True)
    a = op_sub.add_parser("add", help="add an account; its password is asked for, or read from "
                                      f"{NEW_PASSWORD_ENV} (for the first admin: {PASSWORD_ENV})")
    add_common(a, suppress=True)
    a.add_argument("operator_id")
    a.add_argument("--role", required=True, choices=("operator", "supervisor", "admin"))
    a = op_sub.add_parser("disable", help="disable an account")
    add_common(a, suppress=True)
    a.add_argument("operator_id")
    a = op_sub.add_parser("list", help="list accounts")
    add_common(a, suppress=True)
    a = op_sub.add_parser("passwd", help=f"change your own password (--operator ID; the current one from "
                                         f"{PASSWORD_ENV}, the new one from {NEW_PASSWORD_ENV}, or both asked for)")
    add_common(a, suppress=True)
    a = op_sub.add_parser("reset", help="give an account a temporary password it must change at its next sign-in")
    add_common(a, suppress=True)
    a.add_argument("operator_id")


def _passwd(args, out) -> int:
    from console.store.cache import Cache

    operator_id = acting_operator(args)
    if not operator_id:
        raise Refused("Say whose password changes: --operator ID.")
    current = read_password(f"Current password for {operator_id}: ")
    new = new_password(operator_id, NEW_PASSWORD_ENV, whose="the account")
    cache = Cache.open(args.db or default_db_path())
    try:
        cache.change_password(operator_id, current, new)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    finally:
        cache.close()
    out.emit({"operator_id": operator_id, "password_changed": True}, f"Changed the password of {operator_id}.")
    return EXIT_OK


def cmd_operators(args, out) -> int:
    if args.operators_command == "passwd":
        return _passwd(args, out)
    cache = open_for(args)
    try:
        if args.operators_command == "add":
            password = new_password(args.operator_id, PASSWORD_ENV if cache.setup_mode else NEW_PASSWORD_ENV)
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
        elif args.operators_command == "reset":
            temporary = new_password(args.operator_id, NEW_PASSWORD_ENV, whose="the account")
            try:
                cache.reset_password(args.operator_id, temporary)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            out.emit({"operator_id": args.operator_id, "must_change": True},
                     f"Reset the password of {args.operator_id}; it must be changed at the next sign-in.")
        else:
            accounts = cache.list_operators()
            out.emit({"operators": accounts}, accounts_text(accounts))
    finally:
        cache.close()
    return EXIT_OK


COMMANDS = (
    Command("operators", "Add, disable, list and reset operator accounts (admin only; the first admin needs no "
                         "sign-in), and change your own password.",
            _operators_arguments, cmd_operators),
)
