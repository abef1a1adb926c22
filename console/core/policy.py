"""The caller verification, disclosure and guidance policy, version 2.

`decide` is the whole rule of `verification-policy.md` over persons the store
has already fetched (every person with the caller's date of birth): it needs
no database, so every row of the policy's tables is tested directly.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from console.core.codes import verify_code
from console.core.contact import email_key, notification_key, phone_e164
from console.core.names import family_matches, given_matches
from console.core.nhi import is_valid_nhi, normalise_nhi
from console.core.timeutil import age_on

CALLER_TYPES = ("patient", "representative", "practice", "media", "other")
RELATIONSHIPS = ("parent", "guardian", "attorney", "other")
FLAGS = ("distress", "extortion", "media", "complaint")
REASONS = ("verified", "locked", "representative_not_authorised", "ambiguous", "insufficient", "no_match")
LOCKOUT_ATTEMPTS = 3
LOCKOUT_WINDOW_HOURS = 24
REPRESENTATIVE_CHILD_AGE = 16


@dataclass(frozen=True)
class Document:
    category: str
    document_date: str | None
    sensitive: bool

    def sort_key(self):
        # by date (missing last), then category, then non-sensitive first
        return (self.document_date is None, self.document_date or "", self.category, self.sensitive)


@dataclass(frozen=True)
class RegisteredPerson:
    person_id: str
    family_name: str
    given_names: str
    preferred_name: str | None = None
    date_of_birth: str | None = None
    nhi: str | None = None
    phones: tuple[str, ...] = ()
    email: str | None = None
    notification_code_hash: str | None = None  # argon2id (console.core.codes); the code itself is never kept
    documents: tuple[Document, ...] = ()

    @property
    def affected_status(self) -> str:
        return "affected" if self.documents else "not_affected"


@dataclass(frozen=True)
class CallerClaim:
    """What the caller said, as typed; nothing here is trusted."""

    family_name: str | None = None
    given_name: str | None = None
    date_of_birth: date | None = None
    nhi: str | None = None
    phone: str | None = None
    email: str | None = None
    code: str | None = None
    caller_type: str = "patient"
    relationship: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    outcome: str  # verified | not_verified
    reason: str  # one of REASONS: for the audit log only, never shown
    person: RegisteredPerson | None = None
    assurance: str | None = None  # possession | knowledge
    name_matches: tuple[str, ...] = ()  # person ids; failed attempts go against these
    guidance: tuple[str, ...] = field(default_factory=tuple)
    could_verify: bool = False  # the check could have verified someone (policy v2, Lockout)
    route: str | None = None  # how the verified person was confirmed: code | callback | knowledge

    @property
    def records_attempt(self) -> bool:
        """Whether this check is a failed attempt against every name match:
        an `insufficient` outcome of a check that could verify."""
        return self.reason == "insufficient" and self.could_verify

    @property
    def clears_attempts(self) -> bool:
        """Verification by possession of the notification code clears the
        person's failed attempts (a callback, attested or not, does not)."""
        return self.verified and self.route == "code"

    @property
    def verified(self) -> bool:
        return self.outcome == "verified"

    @property
    def affected_status(self) -> str | None:
        return self.person.affected_status if self.verified else None

    @property
    def documents(self) -> list[Document] | None:
        """Disclosed only with possession assurance."""
        if not self.verified or self.assurance != "possession":
            return None
        return sorted(self.person.documents, key=Document.sort_key)


def is_name_match(claim: CallerClaim, person: RegisteredPerson) -> bool:
    # a person with no date of birth on file can never be verified
    if claim.date_of_birth is None or not person.date_of_birth:
        return False
    if claim.date_of_birth.isoformat() != person.date_of_birth:
        return False
    return family_matches(claim.family_name, person.family_name) and given_matches(
        claim.given_name, person.given_names, person.preferred_name
    )


def possession_confirmed(claim: CallerClaim, person: RegisteredPerson) -> bool:
    # a slow hash: decide() calls this for name matches only
    return verify_code(claim.code, person.notification_code_hash)


def strong_factors_matched(claim: CallerClaim, person: RegisteredPerson) -> set[str]:
    matched = set()
    caller_nhi = normalise_nhi(claim.nhi)
    if caller_nhi and is_valid_nhi(caller_nhi) and caller_nhi == normalise_nhi(person.nhi):
        matched.add("nhi")
    caller_phone = phone_e164(claim.phone)
    if caller_phone and any(phone_e164(p) == caller_phone for p in person.phones):
        matched.add("phone")
    caller_email = email_key(claim.email)
    if caller_email and caller_email == email_key(person.email):
        matched.add("email")
    return matched


def strong_factors_given(claim: CallerClaim) -> set[str]:
    """The strong factors the caller gave in a valid form: an NHI with a valid
    check character, a phone number that parses as valid, a non-empty email."""
    given = set()
    if is_valid_nhi(claim.nhi):
        given.add("nhi")
    if phone_e164(claim.phone):
        given.add("phone")
    if email_key(claim.email):
        given.add("email")
    return given


