"""One thread owns the cache; the window never waits on it.

Every database call runs on a single worker thread (as Anki's task manager
and Picard's save pool do); results come back to the main thread through a
queued signal, so widgets are only ever touched there. The operations of
console/ui/operations run here: an operation given a key supersedes the
earlier ones of that key, whose results are then dropped on delivery.
"""

import logging
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal


class Background(QObject):
    """Runs functions one at a time on a thread of its own; each result comes
    back to the main thread, to on_success or on_failure."""

    # Results wait in a queue and the signal carries nothing: Python objects
    # sent through a queued signal from a foreign thread have shown
    # reference-count faults in PySide6.
    _finished = Signal()
    failed = Signal(str)  # a sentence for the status bar when an operation has no failure handler

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._results = queue.SimpleQueue()
        self._finished.connect(self._deliver)
        self.pending = 0
        self._latest: dict[str, int] = {}  # key -> the serial of its newest operation
        self._running: dict[str, int] = {}  # key -> its operations not yet delivered
        self._serial = 0
        self.closed = False

    def submit(self, function, on_success=None, on_failure=None, key: str | None = None) -> Future:
        """Run function() on the thread; on_success(result) or on_failure(exception) on the main thread,
        unless a newer operation of the same key was submitted meanwhile. Once the thread is shut down
        (the window closing), a timer's late request is dropped: a cancelled future, nothing run."""
        if self.closed:
            dropped = Future()
            dropped.cancel()
            return dropped
        self.pending += 1
        self._serial += 1
        serial = self._serial
        if key is not None:
            self._latest[key] = serial
            self._running[key] = self._running.get(key, 0) + 1
        future = self._executor.submit(function)
        future.add_done_callback(lambda f: self._announce(f, on_success, on_failure, key, serial))
        return future

    def busy(self, key: str) -> bool:
        """Whether an operation of this key has not yet been delivered."""
        return self._running.get(key, 0) > 0

    def _announce(self, future, on_success, on_failure, key, serial):
        self._results.put((future, on_success, on_failure, key, serial))
        self._finished.emit()

    def _deliver(self):
        try:
            future, on_success, on_failure, key, serial = self._results.get_nowait()
        except queue.Empty:
            return
        self.pending -= 1
        if key is not None:
            self._running[key] -= 1
            if self._latest[key] != serial:
                return  # superseded: its answer is no longer the one asked for
        error = future.exception()
        if error is None:
            if on_success is not None:
                on_success(future.result())
        elif on_failure is not None:
            on_failure(error)
        else:
            self.failed.emit(f"Something went wrong ({type(error).__name__}); the details are in the log.")
            logging.getLogger("console.ui").error("operation failed: %s", type(error).__name__)

    def shutdown(self):
        self.closed = True
        self._executor.shutdown(wait=True)


class CacheWorker(Background):
    """The cache's one thread: every operation on the cache runs there, in order.
    `operation_did_execute(changes, initiator)` tells every view what a write changed."""

    operation_did_execute = Signal(object, object)  # emitted on the main thread only

    def __init__(self, open_cache, parent=None):
        super().__init__("cache", parent)
        self.cache = None
        self.refusal = None  # once the cache is found damaged, nothing more touches it
        self._go = threading.Event()
        self._opened = self._executor.submit(self._open, open_cache)

    def start(self):
        """Let the cache thread begin: the window calls this once it is on
        screen, so opening the cache does not compete with building it."""
        self._go.set()

    def _open(self, open_cache):
        self._go.wait()
        self.cache = open_cache()
        return self.cache

    def run(self, operation, on_success=None, on_failure=None, key: str | None = None) -> Future:
        """Run operation(cache) on the worker; call on_success(result) or
        on_failure(exception) on the main thread afterwards."""
        return self.submit(lambda: self._call(operation), on_success, on_failure, key)

    def call(self, operation) -> Future:
        """Run operation(cache) on the worker for another thread, which waits on the future."""
        return self._executor.submit(self._call, operation)

    def _call(self, operation):
        from console.store.connection import CacheError

        if self._opened.exception() is not None:
            raise self._opened.exception()
        if self.refusal is not None:
            raise self.refusal
        try:
            return operation(self.cache)
        except CacheError as error:
            self.refusal = error
            raise

    def shutdown(self):
        self._go.set()

        def close():
            if self.cache is not None:
                self.cache.close()

        self._executor.submit(close)
        super().shutdown()
