"""The window, the demo and the self-test. Qt is imported only when the
window is wanted, never when this module is: no other command loads it."""

from console.cli.common import (EXIT_FAILED, Command, PasswordOnce, Refused, TerminalProgress, acting_operator, default_db_path,
                                open_for)


def _window_runner():
    """The window's entry point, loaded by name when the window is wanted."""
    import importlib

    return importlib.import_module("console.ui.app").run_window


def run_window(args) -> int:
    """The window on the workstation's cache (no sub-command)."""
    return _window_runner()(args.db or default_db_path(), operator=args.operator)


def run_demo(args) -> int:
    """The window on a freshly generated demo register in a temporary cache,
    which is deleted (with its key) when the window closes."""
    from console.demo import prepare_demo

    run = _window_runner()

    demo = prepare_demo(args.demo_persons, progress=TerminalProgress(enabled=True))
    print(demo.instructions())
    try:
        return run(demo.cache_path, operator=args.operator or "demo-operator", demo=demo)
    finally:
        demo.discard()


def _self_test_arguments(p) -> None:
    p.add_argument("--gui", action="store_true", help="also open the window offscreen on that cache, then close it")


def cmd_self_test(args, out) -> int:
    from console.selftest import run_self_test

    return run_self_test(gui=args.gui, as_json=args.json)


def _wallboard_arguments(p) -> None:
    pass


def cmd_wallboard(args, out) -> int:
    """The wallboard alone, full screen, for a supervisor signed in here and on the hub."""
    import importlib

    from console.core import roles
    from console.sync.client import HubRefused, HubUnreachable
    from console.sync.tokens import hub_client, hub_reader, load_token

    password = PasswordOnce(acting_operator(args))  # for the cache and the hub, asked for once
    cache = open_for(args, password=password)
    try:
        if cache.setup_mode:
            raise Refused("The wallboard is for a signed-in supervisor, and this workstation has no accounts yet: "
                          "set it up (the window's setup assistant, or `sync --hub URL`) and sign in with "
                          "--operator ID.")
        if not roles.role_allows(cache.role, "dashboard"):
            raise Refused(f"The wallboard is for supervisors and admins; {cache.operator} signs in as an "
                          f"{cache.role}.")
        hub, operator, workstation = cache.hub_url, cache.operator, cache.workstation
        settings = cache.window_settings()
    finally:
        cache.close()
    if not hub:
        raise Refused("The line's figures come from the hub, and no hub is set for this workstation: set one with "
                      "`sync --hub URL`.")
    try:
        with hub_client(hub, operator, workstation,
                        password() if load_token(hub, operator, workstation) is None else None, timeout=10):
            pass  # signed in: the token is in the keystore for the wallboard's reads
    except (HubRefused, HubUnreachable) as exc:
        return out.fail([str(exc)], EXIT_FAILED)
    run = importlib.import_module("console.ui.wallboard").run_wallboard
    return run(hub_reader(hub, operator, workstation, timeout=settings["wallboard_refresh_seconds"]),
               cache.role, settings)


COMMANDS = (
    Command("wallboard", "Open the wallboard full screen: the line's figures from the hub against their targets "
                         "(supervisors and admins; Escape leaves it).", _wallboard_arguments, cmd_wallboard),
    Command("self-test", "Check this installation end to end in a throwaway cache (never the workstation's): "
                         "keystore, sample register import, a verification, a call, the audit chain.",
            _self_test_arguments, cmd_self_test),
)
