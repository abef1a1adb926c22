"""Starting the window."""

import getpass
import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from console import APP_ID, __version__


def make_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Helpline Console")
    app.setApplicationVersion(__version__)
    app.setOrganizationDomain("helpline.nz")
    app.setDesktopFileName(APP_ID)
    return app


def build_window(db_path, operator: str | None = None, demo=None):
    """The window over the cache at db_path, with its worker (for tests and run_window)."""
    from console.core.guidance import check_guidance, load_scripts, load_services
    from console.store.cache import Cache
    from console.ui.main_window import MainWindow
    from console.ui.tasks import CacheWorker
    from console.ui.theme import apply_theme

    make_app()
    apply_theme(False)
    scripts, services = load_scripts(), load_services()
    check_guidance(scripts, services)
    operator = operator or getpass.getuser()
    worker = CacheWorker(lambda: Cache.open(db_path, operator=operator))
    worker.opened()  # a damaged cache stops here, before any window
    return MainWindow(worker, scripts, services, operator, demo=demo)


def run_window(db_path, operator: str | None = None, demo=None) -> int:
    from console.store.connection import CacheError

    app = make_app()
    try:
        window = build_window(db_path, operator, demo)
    except CacheError as exc:
        QMessageBox.critical(None, "Helpline Console", str(exc))
        return 1
    window.resize(1400, 900)
    window.show()
    code = app.exec()
    window.worker.shutdown()
    return code
