"""Zip archives whose bytes depend only on what they hold: every member has
the same fixed time, so the same files always make the same archive (and the
same SHA-256). Used for register snapshots and deltas."""

import io
import zipfile

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip member can carry


def fixed_time_zip(files: dict[str, bytes], *, mode: int | None = None) -> bytes:
    """A deflated zip of `files` (member name → bytes), in the order given,
    every member dated FIXED_ZIP_TIME; `mode` (e.g. 0o644) sets the members'
    Unix permissions, zipfile's own (0o600) when None."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()
