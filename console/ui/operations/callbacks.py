"""Operations on callbacks: booking one from the call screen, assigning one from the dashboard."""

from console.ui.operations import Changes, CollectionOp

CALLBACKS = Changes(callbacks=True, audit=True)


def book_callback(parent, claim, due_at, call_id: str, reason: str, success) -> CollectionOp:
    """A callback to the numbers on file of whoever the claim matches."""
    return CollectionOp(parent, lambda cache: cache.book_callback(claim, due_at=due_at, call_id=call_id,
                                                                  reason=reason), CALLBACKS, success)


def assign_callback(parent, callback_id: str, assignee: str, success) -> CollectionOp:
    return CollectionOp(parent, lambda cache: cache.assign_callback(callback_id, assignee), CALLBACKS, success)
