"""`settings SETTING VALUE`: change a workstation setting."""

from console.cli.common import EXIT_OK, Command, Refused, open_for


def _settings_arguments(p) -> None:
    # checked by cmd_settings (an unknown name is answered with the list): the
    # parser is built for every command, and loading the declarations is not free
    p.add_argument("key", metavar="SETTING", help="a setting's name, as declared in console/store/settings.py")
    p.add_argument("value")


def cmd_settings(args, out) -> int:
    from console.store.settings import SettingRefused, declared

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


COMMANDS = (Command("settings", "Change a workstation setting (admin only).", _settings_arguments, cmd_settings),)
