"""Faker for the bundle: only the locales the demo register uses and those it
falls back on (the spec's FAKER_LOCALES), instead of the 700-odd provider
modules of every locale that PyInstaller's own hook collects. This hook, on
the spec's hookspath, takes the place of that one; the spec also drops the
other locales' data (only_demo_locales)."""

import re
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, get_package_paths

FAKER_LOCALES = {"en", "en_US", "en_NZ", "en_IN"}
LOCALE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")


def _modules():
    _, providers = get_package_paths("faker.providers")
    for path in sorted(Path(providers).rglob("*.py")):
        parts = path.relative_to(providers).with_suffix("").parts
        if any(LOCALE.fullmatch(part) and part not in FAKER_LOCALES for part in parts[1:]):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(("faker", "providers", *parts))


hiddenimports = list(_modules())
datas = collect_data_files("text_unidecode") + collect_data_files("faker.providers", include_py_files=True)
