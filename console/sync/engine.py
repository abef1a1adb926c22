"""One sync with the hub: push the outbox and the audit chain, pull the change
feed, fetch a newer register. No Qt, no threads: console.sync.loop runs it in
the background, `helpline-console sync` runs it once.

Every step commits what the hub acknowledged (or what was pulled) together
with the cursor that records it, so a sync killed at any point, or cut off by
the network, resumes where it stopped and never sends or applies anything
twice in effect (the hub answers a re-sent item as a duplicate).
"""

import hashlib
import logging
import sqlite3
from dataclasses import dataclass, field

from console.core.timeutil import now
from console.store import sync_state
from console.store.audit import append_audit
from console.store.connection import write_transaction
from console.store.outbox import outbox_count
from console.store.register.swap import import_register
from console.sync.client import HubClient, HubRefused, HubUnreachable
from console.sync.protocol import MAX_CHUNK_BYTES, MAX_PUSH_ITEMS

log = logging.getLogger("console.sync")  # counts, ids and statuses only


class Interrupted(Exception):
    """Stopped on request between two steps; everything done so far is kept."""


class SyncFailed(Exception):
    """The hub's answers make no sense to continue with (a sentence)."""


@dataclass
class SyncReport:
    pushed: dict = field(default_factory=dict)  # status → items
    pulled: dict = field(default_factory=dict)  # change kind → changes applied
    register: str = "none on the hub"
    outbox: int = 0
    unpushed_audit: int = 0
    conflicts: int = 0
    refused: dict = field(default_factory=dict)  # kind → items the hub refused, kept aside here
    at: str = ""

    def as_json(self) -> dict:
        return {
            "pushed": self.pushed, "pulled": self.pulled, "register": self.register, "outbox": self.outbox,
            "unpushed_audit": self.unpushed_audit, "conflicts": self.conflicts, "refused": self.refused,
            "at": self.at,
        }


def _add(total: dict, counts: dict) -> None:
    for key, n in counts.items():
        total[key] = total.get(key, 0) + n


