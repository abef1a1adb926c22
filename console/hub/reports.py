"""What supervisors read on the hub: statistics over every workstation's
calls, the audit trail and its chains, callbacks, and locked persons.

Statistics use cli.md's definitions through console.core.stats, the same
code the workstation's `stats` uses: the database only counts (GROUP BY),
and the median and p90 come from a histogram of handle times exactly as
`statistics.median` and `statistics.quantiles(n=10, method="inclusive")`
would give them from the raw values.
"""

import json
from collections import Counter
from datetime import datetime, timedelta

from console.core.attest import callback_attested
from console.core.policy import LOCKOUT_ATTEMPTS
from console.core.records import lockout_window, overdue_before
from console.core.stats import STATS_COLUMNS, stats_from_tallies
from console.core.timeutil import now, utc_text
from console.hub.sealing import row_id
from console.hub.attestations import attestations_by_callback

CALLBACK_LISTS = ("open", "overdue", "all")


def _window(column: str, since: datetime | None, until: datetime | None) -> tuple[str, list]:
    clauses, params = ["1 = 1"], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(utc_text(since))
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(utc_text(until))
    return " AND ".join(clauses), params


def call_stats(db, since: datetime | None = None, until: datetime | None = None) -> dict:
    """cli.md's stats object over calls with started_at in [since, until)."""
    where, params = _window("started_utc", since, until)
    tally_query = " UNION ALL ".join(
        f"SELECT '{dimension}', {column}, count(*) FROM calls WHERE {where} "
        f"AND {column} IS NOT NULL AND {column} <> '' GROUP BY {column}"
        for dimension, column in STATS_COLUMNS.items()
    )
    with db.read() as tx:
        total = tx.value(f"SELECT count(*) FROM calls WHERE {where}", params, 0)
        tallies = Counter({(dimension, value): n for dimension, value, n in tx.all(tally_query, params * len(STATS_COLUMNS))})
        histogram = dict(tx.all(f"SELECT handle_seconds, count(*) FROM calls WHERE {where} GROUP BY handle_seconds",
                                params))
    return stats_from_tallies(tallies, total, histogram)


def audit_entries(db, *, operator=None, person_id=None, kind=None, workstation=None, since=None, until=None,
                  limit: int = 1000) -> list[dict]:
    """Entries of every workstation, oldest first."""
    where, params = _window("at", since, until)
    for column, value in (("operator", operator), ("person_id", person_id), ("kind", kind),
                          ("workstation", workstation)):
        if value is not None:
            where += f" AND {column} = ?"
            params.append(value)
    with db.read() as tx:
        rows = tx.all("SELECT workstation, seq, entry_id, at, operator, kind, person_id, hash, body "
                      f"FROM audit WHERE {where} ORDER BY at, workstation, seq LIMIT ?", [*params, limit])
        bodies = [json.loads(tx.open("audit", row[2], "body", row[-1])) for row in rows]
    return [
        {"workstation": ws, "seq": seq, "entry_id": entry_id, "at": body["at"], "operator": op,
         "kind": k, "person_id": pid, "detail": json.loads(body["detail"]), "hash": digest}
        for (ws, seq, entry_id, at, op, k, pid, digest, _), body in zip(rows, bodies)
    ]


def audit_chains(db) -> list[dict]:
    """Per workstation: the head of its chain on the hub, and the alerts raised about it."""
    with db.read() as tx:
        heads = {ws: (seq, digest, updated) for ws, seq, digest, updated in
                 tx.all("SELECT workstation, seq, hash, updated_at FROM audit_heads")}
        alerts = tx.all("SELECT workstation, at, message FROM audit_alerts ORDER BY at, alert_id")
    chains = {ws: {"workstation": ws, "head_seq": seq, "head_hash": digest, "updated_at": updated, "alerts": []}
              for ws, (seq, digest, updated) in heads.items()}
    for ws, at, message in alerts:
        chain = chains.setdefault(ws, {"workstation": ws, "head_seq": 0, "head_hash": None, "updated_at": None,
                                       "alerts": []})
        chain["alerts"].append({"at": at, "message": message})
    return [chains[ws] for ws in sorted(chains)]


def list_callbacks(db, which: str = "open", at: datetime | None = None) -> list[dict]:
    """The newest revision of each callback, soonest due first. As on the
    workstation, who the name match found (person_ids) is never listed."""
    if which not in CALLBACK_LISTS:
        raise ValueError(f"{which!r} is not one of {', '.join(CALLBACK_LISTS)}.")
    overdue = overdue_before(at or now())
    where, params = "1 = 1", []
    if which in ("open", "overdue"):
        where = "status = 'open'"
    if which == "overdue":
        where += " AND due_at < ?"
        params.append(overdue)
    with db.read() as tx:
        rows = [(tx.open("callbacks", callback_id, "body", body), status, due_utc) for callback_id, body, status, due_utc
                in tx.all(f"SELECT callback_id, body, status, due_at FROM callbacks WHERE {where} "
                          "ORDER BY due_at, callback_id", params)]
        attested = attestations_by_callback(tx)
    listed = []
    for body, status, due_utc in rows:
        callback = json.loads(body)
        callback.pop("person_ids", None)
        callback["overdue"] = status == "open" and due_utc < overdue
        # the one rule (console.core.attest): countersigned, or the PBX's answer of the dialled call
        callback["attested"] = callback_attested(callback, attested.get(callback["callback_id"], ()))
        listed.append(callback)
    return listed


