"""Verifying a caller and lifting a lockout: check-caller, unlock."""

from console.cli.common import EXIT_OK, Command, Refused, open_for, option_day, option_instant


def _check_caller_arguments(p) -> None:
    for option in ("--family-name", "--given-name", "--dob", "--nhi", "--phone", "--email", "--code"):
        p.add_argument(option)
    p.add_argument("--caller-type", default="patient", choices=("patient", "representative", "practice", "media", "other"))
    p.add_argument("--relationship", choices=("parent", "guardian", "attorney", "other"))
    p.add_argument("--flag", action="append", default=[], choices=("distress", "extortion", "media", "complaint"))
    p.add_argument("--at", help="time of the call, ISO 8601 with offset (default now)")
    p.add_argument("--callback", help="an answered callback's id, countersigned by a supervisor: "
                                      "its name match counts as possession")


def cmd_check_caller(args, out) -> int:
    from console.core.attest import NotAttested
    from console.core.policy import CallerClaim
    from console.core.timeutil import now

    at = option_instant(args.at, "--at") or now()
    claim = CallerClaim(
        family_name=args.family_name, given_name=args.given_name, date_of_birth=option_day(args.dob, "--dob"),
        nhi=args.nhi, phone=args.phone, email=args.email, code=args.code,
        caller_type=args.caller_type, relationship=args.relationship, flags=tuple(dict.fromkeys(args.flag)),
    )
    cache = open_for(args, check=False)
    try:
        callback_persons = frozenset()
        if args.callback:
            callback_persons = cache.answered_callback_persons(args.callback)
        verification = cache.verify_caller(claim, at, callback_persons)
    except NotAttested as exc:
        raise Refused(*exc.problems, "Nothing was checked.") from None
    finally:
        cache.close()
    result = verification.as_json()
    out.emit(result, _verification_text(result, verification.register_version))
    return EXIT_OK


def _verification_text(result: dict, version: str | None) -> str:
    lines = [f"Register as of {version or '(none imported)'}"]
    if result["outcome"] == "verified":
        status = "AFFECTED: their files were taken" if result["affected_status"] == "affected" else "NOT AFFECTED"
        lines.append(f"Verified ({result['assurance']}): {status}")
        for doc in result.get("documents", []):
            lines.append(f"  - {doc['category'].replace('_', ' ')}, {doc['document_date'] or 'date unknown'}"
                         f"{', SENSITIVE' if doc['sensitive'] else ''}")
    else:
        lines.append("Not verified. Offer a callback to the numbers on file.")
    lines.append("Guidance: " + ", ".join(result["guidance"]))
    return "\n".join(lines)


def _unlock_arguments(p) -> None:
    p.add_argument("person_id")
    p.add_argument("--reason")


def cmd_unlock(args, out) -> int:
    cache = open_for(args)
    try:
        unlock = cache.unlock(args.person_id, args.reason)
    finally:
        cache.close()
    out.emit({"person_id": args.person_id, "cleared_attempts": unlock["cleared_attempts"]},
             f"Unlocked {args.person_id}: {unlock['cleared_attempts']} failed attempts cleared.")
    return EXIT_OK


COMMANDS = (
    Command("check-caller", "Verify a caller by the policy and say what may be disclosed.",
            _check_caller_arguments, cmd_check_caller),
    Command("unlock", "Clear a person's failed verification attempts.", _unlock_arguments, cmd_unlock),
)
