"""Phone numbers, emails and notification codes, compared as the policy says.

Phones go through phonenumbers with New Zealand as the default region; only
valid numbers ever match. Parsing costs tens of microseconds, so the register
import stores a cheap digits tail for indexing (`phone_tail`) and the full
parse happens only for the handful of candidates a lookup returns.
"""

import re
from functools import lru_cache

DEFAULT_REGION = "NZ"
TAIL_DIGITS = 7
_EXTENSION = re.compile(r"(?i)(ext\.?|extn|x|#).*$")
_NOT_DIGIT = re.compile(r"[^0-9]")
_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=100_000)
def phone_e164(text: str | None) -> str | None:
    """The E.164 form of a valid number, or None for anything else."""
    import phonenumbers  # deferred: its metadata load is only paid when a phone is compared

    text = (text or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_tail(text: str | None) -> str | None:
    """The last seven digits as written, before any extension.

    Every valid number has at least eight national digits, which end its
    E.164 form and its written form alike, so equal E.164 forms always share
    this tail: an index on it finds every candidate, and `phone_e164` then
    decides exactly.
    """
    written = _EXTENSION.sub("", text or "")
    if _LETTER.search(written):
        # a vanity number ("0800 HELPLINE"): only the parser knows its digits
        written = phone_e164(text) or ""
    digits = _NOT_DIGIT.sub("", written)
    if len(digits) < TAIL_DIGITS:
        return None
    return digits[-TAIL_DIGITS:]


def split_phones(field: str | None) -> list[str]:
    """The register's `phones` column: numbers separated by `;`."""
    return [p.strip() for p in (field or "").split(";") if p.strip()]


def phone_display(text: str | None) -> str | None:
    """A valid number in national format for showing back to the operator."""
    import phonenumbers

    e164 = phone_e164(text)
    if e164 is None:
        return None
    number = phonenumbers.parse(e164)
    if number.country_code == 64:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


DIAL_SCHEMES = ("tel", "sip")


def dial_uri(number: str | None, scheme: str = "tel", sip_domain: str = "") -> str:
    """The URI a softphone dials a number on file by: `tel:` with the E.164
    number (RFC 3966), or `sip:` at the PBX's domain with user=phone."""
    e164 = phone_e164(number)
    if e164 is None:
        raise ValueError("The number on file is not a valid number; it cannot be dialled.")
    if scheme == "tel":
        return f"tel:{e164}"
    if scheme != "sip":
        raise ValueError(f"The dial scheme must be one of {', '.join(DIAL_SCHEMES)}, not {scheme!r}.")
    if not sip_domain:
        raise ValueError("Dialling by sip: needs the PBX's domain: set sip_domain (helpline-console settings).")
    return f"sip:{e164}@{sip_domain};user=phone"


def email_key(text: str | None) -> str:
    """Trimmed and casefolded; empty never matches."""
    return (text or "").strip().casefold()


def notification_key(text: str | None) -> str:
    """Spaces and hyphens removed, uppercased; empty never matches."""
    return "".join(c for c in (text or "") if not c.isspace() and c != "-").upper()
