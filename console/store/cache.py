"""The workstation's cache as the window and the command line use it.

Every operation that reveals or changes data goes through here, so each is
audited in the same transaction as what it does.
"""

from dataclasses import dataclass

from console.core.policy import CallerClaim, Decision, decide
from console.core.timeutil import now
from console.store import attempts, calls, persons
from console.store.audit import append_audit
from console.store.connection import open_cache, write_transaction
from console.store.register_import import import_register, register_version
from console.store.search import SearchQuery, search_register


@dataclass
class Verification:
    """A decision and what the operator may see of it."""

    decision: Decision
    register_version: str | None

    def as_json(self) -> dict:
        """cli.md's check-caller object: nothing about why a caller was not verified."""
        d = self.decision
        if not d.verified:
            return {"outcome": "not_verified", "guidance": list(d.guidance)}
        result = {
            "outcome": "verified",
            "assurance": d.assurance,
            "person_id": d.person.person_id,
            "affected_status": d.affected_status,
        }
        if d.documents is not None:
            result["documents"] = [
                {"category": doc.category, "document_date": doc.document_date, "sensitive": doc.sensitive}
                for doc in d.documents
            ]
        result["guidance"] = list(d.guidance)
        return result


class Cache:
    def __init__(self, db, operator: str | None = None):
        self.db = db
        self.operator = operator

    @classmethod
    def open(cls, path, operator: str | None = None, check: bool = True) -> "Cache":
        return cls(open_cache(path, check=check), operator)

    def close(self) -> None:
        self.db.close()

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    @property
    def workstation(self) -> str:
        return self.meta("workstation")

    @property
    def register_version(self) -> str | None:
        return register_version(self.db)

    def audit(self, kind: str, person_id=None, at=None, **detail) -> str:
        return append_audit(
            self.db, kind, operator=self.operator, workstation=self.workstation, person_id=person_id, detail=detail, at=at
        )

    # register

    def import_register(self, path, *, skip_invalid=False, rejects=None, progress=None):
        result = import_register(self.db, path, skip_invalid=skip_invalid, rejects=rejects, progress=progress)
        with write_transaction(self.db):
            self.audit(
                "register_import", register_version=result.register_version, persons=result.persons,
                documents=result.documents, practices=result.practices, rejected=len(result.rejected),
            )
        return result

    def search(self, query: SearchQuery) -> list[dict]:
        results = search_register(self.db, query)
        with write_transaction(self.db):
            self.audit("search", fields=query.fields_used(), results=[r["person_id"] for r in results])
        return results

    # verification

    def verify_caller(self, claim: CallerClaim, at=None, callback_person_ids=frozenset()) -> Verification:
        """Apply the policy to what the caller said at time `at` (default now),
        recording the attempt (audit, lockout) before the answer is shown."""
        at = at or now()
        candidates = persons.persons_born_on(self.db, claim.date_of_birth.isoformat()) if claim.date_of_birth else []
        with write_transaction(self.db):
            decision = decide(
                claim, candidates, at, lambda pid: attempts.is_locked(self.db, pid, at), frozenset(callback_person_ids)
            )
            version = self.register_version
            if decision.reason == "insufficient":
                attempts.record_failed_attempts(
                    self.db, decision.name_matches, at, operator=self.operator, workstation=self.workstation
                )
            self.audit(
                "verification",
                person_id=decision.person.person_id if decision.verified else None,
                outcome=decision.outcome,
                reason=decision.reason,
                assurance=decision.assurance,
                caller_type=claim.caller_type,
                relationship=claim.relationship,
                factors_given=_factors_given(claim),
                name_matches=list(decision.name_matches),
                callback=bool(callback_person_ids),
                call_time=at.isoformat(),
                register_version=version,
            )
            if decision.verified:
                documents = decision.documents
                self.audit(
                    "disclosure",
                    person_id=decision.person.person_id,
                    affected_status=decision.affected_status,
                    assurance=decision.assurance,
                    documents_disclosed=len(documents) if documents is not None else 0,
                    register_version=version,
                )
        return Verification(decision, version)

    def record_export(self, what: str, rows: int, **detail) -> None:
        with write_transaction(self.db):
            self.audit("export", what=what, rows=rows, **detail)

    # calls

    def log_calls(self, records: list[dict], fault=None) -> list[bool]:
        """Store validated call records durably; per record, whether it was new."""
        return calls.save_calls(
            self.db, records, operator=self.operator, workstation=self.workstation,
            register_version=self.register_version, fault=fault,
        )

    def unlock(self, person_id: str, reason: str | None = None) -> dict:
        with write_transaction(self.db):
            unlock = attempts.clear_failed_attempts(
                self.db, person_id, operator=self.operator, workstation=self.workstation, reason=reason
            )
            self.audit("unlock", person_id=person_id, cleared_attempts=unlock["cleared_attempts"], reason=reason)
        return unlock


def _factors_given(claim: CallerClaim) -> list[str]:
    return [
        name for name, value in (
            ("family_name", claim.family_name), ("given_name", claim.given_name), ("date_of_birth", claim.date_of_birth),
            ("nhi", claim.nhi), ("phone", claim.phone), ("email", claim.email), ("code", claim.code),
        ) if value
    ]
