"""The call-log commands of `helpline-console`: log-call, stats, export-calls, callbacks."""

import io
import json
import sys

from console.cli.common import EXIT_OK, Command, Refused, acting_operator, add_common, open_for, option_day, option_instant


def _log_call_arguments(p) -> None:
    p.add_argument("--file", help="a JSON record or JSON Lines file (default: standard input)")


def _window_arguments(p) -> None:
    p.add_argument("--since")
    p.add_argument("--until")


def _export_calls_arguments(p) -> None:
    _window_arguments(p)
    p.add_argument("--format", default="csv", choices=("csv", "jsonl"))
    p.add_argument("--output", help="file to write (default: standard output)")


def _callbacks_arguments(p) -> None:
    sub = p.add_subparsers(dest="callbacks_command", metavar="ACTION", required=True)
    b = sub.add_parser("book", help="book a callback to the numbers on file of the caller's name match")
    add_common(b, suppress=True)
    for option in ("--family-name", "--given-name", "--dob"):
        b.add_argument(option)
    b.add_argument("--due", help="when to call back, ISO 8601 with offset (default now)")
    b.add_argument("--call-id")
    b.add_argument("--reason", default="caller_asked", choices=("caller_asked", "not_verified"))
    ls = sub.add_parser("list", help="list callbacks")
    add_common(ls, suppress=True)
    ls.add_argument("--which", default="open", choices=("open", "due", "overdue", "closed", "all"))
    ls.add_argument("--assigned-to")
    a = sub.add_parser("assign", help="assign a callback to an operator")
    add_common(a, suppress=True)
    a.add_argument("callback_id")
    a.add_argument("assignee")
    c = sub.add_parser("complete", help="close a callback with its outcome")
    add_common(c, suppress=True)
    c.add_argument("callback_id")
    c.add_argument("--outcome", required=True, choices=("answered", "no_answer", "wrong_number", "declined", "no_number_on_file"))
    c.add_argument("--notes")
    cs = sub.add_parser("countersign", help="as a supervisor, attest that another operator's callback was answered")
    add_common(cs, suppress=True)
    cs.add_argument("callback_id")


def read_call_records(text: str, operator) -> tuple[list[dict], bool]:
    """One JSON record, or a batch (JSON Lines or a JSON list), every record
    validated before any is stored; returns the records and whether it was a batch."""
    from console.core.calls import CallRecordInvalid, validate_call_record

    text = text.removeprefix("\ufeff")
    stripped = text.strip()
    if not stripped:
        raise Refused("No call record was given: pass --file or a JSON record on standard input.")
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        # JSON Lines. Only "\n" ends a line: str.splitlines would also split at
        # U+2028 and friends, which JSON allows unescaped inside a string.
        batch, label = True, "line"
        documents = []
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                documents.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise Refused(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno}); nothing was stored.") from None
    else:
        batch, label = isinstance(whole, list), "record"
        documents = list(enumerate(whole, 1)) if batch else [(None, whole)]
    problems, records, seen = [], [], set()
    for number, document in documents:
        # JSON Lines name the line of the file; a JSON list, the record's place in it
        where = f"{label} {number}: " if number is not None else ""
        try:
            record = validate_call_record(document, operator=operator, where=where)
        except CallRecordInvalid as exc:
            problems += exc.problems
            continue
        if record["call_id"] in seen:
            continue
        seen.add(record["call_id"])
        records.append(record)
    if problems:
        raise Refused(*problems, "Nothing was stored.")
    return records, batch


def cmd_log_call(args, out) -> int:
    if args.file:
        try:
            with open(args.file, encoding="utf-8-sig") as f:
                text = f.read()
        except OSError as exc:
            raise Refused(f"{args.file}: cannot be read ({exc.strerror}).") from None
        except UnicodeDecodeError as exc:
            raise Refused(f"{args.file}: is not UTF-8 text (byte {exc.start + 1}); nothing was stored.") from None
    else:
        try:
            # UTF-8 strictly, whatever the locale: undecodable bytes are refused, not smuggled in as surrogates
            raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
            text = raw.decode("utf-8-sig")
        except UnicodeError as exc:
            raise Refused(f"Standard input is not UTF-8 text ({exc.reason}); nothing was stored.") from None
    # every record is validated before the cache is even opened: a refusal changes nothing
    records, batch = read_call_records(text, acting_operator(args))
    from console.core.attest import NotAttested

    cache = open_for(args)
    try:
        new = cache.log_calls(records)
    except NotAttested as exc:
        raise Refused(*exc.problems, "Nothing was stored.") from None
    finally:
        cache.close()
    if not batch:
        out.emit({"call_id": records[0]["call_id"]},
                 f"Saved call {records[0]['call_id']}." if new[0] else f"Call {records[0]['call_id']} was already saved.")
    else:
        ids = [r["call_id"] for r in records]
        out.emit({"call_ids": ids, "stored": sum(new)}, f"Saved {sum(new)} new calls of {len(ids)}.")
    return EXIT_OK


def _window(args):
    since, until = option_instant(args.since, "--since"), option_instant(args.until, "--until")
    if since and until and until < since:
        raise Refused("--until is before --since.")
    return since, until


