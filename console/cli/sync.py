"""`helpline-console sync`: one sync with the hub, or what is waiting for it."""

from console.cli.common import (EXIT_FAILED, EXIT_OK, Command, PasswordOnce, Refused, TerminalProgress, acting_operator,
                                open_for)


def _sync_arguments(p) -> None:
    p.add_argument("--hub", help="the hub's address, e.g. https://hub.helpline.example (remembered for next time)")
    p.add_argument("--status", action="store_true", help="only say what is waiting for the hub (no network)")


def cmd_sync(args, out) -> int:
    from console.sync.client import HubRefused, HubUnreachable
    from console.sync.engine import SyncFailed, sync_cache
    from console.sync.tokens import forget_token, hub_client

    password = PasswordOnce(acting_operator(args))  # for the cache and the hub, asked for once
    cache = open_for(args, password=password)
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
    """A supervisor's status counts every kind; an operator's, calls and
    escalations only, the rest as one "other records" (Cache.sync_status)."""
    counts = [f"{n} {kind}" for kind, n in sorted(status["outbox_by_kind"].items())]
    if "unpushed_audit" in status:
        counts.append(f"{status['unpushed_audit']} audit entries")
    elif status["other_waiting"]:
        counts.append("other records")
    lines = [f"Hub: {status['hub'] or 'none set'}", f"Last sync: {status['last_success'] or 'never'}",
             f"Waiting: {', '.join(counts) or 'nothing'}"]
    for conflict in status["conflicts"]:
        lines.append(f"Conflict: {conflict['kind']} {conflict['id']}: {conflict['message']}")
    if status.get("other_conflicts"):
        lines.append("Other records conflict with the hub's: a supervisor can see them with `sync --status`.")
    if status.get("refused"):
        lines.append("Refused by the hub, kept here for a supervisor: "
                     + ", ".join(f"{n} {kind}" for kind, n in status["refused"].items()))
    return "\n".join(lines)


COMMANDS = (
    Command("sync", "Sync with the hub now: send calls and audit, take accounts, lockouts and the register.",
            _sync_arguments, cmd_sync),
)
