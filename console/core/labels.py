"""The words a person reads for the ids of a call record: one mapping, used by the
dashboard, the daily PDF report and whatever else prints figures, so `not_verified`
or `resolved` never reaches a reader. The window passes these English words through
its translations (context "Labels")."""

from console.core.calls import OUTCOMES, VERIFICATIONS
from console.core.policy import CALLER_TYPES, FLAGS

NO_REGION = "No region recorded"

LABELS = {
    "outcome": {"resolved": "Resolved", "callback": "Callback", "escalated": "Escalated", "referred": "Referred",
                "abandoned": "Abandoned"},
    "caller_type": {"patient": "Patient", "representative": "Representative", "practice": "GP practice",
                    "media": "Media", "other": "Other"},
    "verification": {"verified": "Verified", "not_verified": "Not verified", "not_attempted": "Not checked"},
    "assurance": {"possession": "By possession (notification code)", "knowledge": "By knowledge (status only)"},
    "disclosed_status": {"affected": "Told affected", "not_affected": "Told not affected"},
    "callback_reason": {"caller_asked": "The caller asked", "not_verified": "Not verified: call back to check"},
    "flag": {"distress": "Distressed", "extortion": "Extortion contact", "media": "Media", "complaint": "Complaint"},
}

# each breakdown of the figures and the ids its keys are
BREAKDOWN_KINDS = {"by_outcome": "outcome", "by_caller_type": "caller_type", "verification": "verification",
                   "disclosed": "disclosed_status"}


def label(kind: str, value: str | None) -> str:
    """The word for `value` (an id of `kind`); a value with no word (a region, an operator) as it is."""
    if value is None:
        return NO_REGION if kind == "region" else "—"
    return LABELS.get(kind, {}).get(value, value)


def labelled(breakdown: str, counts: dict) -> dict:
    """A breakdown's counts keyed by words instead of ids (keys of other breakdowns unchanged)."""
    kind = BREAKDOWN_KINDS.get(breakdown)
    return {label(kind, key) if kind else key: n for key, n in counts.items()}


def region_counts(figures: dict) -> dict:
    """by_region with the calls that have no region counted as such, so the shares add up
    (cli.md's by_region leaves them out)."""
    counts = dict(figures["by_region"])
    missing = figures["calls"] - sum(counts.values())
    if missing > 0:
        counts[NO_REGION] = missing
    return counts

