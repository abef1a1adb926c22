"""Operations on the one cache thread: a superseded answer is dropped by the task
manager, and a write announces what it changed after its success."""

import threading

import pytest

from console.ui.operations import Changes, CollectionOp, Progress, QueryOp
from console.ui.tasks import CacheWorker


class View:
    def __init__(self, worker):
        self.worker = worker


@pytest.fixture
def worker(qapp):
    worker = CacheWorker(lambda: {"opened": True})
    worker.start()
    yield worker
    worker.shutdown()


def test_a_newer_query_of_the_same_key_drops_the_older_answer(qtbot, worker):
    view, shown, release = View(worker), [], threading.Event()
    QueryOp(view, lambda cache: release.wait(5) and "old", shown.append).run_in_background(key="check")
    QueryOp(view, lambda cache: "new", shown.append).run_in_background(key="check")
    QueryOp(view, lambda cache: "other key", shown.append).run_in_background(key="status")
    assert worker.busy("check")
    release.set()
    qtbot.waitUntil(lambda: worker.pending == 0, timeout=5_000)
    assert shown == ["new", "other key"]
    assert not worker.busy("check")


def test_a_write_announces_its_changes_after_success_and_a_failure_announces_nothing(qtbot, worker):
    view, events = View(worker), []
    worker.operation_did_execute.connect(lambda changes, initiator: events.append((changes, initiator)))
    saved = Changes(calls=True, audit=True)
    with qtbot.waitSignal(worker.operation_did_execute, timeout=5_000):
        CollectionOp(view, lambda cache: cache["opened"], saved, lambda result: events.append(result)
                     ).run_in_background()
    assert events == [(saved, view), True]
    assert saved.any_of("calls") and not saved.any_of("callbacks", "register")
    failures = []
    CollectionOp(view, lambda cache: 1 / 0, saved).failure(failures.append).run_in_background()
    qtbot.waitUntil(lambda: bool(failures), timeout=5_000)
    assert isinstance(failures[0], ZeroDivisionError) and len(events) == 2


def test_progress_reaches_the_operation_and_can_ask_it_to_stop(qtbot, worker):
    view, results, progress = View(worker), [], Progress()
    progress.stop.set()

    def long_work(cache, report):
        report("persons", 1, 2)
        return report.stop.is_set()

    QueryOp(view, long_work, results.append).with_progress(progress).run_in_background()
    qtbot.waitUntil(lambda: bool(results), timeout=5_000)
    assert results == [True] and progress.read() == ("persons", 1, 2)


def test_a_request_after_shutdown_is_dropped_without_an_error(qtbot, qapp):
    """A window's status timer firing after its cache thread was shut down asks for nothing."""
    worker = CacheWorker(lambda: {"opened": True})
    worker.start()
    worker.shutdown()
    shown = []
    future = QueryOp(View(worker), lambda cache: "late", shown.append).run_in_background(key="status")
    assert future.cancelled() and shown == [] and not worker.busy("status")
