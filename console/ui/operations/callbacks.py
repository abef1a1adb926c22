"""Operations on callbacks: booking, dialling and completing one from the call screen, assigning one from the
dashboard."""

from console.ui.operations import Changes, CollectionOp, QueryOp

CALLBACKS = Changes(callbacks=True, audit=True)


def book_callback(parent, claim, due_at, call_id: str, reason: str, success) -> CollectionOp:
    """A callback to the numbers on file of whoever the claim matches."""
    return CollectionOp(parent, lambda cache: cache.book_callback(claim, due_at=due_at, call_id=call_id,
                                                                  reason=reason), CALLBACKS, success)


def assign_callback(parent, callback_id: str, assignee: str, success) -> CollectionOp:
    return CollectionOp(parent, lambda cache: cache.assign_callback(callback_id, assignee), CALLBACKS, success)


def callbacks_to_dial(parent, success) -> QueryOp:
    """success(rows): the signed-in operator's open callbacks, numbers masked."""
    return QueryOp(parent, lambda cache: cache.callbacks_to_dial(), success)


def dial_callback(parent, callback_id: str, index: int, success) -> CollectionOp:
    """Record the dial intent of number `index` on file; success({"intent_id", "uri"})."""
    return CollectionOp(parent, lambda cache: cache.dial_callback(callback_id, index), CALLBACKS, success)


def complete_callback(parent, callback_id: str, outcome: str, success) -> CollectionOp:
    return CollectionOp(parent, lambda cache: cache.complete_callback(callback_id, outcome), CALLBACKS, success)
