"""The hub's own audit: sign-ins (right or wrong), register downloads and
what an administrator did on its command line, one row each in hub_audit.

The detail is a short JSON object of ids and counts, never a password."""

import json

from console.core.timeutil import now, utc_text

KINDS = ("sign_in", "sign_in_failed", "sign_out", "register_download", "operator_added", "operator_disabled",
         "password_changed", "password_reset", "workstation_enrolment_code", "workstation_enrolled",
         "workstation_revoked", "download_allowed", "content_published", "register_imported")


def record(tx, kind: str, *, operator_id: str | None = None, workstation: str | None = None, **detail) -> None:
    """Add an entry in the caller's write transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown hub audit kind {kind!r}")
    tx.execute("INSERT INTO hub_audit (at, kind, operator_id, workstation, detail) VALUES (?, ?, ?, ?, ?)",
               [utc_text(now()), kind, operator_id, workstation, json.dumps(detail, sort_keys=True)])


def entries(db, kind: str | None = None) -> list[dict]:
    """The hub's audit, oldest first (of one kind, if given)."""
    where, values = ("WHERE kind = ?", [kind]) if kind else ("", [])
    with db.read() as tx:
        rows = tx.all(f"SELECT at, kind, operator_id, workstation, detail FROM hub_audit {where} "
                      "ORDER BY entry_id", values)
    return [{"at": at, "kind": k, "operator_id": o, "workstation": w, "detail": json.loads(d or "{}")}
            for at, k, o, w, d in rows]
