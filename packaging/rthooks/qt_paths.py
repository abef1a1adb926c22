"""PyInstaller runtime hook, in place of PyInstaller's own for PySide6
(pyi_rth_pyside6), which imports PySide6.QtCore at every start of the program:
the console's command line never loads Qt, and in the bundle that import would
cost every command (check-caller at the phone) the loading of Qt and ICU.

This sets the one path Qt needs found in the bundle, its plugins; the embedded
qt.conf that the replaced hook would create is already inside QtCore of the
PySide6 wheels (the only PySide6 this spec builds from). No QML is bundled,
and no QtNetwork, so nothing else of that hook is needed.
"""

import os
import sys


def _qt_paths():
    qt = os.path.join(sys._MEIPASS, "PySide6") if sys.platform == "win32" else os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt, "plugins")


_qt_paths()
del _qt_paths
