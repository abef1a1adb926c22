"""phonenumbers for the bundle: what console/core/contact.py uses (parse,
is_valid_number, format_number) needs the library's core and the metadata of
every region, loaded by name when a number of that region is first met. Its
short-number, geocoding, carrier and time-zone data (280 modules the console
never loads) are left out; PyInstaller's own hook collects them all."""

from pathlib import Path

from PyInstaller.utils.hooks import get_package_paths

UNUSED = ("shortdata", "geodata", "carrierdata", "tzdata", "geocoder", "carrier", "timezone")


def _modules():
    _, package = get_package_paths("phonenumbers")
    for path in sorted(Path(package).rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[0] in UNUSED and parts != ("shortdata", "__init__"):  # __init__ imports shortdata's loaders
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(("phonenumbers", *parts))


hiddenimports = list(_modules())
