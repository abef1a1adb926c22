"""Operations of the supervisor's dashboard: its figures and queues, the actions
on the queues, the audit trail and the exports."""

import logging

from console.ui.operations import Changes, CollectionOp, QueryOp

UNLOCKED = Changes(attempts=True, audit=True)
TAKEN_UP = Changes(escalations=True, audit=True)
AUDITED = Changes(audit=True)  # reading the audit trail, and every export, is itself audited
# what the view shows of a figures object (console.core.dashboard.dashboard_figures)
HUB_FIGURES = ("calls", "calls_this_hour", "in_progress", "by_outcome", "by_caller_type", "by_region", "by_practice",
               "by_operator", "verification", "verified_by", "disclosed", "handle_time_seconds", "escalations",
               "escalations_awaiting", "callbacks", "lockouts", "extortion_reports", "scam_reports", "calls_per_hour",
               "handle_time_histogram", "day", "as_of")


def figures_and_queues(parent, thread, day, in_progress, hub_fetch, success) -> QueryOp:
    """success((figures, queues, source)): the figures of `day` from the hub when hub_fetch is
    given and answers in full, else from the cache; source is "local", "hub" or "unreachable".
    It runs on `thread`, as the hub may be slow, and reads the cache on the cache's thread;
    in the hub's case, queues that could not be read are the exception that stopped them."""
    worker = parent.worker

    def local_figures():
        return worker.call(lambda cache: cache.dashboard(day, in_progress=in_progress)).result()

    def read():
        queues = worker.call(lambda cache: cache.supervisor_queues())
        if hub_fetch is None:
            return local_figures(), queues.result(), "local"
        try:
            figures = hub_fetch(day)
            if not isinstance(figures, dict) or not set(HUB_FIGURES) <= set(figures):
                raise ValueError("the hub's figures are incomplete")
            figures, source = dict(figures, source="hub"), "hub"
        except Exception as error:  # the hub is out of reach or answered badly: this workstation's figures
            logging.getLogger("console.ui").warning("dashboard: the hub's figures could not be read (%s)",
                                                    type(error).__name__)
            figures, source = local_figures(), "unreachable"
        return figures, (queues.exception() or queues.result()), source

    return QueryOp(parent, read, success, thread=thread)


def unlock(parent, person_id: str, reason: str, success) -> CollectionOp:
    return CollectionOp(parent, lambda cache: cache.unlock(person_id, reason), UNLOCKED, success)


def take_up_escalation(parent, call_id: str, note: str | None, success) -> CollectionOp:
    return CollectionOp(parent, lambda cache: cache.acknowledge_escalation(call_id, note), TAKEN_UP, success)


def audit_entries(parent, filters: dict, limit: int, success) -> CollectionOp:
    """success(entries), newest first."""
    return CollectionOp(parent, lambda cache: cache.audit_entries(limit=limit, newest_first=True, **filters),
                        AUDITED, success)


def verify_chain(parent, success) -> QueryOp:
    return QueryOp(parent, lambda cache: cache.verify_audit(), success)


def record_report(parent, figures: dict, success) -> CollectionOp:
    """The daily PDF report, written on the main thread, recorded in the audit trail."""
    return CollectionOp(parent, lambda cache: cache.record_export("incident_report", figures["calls"], format="pdf",
                                                                  day=figures["day"]), AUDITED, success)


def export_calls(parent, path, since, until, day: str, success) -> CollectionOp:
    """success(how many calls were written to path)."""
    return CollectionOp(parent, lambda cache: cache.export_calls_to(path, since, until, day=day), AUDITED, success)


def export_figures(parent, path, figures: dict, success) -> CollectionOp:
    """success(how many rows were written to path)."""
    return CollectionOp(parent, lambda cache: cache.export_figures_to(path, figures), AUDITED, success)
