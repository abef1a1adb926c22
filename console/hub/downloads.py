"""Register downloads, each recorded on the hub: who (operator), from which
enrolled workstation, which register and part, how many bytes, when; the
hub's audit (audit_log) has one entry per slice too.

A workstation takes one register's full snapshot a day (helpline day; a
download cut off before the end does not count) (again and again if
need be, as a replaced cache does): a second register's the same day needs
an administrator signed in on it. A snapshot is retired (its bytes deleted)
once it is not the register in service and no enrolled workstation holds it
(the register of its latest snapshot or delta download), or KEEP_DAYS after
it was imported.
"""

from datetime import timedelta

from console.core.dashboard import helpline_day
from console.core.timeutil import now, utc_text
from console.hub import audit_log

KEEP_DAYS = 30


def record_download(db, session, seq: int, what: str, offset: int, size: int) -> None:
    """Record a slice of register `seq`'s snapshot or delta handed to that session."""
    moment = now()
    with db.write() as tx:
        tx.execute("INSERT INTO register_downloads (at, day, operator_id, workstation_id, seq, what, start_offset, "
                   "bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [utc_text(moment), helpline_day(moment).isoformat(), session.operator_id, session.device, seq, what,
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


def refusal(db, session, seq: int) -> tuple[int, str] | None:
    """Why this session may not take register `seq`'s snapshot (a status and
    a sentence), or None."""
    with db.read() as tx:
        if tx.one("SELECT 1 FROM retired_snapshots WHERE seq = ?", [seq]):
            return 410, (f"The hub no longer keeps register {seq}'s snapshot; GET /v1/register names the one in "
                         "service.")
        if session.role == "admin":
            return None
        day = helpline_day(now()).isoformat()
        allowed = 1 + tx.value("SELECT count(*) FROM download_allowances WHERE workstation_id = ? AND day = ?",
                               [session.device, day], 0)
        # registers this workstation took whole today (a download cut off part-way never held one)
        others = tx.value("SELECT count(DISTINCT d.seq) FROM register_downloads d JOIN registers r ON r.seq = d.seq "
                          "WHERE d.workstation_id = ? AND d.day = ? AND d.what = 'snapshot' AND d.seq <> ? "
                          "AND d.start_offset + d.bytes >= r.size",
                          [session.device, day, seq])
    if others >= allowed:
        return 403, (f"The workstation {session.device} has already taken a full register today: another one needs "
                     f"an administrator signed in on it, or `hub workstations allow-download {session.device}`.")
    return None


def allow_download(db, workstation_id: str, *, granted_by: str) -> None:
    """Let the workstation take one more register's full snapshot today (an administrator's decision, audited)."""
    from console.hub.workstations import WorkstationRefused

    moment = now()
    with db.write() as tx:
        if tx.one("SELECT 1 FROM workstations WHERE workstation_id = ? AND revoked_at IS NULL", [workstation_id]) is None:
            raise WorkstationRefused(404, f"There is no enrolled workstation {workstation_id} (or it is revoked).")
        tx.execute("INSERT INTO download_allowances (workstation_id, day, granted_by, granted_at) VALUES (?, ?, ?, ?)",
                   [workstation_id, helpline_day(moment).isoformat(), granted_by, utc_text(moment)])
        audit_log.record(tx, "download_allowed", operator_id=granted_by, workstation=workstation_id)


def retire_snapshots(db) -> list[int]:
    """Delete the snapshots no enrolled workstation holds (or older than
    KEEP_DAYS), except the register in service's; returns their seqs."""
    cutoff = utc_text(now() - timedelta(days=KEEP_DAYS))
    with db.write() as tx:
        latest = tx.value("SELECT max(seq) FROM registers")
        if latest is None:
            return []
        held = {seq for (seq,) in tx.all(
            "SELECT max(d.seq) FROM register_downloads d JOIN workstations w ON w.workstation_id = d.workstation_id "
            "WHERE w.revoked_at IS NULL GROUP BY d.workstation_id")}
        candidates = tx.all("SELECT r.seq, r.imported_at FROM registers r WHERE r.seq < ? AND NOT EXISTS "
                            "(SELECT 1 FROM retired_snapshots s WHERE s.seq = r.seq) ORDER BY r.seq", [latest])
        retired = []
        for seq, imported_at in candidates:
            reason = ("older than 30 days" if imported_at < cutoff else
                      "no enrolled workstation holds it" if seq not in held else None)
            if reason:
                tx.execute("UPDATE registers SET snapshot = ? WHERE seq = ?", [b"", seq])
                tx.execute("INSERT INTO retired_snapshots (seq, retired_at, reason) VALUES (?, ?, ?)",
                           [seq, utc_text(now()), reason])
                retired.append(seq)
    return retired