def cmd_stats(args, out) -> int:
    since, until = _window(args)
    cache = open_for(args)
    try:
        result = cache.stats(since, until)
    finally:
        cache.close()
    handle = result["handle_time_seconds"]
    text = "\n".join([
        f"Calls: {result['calls']:,}   escalations: {result['escalations']:,}",
        "Verification: " + ", ".join(f"{k} {v:,}" for k, v in result["verification"].items()),
        "Disclosed: " + ", ".join(f"{k} {v:,}" for k, v in result["disclosed"].items()),
        "Handle time: " + ", ".join(f"{k} {'-' if handle[k] is None else f'{handle[k]:g} s'}" for k in ("median", "p90")),
        *(f"{key.replace('_', ' ')}: " + (", ".join(f"{k} {v:,}" for k, v in result[key].items()) or "-")
          for key in ("by_outcome", "by_caller_type", "by_region", "by_operator")),
    ])
    out.emit(result, text)
    return EXIT_OK


def cmd_export_calls(args, out) -> int:
    from console.core.output_safety import open_private
    from console.store.exports import write_calls

    since, until = _window(args)
    cache = open_for(args)
    try:
        records = cache.export_calls(since, until)
        # UTF-8 whatever the platform's default; CSV with a byte-order mark and
        # its own \r\n line ends, which must not be translated again
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        if args.output:
            try:
                with open_private(args.output, encoding=encoding) as f:
                    write_calls(records, f, args.format)
            except OSError as exc:
                raise Refused(f"{args.output}: cannot be written ({exc.strerror}).") from None
        elif hasattr(sys.stdout, "buffer"):
            sys.stdout.flush()
            stream = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="", write_through=True)
            try:
                write_calls(records, stream, args.format)
                stream.flush()
            finally:
                stream.detach()
        else:  # a text-only stand-in for standard output
            if args.format == "csv":
                sys.stdout.write("\ufeff")
            write_calls(records, sys.stdout, args.format)
        cache.record_export("calls", len(records), format=args.format)
    finally:
        cache.close()
    if args.output:
        print(f"Exported {len(records):,} calls to {args.output}.", file=sys.stderr)
    return EXIT_OK


def cmd_callbacks(args, out) -> int:
    from console.core.policy import CallerClaim
    from console.store import callbacks

    for option in ("call_id", "assignee", "notes", "callback_id"):
        value = getattr(args, option, None)
        if value is not None and value != value.encode("utf-8", "replace").decode("utf-8"):
            raise Refused(f"The {option.replace('_', ' ')} given is not valid text (undecodable bytes).")
    if args.callbacks_command == "book":  # refuse bad options before the cache is touched
        claim = CallerClaim(family_name=args.family_name, given_name=args.given_name,
                            date_of_birth=option_day(args.dob, "--dob"))
        due = option_instant(args.due, "--due")
    cache = open_for(args)
    try:
        if args.callbacks_command == "book":
            booked = cache.book_callback(claim, due_at=due, call_id=args.call_id, reason=args.reason)
            out.emit(booked, f"Callback {booked['callback_id']} booked, due {booked['due_at']}.")
        elif args.callbacks_command == "list":
            rows = cache.list_callbacks(which=args.which, operator=args.assigned_to)  # audited: it shows numbers
            lines = [f"{r['callback_id']}  due {r['due_at']}  {r['status']}{' OVERDUE' if r['overdue'] else ''}  "
                     f"assigned {r['assigned_to'] or '-'}  {', '.join(r['numbers'])}" for r in rows]
            out.emit({"callbacks": rows}, "\n".join(lines) if lines else "No callbacks.")
        elif args.callbacks_command == "assign":
            row = cache.assign_callback(args.callback_id, args.assignee)
            out.emit({"callback_id": row["callback_id"], "assigned_to": row["assigned_to"]},
                     f"Callback {row['callback_id']} assigned to {row['assigned_to']}.")
        elif args.callbacks_command == "countersign":
            row = cache.countersign_callback(args.callback_id)
            out.emit({"callback_id": row["callback_id"], "countersigned_by": row["countersigned_by"]},
                     f"Callback {row['callback_id']} countersigned by {row['countersigned_by']}.")
        else:
            row = cache.complete_callback(args.callback_id, args.outcome, notes=args.notes)
            out.emit({"callback_id": row["callback_id"], "status": row["status"], "outcome": row["outcome"]},
                     f"Callback {row['callback_id']} closed: {row['outcome']}.")
    except callbacks.CallbackError as exc:
        raise Refused(str(exc)) from None
    finally:
        cache.close()
    return EXIT_OK


COMMANDS = (
    Command("log-call", "Validate and durably store a call record (JSON, or JSON Lines with --file).",
            _log_call_arguments, cmd_log_call),
    Command("stats", "Call statistics over [--since, --until).", _window_arguments, cmd_stats),
    Command("export-calls", "Export stored call records as CSV or JSON Lines.", _export_calls_arguments, cmd_export_calls),
    Command("callbacks", "Book, list, assign, complete and countersign callbacks.", _callbacks_arguments,
            cmd_callbacks),
)
