"""Starting the window."""

import getpass
import sys

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSize, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from console import APP_ID, __version__
from console.paths import resource_path

ICON_SIZES = (16, 32, 48, 64, 128, 256)  # resources/icons/hicolor, made by packaging/make-icons.py
TRANSLATIONS = "helpline-console"  # resources/i18n/helpline-console_<language>.qm, made by packaging/i18n


def make_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        install_translations(app)
    app.setApplicationName("Helpline Console")
    app.setApplicationVersion(__version__)
    app.setOrganizationDomain("helpline.nz")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource_path("icons", "hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")), QSize(size, size))
    return icon


def install_translations(app: QApplication, locale: QLocale | None = None) -> list[str]:
    """Install the console's translation for `locale` (default: the
    system's) where there is one, and then Qt's own for its context menus and
    dialogs: never Qt's alone, which would mix two languages in one window.
    English, the source language, needs none. Returns the files loaded."""
    locale = locale or QLocale()
    loaded = []
    for name, folder in ((TRANSLATIONS, str(resource_path("i18n"))),
                         ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))):
        translator = QTranslator(app)
        if not translator.load(locale, name, "_", folder):
            break
        app.installTranslator(translator)
        loaded.append(translator.filePath())
    return loaded


def build_window(db_path, operator: str | None = None, demo=None, clock=None):
    """The window over the cache at db_path, with its worker (for tests and run_window)."""
    from console.core.guidance import check_guidance, load_scripts, load_services
    from console.ui.main_window import MainWindow
    from console.ui.tasks import CacheWorker
    from console.ui.theme import apply_theme

    make_app()
    apply_theme(False)
    scripts, services = load_scripts(), load_services()
    check_guidance(scripts, services)
    operator = operator or getpass.getuser()
    # The cache opens, and its quick check (PRAGMA quick_check) reads the whole file
    # (seconds for a national register), on the cache thread while the window
    # appears; every database operation queues behind them, and a cache that
    # cannot be opened or is damaged is refused before anything touches it.
    worker = CacheWorker(lambda: open_checked(db_path, operator))
    window = MainWindow(worker, scripts, services, operator, demo=demo, db_path=db_path,
                        **({"clock": clock} if clock else {}))
    worker.run(lambda cache: None, None, window.refuse_damaged_cache)
    return window


def open_checked(db_path, operator):
    from console.store.cache import Cache

    cache = Cache.open(db_path, operator=operator, check=False)
    try:
        check_integrity(cache.db)
    except BaseException:
        cache.close()
        raise
    return cache


def check_integrity(db) -> None:
    import sqlite3

    from console.store.connection import CacheError

    try:
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:  # the cache is encrypted: a page failing its MAC cannot be read at all
        verdict = str(exc)
    if verdict != "ok":
        raise CacheError(QCoreApplication.translate(
            "App", "The cache is damaged ({verdict}). It has been left as it is for inspection; "
                   "close the console, move the cache aside and start with a new one, then re-import the register."
        ).format(verdict=verdict))


SMALLEST_SCREEN = (1280, 720)  # the window fits it, menus and status bar included


def show_on(window, available) -> None:
    """Show the window on a screen's available area (a QRect): maximised on a screen larger
    than the smallest supported, filling a smaller one."""
    if available.width() > SMALLEST_SCREEN[0] or available.height() > SMALLEST_SCREEN[1]:
        window.showMaximized()
    else:
        window.setGeometry(available)
        window.show()


def run_window(db_path, operator: str | None = None, demo=None) -> int:
    import logging

    from console.logs import install_crash_handler, setup_logging

    setup_logging()
    install_crash_handler()
    logging.getLogger("console.ui").info("window starting, version %s%s", __version__, " (demo)" if demo else "")
    app = make_app()
    window = build_window(db_path, operator, demo)
    show_on(window, app.primaryScreen().availableGeometry())
    code = app.exec()
    window.worker.shutdown()
    return code
