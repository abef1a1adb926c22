"""A new register rebuilt from the one in this cache and a delta from the hub
(console.core.register_delta says how deltas work)."""

from console.core.register_delta import apply_delta
from console.store.register.digest import register_rows


def rebuild_register(db, delta: bytes) -> bytes:
    """The new register (a .zip the importer reads) from this cache's register and `delta`."""
    return apply_delta(register_rows(db), delta)