class Sync:
    """A sync of one cache with one hub, as one operator (for the audit)."""

    def __init__(self, db, client: HubClient, workstation: str, operator: str | None = None, *,
                 progress=None, should_stop=None, chunk_bytes: int = MAX_CHUNK_BYTES, fault=None):
        self.db = db
        self.client = client
        self.workstation = workstation
        self.operator = operator
        self.progress = progress or (lambda stage, done, total: None)
        self.should_stop = should_stop or (lambda: False)
        self.chunk_bytes = chunk_bytes
        self.fault = fault or (lambda point: None)

    def run(self) -> SyncReport:
        report = SyncReport()
        self.push(report)
        self.pull(report)
        self.fetch_register(report)
        at = now()
        sync_state.record_sync(self.db, at)
        report.at = at.isoformat()
        report.outbox = outbox_count(self.db)
        from console.store.outbox import unpushed_audit

        report.unpushed_audit = unpushed_audit(self.db)
        report.conflicts = len(sync_state.conflicts(self.db))
        report.refused = sync_state.refused_counts(self.db)
        log.info("sync: pushed %s, pulled %s, register %s", report.pushed, report.pulled, report.register)
        return report

    def _check_stop(self) -> None:
        if self.should_stop():
            raise Interrupted("Sync was stopped; what was done is kept and the rest follows next time.")

    # push

    def push(self, report: SyncReport) -> None:
        for batch_of in (sync_state.outbox_batch, sync_state.audit_batch):
            while True:
                self._check_stop()
                batch = batch_of(self.db, MAX_PUSH_ITEMS)
                if not batch:
                    break
                head = sync_state.audit_head(self.db) if batch_of is sync_state.audit_batch else None
                answer = self.client.push(self.workstation, batch, head)
                self.fault("push_answered")
                if answer.get("audit_alert"):
                    log.warning("the hub reports an audit chain alert for this workstation")
                counts = sync_state.acknowledge(self.db, batch, answer["results"])
                if not counts:
                    raise SyncFailed("The hub acknowledged none of the items sent; they stay queued.")
                _add(report.pushed, counts)

    # pull

    def pull(self, report: SyncReport) -> None:
        while True:
            self._check_stop()
            page = self.client.changes(sync_state.change_cursor(self.db))
            self.fault("changes_received")
            try:
                applied = sync_state.apply_changes(self.db, page["changes"], page["cursor"])
            except (KeyError, TypeError, ValueError, sqlite3.Error) as exc:
                # rolled back with the cursor: nothing of the page is kept
                raise SyncFailed(f"The hub sent a change this workstation cannot apply ({type(exc).__name__}); "
                                 "nothing of it was kept, and sync will try again.") from None
            _add(report.pulled, applied)
            if not page.get("more"):
                return

    # the register

    def fetch_register(self, report: SyncReport) -> None:
        offer = self.client.register()
        if offer is None:
            report.register = "none on the hub"
            return
        seq = int(offer["seq"])
        held = sync_state.register_seq(self.db)
        if seq <= held:
            report.register = f"up to date ({offer['register_version']})"
            return
        # holding the register this one's delta starts from: only the changes travel
        use_delta = (bool(offer.get("delta_size")) and held and offer.get("delta_from") == held
                     and sync_state.no_delta_for(self.db) != seq)
        what, size, sha256 = ("delta", offer["delta_size"], offer["delta_sha256"]) if use_delta else \
            ("snapshot", offer["size"], offer["sha256"])
        data = self._download(seq, what, int(size), sha256)
        if use_delta:
            from console.store.register.delta import rebuild_register

            data = rebuild_register(self.db, data)
        digest = offer["digest"]

        def vouched(register):
            # the rebuild is vouched for by the hub's digest, or nothing changes
            from console.store.register.digest import register_digest

            if register_digest(register) != digest:
                raise SyncFailed(f"Register {seq} rebuilt from its changes differs from the hub's; "
                                 "its whole snapshot will be fetched instead.")

        def swap(db):
            sync_state.finish_register(db, seq)

        try:
            result = import_register(self.db, data, progress=self.progress, on_swap=swap,
                                     before_swap=vouched if use_delta else None)
        except SyncFailed:
            sync_state.drop_download(self.db)
            with write_transaction(self.db):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('sync.register_no_delta', ?)", [str(seq)])
            raise
        with write_transaction(self.db):
            append_audit(self.db, "register_import", operator=self.operator, workstation=self.workstation,
                         detail={"register_version": result.register_version, "persons": result.persons,
                                 "documents": result.documents, "practices": result.practices,
                                 "rejected": result.rejected_count, "source": f"hub {what}", "hub_seq": seq})
        report.register = f"imported {result.register_version}" + (" (changes only)" if use_delta else "")

    def _download(self, seq: int, what: str, size: int, sha256: str) -> bytes:
        """The snapshot or delta of register `seq`, chunk by chunk into the
        encrypted file (a delta under -seq), resuming what an earlier sync held."""
        key = -seq if what == "delta" else seq
        have = sync_state.downloaded(self.db, key)
        self.progress("download", have, size)
        while have < size:
            self._check_stop()
            data = self.client.snapshot_chunk(seq, have, min(self.chunk_bytes, size - have), what)
            if not data:
                raise SyncFailed(f"The hub sent no data for register {seq} at byte {have} of {size}.")
            sync_state.store_chunk(self.db, key, have, data)
            have += len(data)
            self.progress("download", have, size)
            self.fault("chunk_stored")
        data = sync_state.snapshot_bytes(self.db, key)
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            sync_state.drop_download(self.db)
            raise SyncFailed(f"Register {seq} arrived damaged (its SHA-256 differs); it will be fetched again.")
        return data


def sync_cache(cache, client: HubClient, *, progress=None, should_stop=None, chunk_bytes=None) -> SyncReport:
    """One sync of a workstation's cache (console.store.cache.Cache) with the
    hub through `client`, as the cache's operator, if their role may sync."""
    cache.require("sync")
    options = {"chunk_bytes": chunk_bytes} if chunk_bytes else {}
    report = Sync(cache.db, client, cache.workstation, cache.operator, progress=progress,
                  should_stop=should_stop, **options).run()
    cache.after_sync()
    return report


__all__ = ["Sync", "SyncReport", "SyncFailed", "Interrupted", "HubUnreachable", "HubRefused", "HubClient",
           "sync_cache"]
