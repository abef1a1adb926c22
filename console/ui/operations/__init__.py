"""UI actions as small operation objects (as Anki's aqt/operations).

A `QueryOp` reads: op(cache) runs on the cache's one thread and success(result)
runs on the main thread. A `CollectionOp` writes: after its success the task
manager announces what changed on its one app-wide signal,
`operation_did_execute(changes, initiator)`, and views refresh only when a
change concerns them. Either may have a failure handler and a progress
reporter. An op given a key supersedes the ops of that key still running: their
results are dropped by the task manager, so no view keeps a counter of its own.
"""

import threading
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Changes:
    """What a write changed, for the views that show it."""

    calls: bool = False
    callbacks: bool = False
    attempts: bool = False
    escalations: bool = False
    audit: bool = False
    register: bool = False
    content: bool = False

    def any_of(self, *names: str) -> bool:
        return any(getattr(self, name) for name in names)


class Progress:
    """How far a long operation is: written by the cache thread, read on a
    timer by the view that shows it; `stop` asks the operation to stop."""

    def __init__(self):
        self._lock = threading.Lock()
        self.value = None
        self.stop = threading.Event()

    def __call__(self, stage, done, total):
        with self._lock:
            self.value = (stage, done, total)

    def read(self):
        with self._lock:
            return self.value


class _Op:
    def __init__(self, parent, op: Callable, success: Callable | None = None, thread=None):
        self._worker = parent.worker  # the task manager: console.ui.tasks.CacheWorker
        self._thread = thread
        self._initiator = parent
        self._op = op
        self._success = success
        self._failure = None
        self._progress = None

    def failure(self, failure: Callable) -> "_Op":
        """failure(exception) on the main thread; without one the window's status bar tells."""
        self._failure = failure
        return self

    def with_progress(self, progress: Progress) -> "_Op":
        """op(cache, progress) reports to progress, which the view reads on a timer."""
        self._progress = progress
        return self

    def _run(self, key, on_success):
        if self._thread is not None:
            return self._thread.submit(self._op, on_success, self._failure, key)
        op, progress = self._op, self._progress
        run = op if progress is None else (lambda cache: op(cache, progress))
        return self._worker.run(run, on_success, self._failure, key=key)


class QueryOp(_Op):
    """A read: op(cache) on the cache thread, success(result) on the main thread.
    Given a thread (a console.ui.tasks.Background of the view's own), op() runs there
    instead, for reads that wait on the network, and reaches the cache through
    the task manager's `call`."""

    def run_in_background(self, key: str | None = None):
        return self._run(key, self._success)


class CollectionOp(_Op):
    """A write: op(cache) on the cache thread; once it succeeded, `changes` is
    announced to every view, then success(result) runs."""

    def __init__(self, parent, op: Callable, changes: Changes, success: Callable | None = None):
        super().__init__(parent, op, success)
        self.changes = changes

    def run_in_background(self, key: str | None = None):
        def succeeded(result):
            self._worker.operation_did_execute.emit(self.changes, self._initiator)
            if self._success is not None:
                self._success(result)

        return self._run(key, succeeded)
