"""The window, the demo and the self-test. Qt is imported only when the
window is wanted, never when this module is: no other command loads it."""

from console.cli.common import Command, TerminalProgress, default_db_path


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


COMMANDS = (
    Command("self-test", "Check this installation end to end in a throwaway cache (never the workstation's): "
                         "keystore, sample register import, a verification, a call, the audit chain.",
            _self_test_arguments, cmd_self_test),
)
