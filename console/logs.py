"""Application logging: ids, counts and reasons only.

Nothing here may carry a name, date of birth, NHI, phone number, email,
notification code or note; code that logs passes ids (person_id, call_id)
and exception type names, never the values a caller gave.
"""

import logging
import logging.handlers


def setup_logging(level: int = logging.INFO) -> None:
    from platformdirs import user_log_path

    folder = user_log_path("helpline-console", appauthor=False)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "console.log"
    root = logging.getLogger("console")
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        if old.baseFilename == str(path):
            return
        root.removeHandler(old)  # the user's folders moved (a test's, or a new profile)
        old.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


def crash_summary(exc: BaseException) -> str:
    """Where it failed, without the exception's message or any values: a
    message can quote what a caller said (a name in a ValueError)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-8:]))
    return f"{type(exc).__module__}.{type(exc).__qualname__} at {where}"


def install_crash_handler() -> None:
    """Unhandled errors go to the log as type and place only."""
    import sys

    def handler(kind, exc, tb):
        exc.__traceback__ = tb
        logging.getLogger("console.crash").error("unhandled error: %s", crash_summary(exc))
        sys.stderr.write(f"Helpline Console stopped after an unexpected error ({kind.__name__}); "
                         "the log has where it happened.\n")

    sys.excepthook = handler
