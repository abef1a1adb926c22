"""Register downloads, each recorded on the hub: who (operator), from which
enrolled workstation, which register and part, how many bytes, when.

A supervisor reads them with `downloads`; the hub's audit (audit_log) has
one entry per slice too."""

from console.core.timeutil import now, utc_text
from console.hub import audit_log


def record_download(db, session, seq: int, what: str, offset: int, size: int) -> None:
    """Record a slice of register `seq`'s snapshot or delta handed to that session."""
    moment = now()
    with db.write() as tx:
        tx.execute("INSERT INTO register_downloads (at, day, operator_id, workstation_id, seq, what, start_offset, "
                   "bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [utc_text(moment), moment.date().isoformat(), session.operator_id, session.device, seq, what,
                    offset, size])
        audit_log.record(tx, "register_download", operator_id=session.operator_id, workstation=session.device,
                         register=seq, part=what, offset=offset, bytes=size)


def downloads(db) -> list[dict]:
    """Every recorded download, oldest first."""
    with db.read() as tx:
        rows = tx.all("SELECT at, operator_id, workstation_id, seq, what, start_offset, bytes "
                      "FROM register_downloads ORDER BY download_id")
    return [{"at": at, "operator_id": o, "workstation": w, "register": s, "part": p, "offset": off, "bytes": b}
            for at, o, w, s, p, off, b in rows]
