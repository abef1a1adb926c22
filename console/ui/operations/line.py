"""Operations of the telephone line's views (the dashboard's Line tab and the
wallboard): the hub's queue figures and missed callers, read on a thread of
the view's own through the workstation's signed hub client, and the line's
settings (the service level's target, the wallboard's thresholds)."""

from console.ui.operations import Changes, CollectionOp, QueryOp

SETTINGS_CHANGED = Changes(audit=True)  # each change of a setting is audited
# what a view reads of the hub's answers (console.core.telephony.queue_figures, missed_callers)
QUEUE_KEYS = ("target_seconds", "formulas", "overall", "queues", "hours", "operators")


class LineAnswerInvalid(ValueError):
    """The hub's answer is not the queue's figures (an older hub, or a proxy's page)."""


def _checked(figures) -> dict:
    if not isinstance(figures, dict) or not set(QUEUE_KEYS) <= set(figures):
        raise LineAnswerInvalid("The hub's answer to GET /v1/queue is not the queue's figures: is the hub older "
                                "than this console?")
    return figures


def queue_figures(parent, thread, read, target: int, success, *, day=None, missed: bool = True) -> QueryOp:
    """success((figures, missed)): GET /v1/queue (and GET /v1/missed-callers when `missed`) through
    `read(path, **params)`, the signed hub client's get, on `thread`; failure(the exception) when the
    hub cannot be reached or refuses."""
    def fetch():
        day_text = day.isoformat() if day else None
        figures = _checked(read("/queue", day=day_text, target=target))
        callers = read("/missed-callers", day=day_text) if missed else None
        return figures, callers

    return QueryOp(parent, fetch, success, thread=thread)


def line_settings(parent, success) -> QueryOp:
    """success({setting: value}) of the line's settings (console.store.settings.LINE_SETTINGS)."""
    from console.store.settings import LINE_SETTINGS

    return QueryOp(parent, lambda cache: {key: value for key, value in cache.window_settings().items()
                                          if key in LINE_SETTINGS}, success)


def save_line_settings(parent, values: dict, success) -> CollectionOp:
    """Store the changed line settings (a supervisor's); SettingRefused or NotPermitted change nothing."""
    def save(cache):
        from console.store.settings import declared

        for key, value in values.items():
            declared(key).parse(str(value))  # every value checked before any is stored
        return {key: cache.set_setting(key, value) for key, value in values.items()}

    return CollectionOp(parent, save, SETTINGS_CHANGED, success)
