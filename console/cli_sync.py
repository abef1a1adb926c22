"""`helpline-console sync`: one sync with the hub, or what is waiting for it."""

import os

from console.cli import EXIT_FAILED, EXIT_OK, PASSWORD_ENV, Refused, TerminalProgress, default_db_path, read_password


def add_sync_commands(command) -> None:
    p = command("sync", "Sync with the hub now: send calls and audit, take accounts, lockouts and the register.")
    p.add_argument("--hub", help="the hub's address, e.g. https://hub.helpline.example (remembered for next time)")
    p.add_argument("--status", action="store_true", help="only say what is waiting for the hub (no network)")


class _Password:
    """Asked for (or read from the environment) at most once per command."""

    def __init__(self, operator):
        self.operator = operator
        self.value = None

    def __call__(self) -> str:
        if self.value is None:
            self.value = read_password(f"Password for {self.operator}: ")
        return self.value


def _open(args, password: _Password):
    from console.store.cache import Cache

    cache = Cache.open(args.db or default_db_path(), operator=password.operator)
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


def cmd_sync(args, out) -> int:
    from console.sync.client import HubRefused, HubUnreachable
    from console.sync.engine import SyncFailed, sync_cache
    from console.sync.tokens import forget_token, hub_client

    password = _Password(args.operator or os.environ.get("HELPLINE_CONSOLE_OPERATOR"))
    cache = _open(args, password)
    try:
        if args.status:
            status = cache.sync_status()
            out.emit(status, _status_text(status))
            return EXIT_OK
        hub = args.hub or cache.hub_url
        if not hub:
            raise Refused("No hub is set for this workstation: give its address with --hub URL.")
        if not cache.operator:
            raise Refused("Name the operator who signs in to the hub with --operator ID.")
        if hub != cache.hub_url:
            cache.set_setting("hub_url", hub)
        progress = TerminalProgress(enabled=not args.json)
        for attempt in (1, 2):
            try:
                with hub_client(hub, cache.operator, cache.workstation, password()
                                if _needs_password(hub, cache.operator) else None) as client:
                    report = sync_cache(cache, client, progress=progress)
                break
            except HubRefused as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                forget_token(hub, cache.operator)  # expired or revoked: sign in again
        progress.finish()
    except HubUnreachable as exc:
        return out.fail([str(exc), "Nothing was lost: everything waiting stays queued for the next sync."], EXIT_FAILED)
    except HubRefused as exc:
        return out.fail([str(exc)], EXIT_FAILED)
    except SyncFailed as exc:
        return out.fail([str(exc)], EXIT_FAILED)
    finally:
        cache.close()
    out.emit(report.as_json(), _report_text(report))
    return EXIT_OK


def _needs_password(hub: str, operator: str) -> bool:
    from console.sync.tokens import load_token

    return load_token(hub, operator) is None


def _report_text(report) -> str:
    pushed = ", ".join(f"{n} {status}" for status, n in sorted(report.pushed.items())) or "nothing"
    pulled = ", ".join(f"{n} {kind}" for kind, n in sorted(report.pulled.items())) or "nothing new"
    text = f"Synced. Sent: {pushed}. Received: {pulled}. Register: {report.register}."
    if report.conflicts:
        text += f" {report.conflicts} entries conflict with the hub's: see `sync --status`."
    return text


def _status_text(status: dict) -> str:
    lines = [f"Hub: {status['hub'] or 'none set'}", f"Last sync: {status['last_success'] or 'never'}",
             f"Waiting: {status['outbox']} items, {status['unpushed_audit']} audit entries"]
    for conflict in status["conflicts"]:
        lines.append(f"Conflict: {conflict['kind']} {conflict['id']}: {conflict['message']}")
    return "\n".join(lines)


SYNC_COMMANDS = {"sync": cmd_sync}
