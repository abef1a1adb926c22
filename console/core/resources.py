"""Where the console finds its resources (guidance scripts, the services file).

Three places, first match wins: a folder named by HELPLINE_CONSOLE_RESOURCES
(lets a site swap scripts or services without a rebuild, and lets tests point
at a scratch folder); the folder PyInstaller unpacks a frozen build into; the
repository's own `resources/` beside the `console` package.
"""

import os
import sys
from pathlib import Path

RESOURCES_ENV = "HELPLINE_CONSOLE_RESOURCES"


def resources_folder() -> Path:
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """A path inside the resources folder, e.g. resource_path("guidance")."""
    return resources_folder().joinpath(*parts)
