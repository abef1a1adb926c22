"""Operations on calls: checking a caller, saving a call, the status bar's count."""

from console.store.connection import write_transaction
from console.ui.operations import Changes, CollectionOp, QueryOp

CHECKED = Changes(attempts=True, audit=True)  # a check records the attempt and audits it
SAVED = Changes(calls=True, audit=True)
DISCARDED = Changes(audit=True)


def check_caller(parent, claim, at, describe_history, success, callback_id: str | None = None) -> CollectionOp:
    """Verify what the caller said at `at`; success((shown, region, history, register_version)).
    describe_history(context) words a verified caller's earlier calls and open callbacks.
    callback_id: the answered callback this call is; its persons count only if it is attested."""
    def verify(cache):
        persons = cache.answered_callback_persons(callback_id) if callback_id else frozenset()
        verification = cache.verify_caller(claim, at, callback_person_ids=persons)
        region, history = None, []
        if verification.decision.verified:
            context = cache.verified_caller_context(verification.decision.person.person_id)
            region, history = context["region"], describe_history(context)
        return verification.as_json(), region, history, verification.register_version

    return CollectionOp(parent, verify, CHECKED, success)


def save_call(parent, record: dict, success) -> CollectionOp:
    """Store a validated call record durably."""
    return CollectionOp(parent, lambda cache: cache.log_calls([record]), SAVED, success)


def discard_call(parent, call_id: str, reason: str, success) -> CollectionOp:
    """Record in the audit trail that a call was discarded unsaved, and why."""
    def discard(cache):
        with write_transaction(cache.db):
            cache.audit("call_discarded", call_id=call_id, reason=reason)

    return CollectionOp(parent, discard, DISCARDED, success)


def status(parent, success) -> QueryOp:
    """success((register_version, calls not yet synced))."""
    return QueryOp(parent, lambda cache: (cache.register_version, cache.calls_not_synced()), success)
