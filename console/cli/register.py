"""The register's commands: import-register, search, demo-register."""

import sys

from console.cli.common import EXIT_OK, Command, Refused, TerminalProgress, open_for, option_day
from console.core.output_safety import printable


def _import_register_arguments(p) -> None:
    p.add_argument("path")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid rows; write the invalid ones to --rejects")
    p.add_argument("--rejects", help="CSV file for the rows --skip-invalid left out, with reasons")


def cmd_import_register(args, out) -> int:
    from console.core.register_format import RegisterRefused

    if args.rejects and not args.skip_invalid:
        raise Refused("--rejects goes with --skip-invalid.")
    cache = open_for(args)
    progress = TerminalProgress(enabled=not args.json)
    try:
        result = cache.import_register(args.path, skip_invalid=args.skip_invalid, rejects=args.rejects, progress=progress)
    except RegisterRefused as exc:
        progress.finish()
        raise Refused(*exc.problems, "The register was not imported; the previous register is still in service.") from None
    finally:
        cache.close()
    progress.finish()
    if result.rejected and not args.rejects:
        for problem in result.rejected_listed:
            print(printable(problem), file=sys.stderr)
    text = (f"Imported register {result.register_version}: {result.persons:,} persons, "
            f"{result.documents:,} stolen files, {result.practices:,} practices.")
    if result.rejected_count:
        text += (f" {result.rejected_count:,} invalid rows left out"
                 + (f" (see {args.rejects})." if args.rejects else "."))
    out.emit(result.as_json(), text)
    return EXIT_OK


def _search_arguments(p) -> None:
    for option in ("--name", "--family-name", "--given-name", "--dob", "--nhi", "--phone", "--email"):
        p.add_argument(option)
    p.add_argument("--limit", type=int, default=20)


def cmd_search(args, out) -> int:
    from console.store.search import SearchQuery

    option_day(args.dob, "--dob")
    if args.limit < 1:
        raise Refused("--limit must be 1 or more.")
    query = SearchQuery(args.name, args.family_name, args.given_name, args.dob, args.nhi, args.phone, args.email, args.limit)
    if not query.fields_used():
        raise Refused("Give at least one of --name, --family-name, --given-name, --dob, --nhi, --phone, --email.")
    cache = open_for(args, check=False)
    try:
        results = cache.search(query)
    finally:
        cache.close()
    lines = [_result_line({k: printable(v) if isinstance(v, str) else v for k, v in r.items()}) for r in results]
    out.emit({"results": results}, "\n".join(lines) if lines else "No records found.")
    return EXIT_OK


def _result_line(r: dict) -> str:
    return (f"{r['score']:.2f}  {r['person_id']}  {r['family_name']}, {r['given_names']}"
            f"{' (' + r['preferred_name'] + ')' if r['preferred_name'] else ''}  born {r['date_of_birth'] or '?'}"
            f"  {r['suburb'] or ''} {r['city'] or ''}".rstrip())


def _demo_register_arguments(p) -> None:
    p.add_argument("outdir")
    p.add_argument("--persons", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)


def cmd_demo_register(args, out) -> int:
    from console.demo.register import write_demo_register

    if args.persons < 1:
        raise Refused("--persons must be 1 or more.")
    progress = TerminalProgress(enabled=not args.json)
    manifest = write_demo_register(args.outdir, args.persons, seed=args.seed, progress=lambda d, t: progress("writing", d, t))
    progress.finish()
    out.emit({"outdir": args.outdir, **manifest},
             f"Wrote demo register {manifest['register_version']} to {args.outdir}: "
             f"{manifest['counts']['persons']:,} persons, {manifest['counts']['documents']:,} stolen files.")
    return EXIT_OK


COMMANDS = (
    Command("import-register", "Import a breach register folder or .zip, replacing the one in service.",
            _import_register_arguments, cmd_import_register),
    Command("search", "Find records in the register (no affected status is shown).", _search_arguments, cmd_search),
    Command("demo-register", "Write a synthetic register in the exchange format.",
            _demo_register_arguments, cmd_demo_register),
)