def could_verify(claim: CallerClaim, attested_callback: bool = False) -> bool:
    """Whether a check could verify anyone (policy v2, Lockout): a notification
    code, or two different strong factors in a valid form, or an attested
    callback. A check that could not records no failed attempt."""
    return bool(notification_key(claim.code)) or len(strong_factors_given(claim)) >= 2 or attested_callback


def representative_authorised(claim: CallerClaim, person: RegisteredPerson, at: datetime) -> bool:
    if claim.relationship == "attorney":
        return True
    if claim.relationship in ("parent", "guardian") and person.date_of_birth:
        return age_on(date.fromisoformat(person.date_of_birth), at.date()) < REPRESENTATIVE_CHILD_AGE
    return False


def decide(
    claim: CallerClaim,
    candidates: list[RegisteredPerson],
    at: datetime,
    is_locked,
    callback_person_ids: frozenset[str] = frozenset(),
) -> Decision:
    """Apply the policy.

    candidates: every registered person who could be a name match (the store
    passes those with the caller's date of birth). is_locked(person_id) says
    whether the person is locked (the store judges it at the time of the call
    and at the time of the check: `records.lock_judged_at`).
    callback_person_ids: persons whose numbers an attested answered callback
    reached; a name match among them counts as confirmed by possession.

    A lock stops verification by knowledge and by callback, never by a
    matching notification code (the decision then `clears_attempts`).
    """
    possible = could_verify(claim, bool(callback_person_ids))
    if claim.caller_type not in ("patient", "representative"):
        return _finish(claim, Decision("not_verified", "no_match"), possible)
    matches = [p for p in candidates if is_name_match(claim, p)]
    if not matches:
        return _finish(claim, Decision("not_verified", "no_match"), possible)
    match_ids = tuple(p.person_id for p in matches)
    confirmed: dict[str, tuple[RegisteredPerson, str]] = {}
    for person in matches:
        if possession_confirmed(claim, person):
            confirmed[person.person_id] = (person, "code")
        elif person.person_id in callback_person_ids:
            confirmed[person.person_id] = (person, "callback")
        elif len(strong_factors_matched(claim, person)) >= 2:
            confirmed[person.person_id] = (person, "knowledge")
    if not confirmed:
        return _finish(claim, Decision("not_verified", "insufficient", name_matches=match_ids), possible)
    if len(confirmed) > 1:
        return _finish(claim, Decision("not_verified", "ambiguous", name_matches=match_ids), possible)
    person, route = next(iter(confirmed.values()))
    if route != "code" and is_locked(person.person_id):
        return _finish(claim, Decision("not_verified", "locked", name_matches=match_ids), possible)
    if claim.caller_type == "representative" and not representative_authorised(claim, person, at):
        return _finish(claim, Decision("not_verified", "representative_not_authorised", name_matches=match_ids),
                       possible)
    assurance = "knowledge" if route == "knowledge" else "possession"
    return _finish(claim, Decision("verified", "verified", person, assurance, match_ids, route=route), possible)


def _finish(claim: CallerClaim, decision: Decision, possible: bool) -> Decision:
    any_sensitive = decision.verified and any(d.sensitive for d in decision.person.documents)
    guidance = guidance_for(decision.outcome, decision.assurance, decision.affected_status, any_sensitive, claim.flags)
    return Decision(decision.outcome, decision.reason, decision.person, decision.assurance, decision.name_matches,
                    tuple(guidance), possible, decision.route)


def guidance_for(
    outcome: str,
    assurance: str | None,
    affected_status: str | None,
    any_sensitive: bool,
    flags=(),
) -> list[str]:
    """The scripts the operator must deliver, in the policy's order, none twice."""
    flags = set(flags)
    scripts = ["opening"]
    if "distress" in flags:
        scripts.append("wellbeing-support")
    if outcome != "verified":
        scripts += ["not-verified", "password-2fa"]
    elif affected_status == "affected" and assurance == "possession":
        scripts.append("status-affected")
        if any_sensitive:
            scripts.append("sensitive-support")
        scripts += ["identity-protection", "password-2fa"]
    elif affected_status == "affected":
        scripts += ["status-affected", "offer-details", "identity-protection", "password-2fa"]
    else:
        scripts += ["status-not-affected", "password-2fa"]
    scripts.append("scam-awareness")
    for flag, script in (("extortion", "extortion"), ("media", "media-referral"), ("complaint", "complaint-rights")):
        if flag in flags:
            scripts.append(script)
    scripts.append("closing")
    return list(dict.fromkeys(scripts))


GUIDANCE_IDS = (
    "opening", "wellbeing-support", "not-verified", "status-affected", "status-not-affected",
    "offer-details", "sensitive-support", "identity-protection", "password-2fa", "scam-awareness",
    "extortion", "media-referral", "complaint-rights", "closing",
)
