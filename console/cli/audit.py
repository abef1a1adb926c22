"""`audit verify` and `audit list`: the audit trail."""

import json

from console.cli.common import EXIT_FAILED, EXIT_OK, Command, add_common, open_for, option_instant


def _audit_arguments(p) -> None:
    audit_sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    a = audit_sub.add_parser("verify", help="check the hash chain and report the first broken link")
    add_common(a, suppress=True)
    a = audit_sub.add_parser("list", help="list entries")
    add_common(a, suppress=True)
    a.add_argument("--since")
    a.add_argument("--until")
    a.add_argument("--kind")
    a.add_argument("--person")
    a.add_argument("--by", dest="by_operator", help="entries by this operator")
    a.add_argument("--limit", type=int)


def cmd_audit(args, out) -> int:
    if args.audit_command == "verify":
        cache = open_for(args)
        try:
            report = cache.verify_audit()
        finally:
            cache.close()
        text = (f"Audit chain intact: {report.entries:,} entries." if report.ok
                else f"Audit chain BROKEN at entry {report.first_broken_seq}: {report.problem}.")
        out.emit(report.as_json(), text)
        return EXIT_OK if report.ok else EXIT_FAILED
    # refused before the cache is opened
    since, until = option_instant(args.since, "--since"), option_instant(args.until, "--until")
    cache = open_for(args)
    try:
        entries = cache.audit_entries(since=since, until=until, operator=args.by_operator,
                                      person_id=args.person, kind=args.kind, limit=args.limit)
    finally:
        cache.close()
    lines = [f"{e['seq']:>6} {e['at']} {e['kind']:<18} {e['operator'] or '-':<10} {e['person_id'] or '-':<12} "
             f"{json.dumps(e['detail'], ensure_ascii=False)}" for e in entries]
    out.emit({"entries": entries}, "\n".join(lines) if lines else "No audit entries.")
    return EXIT_OK


COMMANDS = (Command("audit", "Check or read the audit trail.", _audit_arguments, cmd_audit),)
