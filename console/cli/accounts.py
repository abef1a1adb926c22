"""`operators add | disable | list`: the workstation's operator accounts."""

from console.cli.common import (EXIT_OK, NEW_PASSWORD_ENV, PASSWORD_ENV, Command, Refused, accounts_text, add_common,
                                new_password, open_for)


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


def cmd_operators(args, out) -> int:
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
        else:
            accounts = cache.list_operators()
            out.emit({"operators": accounts}, accounts_text(accounts))
    finally:
        cache.close()
    return EXIT_OK


COMMANDS = (
    Command("operators", "Add, disable and list operator accounts (admin only; the first admin needs no sign-in).",
            _operators_arguments, cmd_operators),
)
