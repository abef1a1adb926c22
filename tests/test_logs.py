"""No personal data in log files: crashes are logged by type and place only."""

import logging


def test_crash_summary_leaves_out_the_message(tmp_path):
    from console.logs import crash_summary

    try:
        raise ValueError("Ngāti-Rēhia Hine 1968-02-29 ZZZ0016")
    except ValueError as exc:
        summary = crash_summary(exc)
    assert summary.startswith("builtins.ValueError at test_logs.py:")
    assert "Ngāti" not in summary and "ZZZ0016" not in summary


def test_crash_handler_logs_no_personal_data(tmp_path, user_folders, capsys):
    import sys

    from console.logs import install_crash_handler, setup_logging

    setup_logging()
    previous = sys.excepthook
    install_crash_handler()
    try:
        try:
            raise KeyError("hine.rehia@example.co.nz")
        except KeyError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    for handler in logging.getLogger("console").handlers:
        handler.flush()
    logs = list(user_folders.rglob("*.log"))
    assert logs, "the log file is written under the user's folders"
    text = "".join(p.read_text() for p in logs)
    assert "KeyError" in text and "example.co.nz" not in text
    assert "example.co.nz" not in capsys.readouterr().err