def locked_persons(db, at: datetime | None = None) -> list[dict]:
    """Persons locked at `at` (default now) by attempts from every workstation, with their counts."""
    with db.read() as tx:
        rows = tx.all(
            "SELECT person_id, count(*), max(at) FROM attempts WHERE cleared_by IS NULL AND at >= ? AND at <= ? "
            "GROUP BY person_id HAVING count(*) >= ? ORDER BY max(at) DESC, person_id",
            [*lockout_window(at or now()), LOCKOUT_ATTEMPTS])
    return [{"person_id": pid, "failed_attempts": n, "last_attempt": last} for pid, n, last in rows]


# the supervisor's dashboard, over every workstation's calls


_register_practices: dict[int, tuple[dict, dict]] = {}  # register seq → (person → practice, practice → name)


def _practices_of_register(db) -> tuple[dict, dict]:
    """Each person's practice and each practice's name, read once per register
    from its snapshot (the hub keeps the register as its snapshot only); a
    cache of what the database holds, so any hub process can serve any request."""
    import csv
    import io
    import zipfile

    from console.hub import registers

    entry = registers.latest_register(db)
    if entry is None:
        return {}, {}
    seq = entry["seq"]
    if seq not in _register_practices:
        snapshot = db.snapshot_slice(seq, 0, entry["size"])
        with zipfile.ZipFile(io.BytesIO(snapshot)) as archive:
            def rows(name):
                member = next(n for n in archive.namelist() if n.rsplit("/", 1)[-1] == name)
                return csv.DictReader(io.TextIOWrapper(archive.open(member), encoding="utf-8-sig", newline=""))

            persons = {row["person_id"]: row["practice_code"] for row in rows("persons.csv") if row["practice_code"]}
            names = {row["practice_code"]: row["name"] for row in rows("practices.csv")}
        _register_practices.clear()
        _register_practices[seq] = (persons, names)
    return _register_practices[seq]


def _calls_between(tx, start: datetime, end: datetime) -> list[dict]:
    from console.core.timeutil import parse_instant

    calls = []
    for call_id, record, handle_seconds in tx.all(
            "SELECT call_id, record, handle_seconds FROM calls WHERE started_utc >= ? AND started_utc < ?",
            [utc_text(start), utc_text(end)]):
        call = json.loads(tx.open("calls", call_id, "record", record))
        call["started_at"] = parse_instant(call["started_at"])
        call["handle_seconds"] = handle_seconds
        calls.append(call)
    return calls


def dashboard(db, day=None, at: datetime | None = None) -> dict:
    """console.core.dashboard's figures over every workstation's calls: the
    same function the workstation uses over its own. Calls in progress are
    not known centrally (None); an escalation of the last ESCALATION_DAYS
    days awaits until a supervisor on any workstation has taken it up."""
    from console.core.dashboard import (
        dashboard_figures, day_bounds, escalation_window, helpline_day, hour_start, hour_tallies,
    )

    at = at or now()
    day = day or helpline_day(at)
    start, end = day_bounds(day)
    yesterday_start, _ = day_bounds(day - timedelta(days=1))
    person_practice, practice_names = _practices_of_register(db)
    with db.read() as tx:
        today = _calls_between(tx, start, end)
        yesterday = _calls_between(tx, yesterday_start, start)
        refused_pushes = tx.value("SELECT count(*) FROM refused_pushes WHERE at >= ? AND at < ?",
                                  [utc_text(start), utc_text(end)], 0)
        escalations_awaiting = tx.value(
            "SELECT count(*) FROM calls c WHERE c.outcome = 'escalated' AND c.started_utc >= ? AND c.started_utc < ? "
            "AND NOT EXISTS (SELECT 1 FROM escalation_acks a WHERE a.call_id = c.call_id)",
            list(escalation_window(day)), 0)
    for call in today:
        call["practice"] = person_practice.get(call.get("person_id"))
    hours, handle = hour_tallies(today, day)
    per_hour = Counter(hour_start(call["started_at"]) for call in yesterday)
    callbacks = list_callbacks(db, "open", at)
    figures = dashboard_figures(
        hours, handle, sorted(per_hour.items()), day=day, now=at,
        callbacks={"open": len(callbacks), "overdue": sum(c["overdue"] for c in callbacks)},
        lockouts=len(locked_persons(db, at)),
        escalations_awaiting=escalations_awaiting,
        in_progress=None,
    )
    figures["practice_names"] = {code: practice_names.get(code, code) for code in figures["by_practice"]}
    figures["source"] = "hub"
    figures["refused_pushes"] = refused_pushes
    return figures


def refused_pushes(db, since: datetime | None = None, limit: int = 1000) -> list[dict]:
    """Items the hub refused (console.hub.push), newest first: who pushed them from where, and why."""
    with db.read() as tx:
        rows = tx.all("SELECT at, workstation, operator_id, kind, item_id, message FROM refused_pushes "
                      "WHERE at >= ? ORDER BY refusal_id DESC LIMIT ?",
                      [utc_text(since) if since else "", limit])
        rows = [(*row[:5], tx.open("refused_pushes", row_id(row[1], row[4]), "message", row[5])) for row in rows]
    return [dict(zip(("at", "workstation", "operator_id", "kind", "id", "message"), row)) for row in rows]
