"""`helpline-console sync`: one sync with the hub, or what is waiting for it."""

import sys

from console.cli.common import (EXIT_FAILED, EXIT_OK, Command, PasswordOnce, Refused, TerminalProgress, acting_operator,
                                open_for)


def _sync_arguments(p) -> None:
    p.add_argument("--hub", help="the hub's address, e.g. https://hub.helpline.example (remembered for next time)")
    p.add_argument("--status", action="store_true", help="only say what is waiting for the hub (no network)")
    p.add_argument("--enrol", metavar="CODE", help="first enrol this machine on the hub with the one-time code an "
                                                   "administrator got from `hub workstations enrol`")


def cmd_sync(args, out) -> int:
    from console.sync.client import HubRefused, HubUnreachable
    from console.sync.engine import SyncFailed, sync_cache
    from console.core.clock import skew_warning
    from console.store.clock import record_offset
    from console.store.connection import write_transaction
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
        if args.enrol:
            from console.sync.device import enrol

            device = enrol(hub, args.enrol)
            print(f"This machine is enrolled on the hub as {device.workstation}.", file=sys.stderr)
        progress = TerminalProgress(enabled=not args.json)
        for attempt in (1, 2):
            try:
                with hub_client(hub, cache.operator, cache.workstation, password()
                                if _needs_password(hub, cache.operator, cache.workstation) else None) as client:
                    report = sync_cache(cache, client, progress=progress)
                    offset = client.device_auth.clock_offset
                if offset is not None:
                    with write_transaction(cache.db):
                        record_offset(cache.db, offset)
                break
            except HubRefused as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                forget_token(hub, cache.operator, cache.workstation)  # expired or revoked: sign in again
        progress.finish()
    except HubUnreachable as exc:
        return out.fail([str(exc), "Nothing was lost: everything waiting stays queued for the next sync."], EXIT_FAILED)
    except HubRefused as exc:
        return out.fail([str(exc)], EXIT_FAILED)
    except SyncFailed as exc:
        return out.fail([str(exc)], EXIT_FAILED)
    finally:
        cache.close()
    warning = skew_warning(offset)
    text = _report_text(report) + (f"\n{warning}" if warning else "")
    out.emit({**report.as_json(), "clock_offset_seconds": offset, "clock_warning": warning}, text)
    return EXIT_OK


def _needs_password(hub: str, operator: str, workstation: str) -> bool:
    from console.sync.tokens import load_token

    return load_token(hub, operator, workstation) is None


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
