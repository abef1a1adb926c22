"""One thread owns the cache; the window never waits on it.

Every database call runs on a single worker thread (as Anki's task manager
and Picard's save pool do); results come back to the main thread through a
queued signal, so widgets are only ever touched there.
"""

from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal


class CacheWorker(QObject):
    _finished = Signal(object, object, object)  # future, on_success, on_failure
    failed = Signal(str)  # a sentence for the status bar when an operation has no failure handler

    def __init__(self, open_cache, parent=None):
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache")
        self._finished.connect(self._deliver)
        self.pending = 0
        self.cache = None
        self._opened = self._executor.submit(self._open, open_cache)

    def _open(self, open_cache):
        self.cache = open_cache()
        return self.cache

    def run(self, operation, on_success=None, on_failure=None) -> Future:
        """Run operation(cache) on the worker; call on_success(result) or
        on_failure(exception) on the main thread afterwards."""
        self.pending += 1
        future = self._executor.submit(self._call, operation)
        future.add_done_callback(lambda f: self._finished.emit(f, on_success, on_failure))
        return future

    def _call(self, operation):
        self._opened.result()
        return operation(self.cache)

    def _deliver(self, future: Future, on_success, on_failure):
        self.pending -= 1
        error = future.exception()
        if error is None:
            if on_success is not None:
                on_success(future.result())
        elif on_failure is not None:
            on_failure(error)
        else:
            self.failed.emit(f"Something went wrong ({type(error).__name__}); the details are in the log.")
            import logging

            logging.getLogger("console.ui").error("operation failed: %s", type(error).__name__)

    def opened(self):
        """The cache, once open (raises what opening raised)."""
        return self._opened.result()

    def shutdown(self):
        def close(cache):
            if cache is not None:
                cache.close()

        if not self._opened.exception():
            self._executor.submit(close, self.cache)
        self._executor.shutdown(wait=True)
