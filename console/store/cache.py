"""The workstation's cache as the window and the command line use it.

Every operation that reveals or changes data goes through here, so each is
audited in the same transaction as what it does.
"""

import logging
from dataclasses import dataclass

from console.core import attest, roles
from console.core.policy import CallerClaim, Decision, decide
from console.core.records import POSSESSION_UNLOCK, lock_judged_at
from console.core.timeutil import now
from console.store import attempts, calls, callbacks, enrolment, operators, persons
from console.store.audit import append_audit
from console.store.clock import hub_now
from console.store.connection import open_cache, write_transaction
from console.store.register.swap import import_register, register_version
from console.store.search import SearchQuery, search_register


log = logging.getLogger("console.store")  # ids, counts and reasons only: never what a caller said


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
    """Operations on the cache, each checked against the signed-in role.

    Until the first operator account exists the cache is in setup mode and
    every operation is allowed to whoever names themselves with `operator`;
    from then on, only a signed-in operator acts, within their role.
    """

    def __init__(self, db, operator: str | None = None):
        self.db = db
        self.operator = operator
        self.role: str | None = None
        self.setup_mode = not operators.accounts_exist(db)

    def sign_in(self, operator_id: str, password: str) -> str:
        """Check the password; from now on this cache acts for that operator."""
        self.role = operators.check_password(self.db, operator_id, password)
        self.operator = operator_id
        self.setup_mode = False
        return self.role

    def start_session(self, operator_id: str, password: str) -> str:
        """The window's sign-in: as sign_in, whose password check is audited
        (every sign-in, right or wrong, once: console.store.operators)."""
        return self.sign_in(operator_id, password)

    def end_session(self) -> None:
        """The window's sign-out (a shift handover): recorded, then nobody acts until the next sign-in."""
        if self.setup_mode or self.operator is None:
            raise operators.AccountError("Nobody is signed in on this workstation.")
        with write_transaction(self.db):
            self.audit("sign_out")
        self.operator, self.role = None, None

    def require(self, operation: str) -> None:
        if not self.setup_mode:
            roles.require(self.role, operation, self.operator)

    @property
    def acting_role(self) -> str | None:
        """The role "Who may attest what" judges this operator's records by:
        in setup mode (no accounts yet) every operation is allowed, as an admin's."""
        return "admin" if self.setup_mode else self.role

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
        self.require("import_register")
        result = import_register(self.db, path, skip_invalid=skip_invalid, rejects=rejects, progress=progress)
        log.info("register %s imported: %d persons, %d documents, %d rows left out", result.register_version,
                 result.persons, result.documents, result.rejected_count)
        with write_transaction(self.db):
            self.audit(
                "register_import", register_version=result.register_version, persons=result.persons,
                documents=result.documents, practices=result.practices, rejected=result.rejected_count,
            )
        return result

    def search(self, query: SearchQuery) -> list[dict]:
        self.require("search")
        results = search_register(self.db, query)
        with write_transaction(self.db):
            self.audit("search", fields=query.fields_used(), results=[r["person_id"] for r in results])
        return results

    # verification

    def verify_caller(self, claim: CallerClaim, at=None, callback_person_ids=frozenset()) -> Verification:
        """Apply the policy to what the caller said at time `at` (default now),
        recording the attempt (audit, lockout) before the answer is shown.

        Policy v2: a check that could not verify records no failed attempt; a
        check is judged locked at the time of the call and at the time it is
        made; a call dated in the future is refused, one more than 12 hours
        past needs a supervisor, one dated before this workstation's
        enrolment is refused (attest.NotAttested); verification by
        possession of the code clears the person's failed attempts, recorded
        as an unlock with reason records.POSSESSION_UNLOCK.
        callback_person_ids: from answered_callback_persons (attested only)."""
        self.require("verify_caller")
        checked_at = hub_now(self.db)  # by the hub's clock: a fast or slow clock lets no attempt escape the lockout
        at = at or checked_at
        attest.refuse(attest.call_time_problem(at, checked_at, self.acting_role),
                      attest.enrolment_problem(at, self.enrolled_at, "The call"))
        candidates = persons.persons_born_on(self.db, claim.date_of_birth.isoformat()) if claim.date_of_birth else []
        judged_at = lock_judged_at(at, checked_at)
        with write_transaction(self.db):
            decision = decide(
                claim, candidates, at, lambda pid: any(attempts.is_locked(self.db, pid, t) for t in judged_at),
                frozenset(callback_person_ids),
            )
            version = self.register_version
            if decision.records_attempt:
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
                could_verify=decision.could_verify,
                failed_attempt=decision.records_attempt,
                callback=bool(callback_person_ids),
                call_time=at.isoformat(),
                register_version=version,
            )
            if decision.clears_attempts and attempts.has_uncleared_attempts(self.db, decision.person.person_id):
                unlock = attempts.clear_failed_attempts(self.db, decision.person.person_id, operator=self.operator,
                                                        workstation=self.workstation, reason=POSSESSION_UNLOCK)
                self.audit("unlock", person_id=decision.person.person_id, cleared_attempts=unlock["cleared_attempts"],
                           reason=POSSESSION_UNLOCK)
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
        log.info("verification by %s: %s (%s)", self.operator, decision.outcome, decision.reason)
        return Verification(decision, version)

    def record_export(self, what: str, rows: int, **detail) -> None:
        self.require("export")
        with write_transaction(self.db):
            self.audit("export", what=what, rows=rows, **detail)

    # calls

    def log_calls(self, records: list[dict], fault=None) -> list[bool]:
        """Store validated call records durably; per record, whether it was new.

        Once accounts exist, every record is first judged by "Who may attest
        what" (attest.call_record_problems) and refused (attest.NotAttested,
        nothing stored) when dated in the future, credited to someone else or
        more than 12 hours old (both allowed to a supervisor entering paper
        calls), about a person not in the register, `verified` with no
        verification on file behind it, or (on an enrolled workstation) dated
        before its enrolment. In setup mode (no accounts: cli.md's
        sign-in) calls are entered as given, like every other operation."""
        self.require("log_calls")
        if not self.setup_mode:
            entered_at, enrolled_at = hub_now(self.db), self.enrolled_at
            attest.refuse(*(problem for record in records for problem in attest.call_record_problems(
                record, acting=self.operator, role=self.role, entered_at=entered_at,
                person_exists=bool(persons.person_rows(self.db, [record["person_id"]])) if record["person_id"] else None,
                verifications=calls.verifications_of(self.db, record["person_id"]), enrolled_at=enrolled_at)))
        stored = calls.save_calls(
            self.db, records, operator=self.operator, workstation=self.workstation,
            register_version=self.register_version, fault=fault,
        )
        log.info("calls saved by %s: %s", self.operator, ", ".join(r["call_id"] for r, new in zip(records, stored) if new))
        return stored

    def unlock(self, person_id: str, reason: str | None = None) -> dict:
        self.require("unlock")
        with write_transaction(self.db):
            unlock = attempts.clear_failed_attempts(
                self.db, person_id, operator=self.operator, workstation=self.workstation, reason=reason
            )
            self.audit("unlock", person_id=person_id, cleared_attempts=unlock["cleared_attempts"], reason=reason)
        return unlock


    # reading the record

    def stats(self, since=None, until=None) -> dict:
        self.require("stats")
        return calls.call_stats(self.db, since, until)

    def export_calls(self, since=None, until=None) -> list[dict]:
        """The records to export; whoever writes them out then calls record_export."""
        self.require("export")
        return list(calls.export_calls(self.db, since, until))

    def audit_entries(self, **filters) -> list[dict]:
        from console.store.audit import list_audit

        self.require("read_audit")
        entries = list_audit(self.db, **filters)
        self.record_export("audit", len(entries))
        return entries

    def verify_audit(self):
        from console.store.audit import verify_chain

        self.require("read_audit")
        return verify_chain(self.db)

    def call_history(self, person_id: str) -> list[dict]:
        self.require("call_history")
        return calls.calls_of_person(self.db, person_id)

    # callbacks

    def _actor(self) -> dict:
        return {"operator": self.operator, "workstation": self.workstation}

    def book_callback(self, claim: CallerClaim, **options) -> dict:
        self.require("book_callback")
        return callbacks.book_callback(self.db, claim, **options, **self._actor())

    def list_callbacks(self, which: str = "open", operator: str | None = None) -> list[dict]:
        """Supervisors see every callback; an operator sees those assigned to
        them, so a booking's fate never tells them whether anyone matched."""
        self.require("list_callbacks")
        if not self.setup_mode and not roles.role_allows(self.role, "assign_callback"):
            operator = self.operator
        rows = callbacks.list_callbacks(self.db, which=which, operator=operator)
        with write_transaction(self.db):
            self.audit("export", what="callbacks", rows=len(rows), which=which, assigned_to=operator)
        return rows

    def assign_callback(self, callback_id: str, assignee: str) -> dict:
        self.require("assign_callback")
        return callbacks.assign_callback(self.db, callback_id, assignee, **self._actor())

    def complete_callback(self, callback_id: str, outcome: str, notes: str | None = None) -> dict:
        """An operator completes only an open callback assigned to them, and
        every refusal reads the same, so it never tells whether anyone matched."""
        self.require("complete_callback")
        return callbacks.complete_callback(self.db, callback_id, outcome, notes=notes,
                                           assigned_only=not attest.is_supervisor(self.acting_role), **self._actor())

    def countersign_callback(self, callback_id: str) -> dict:
        """A supervisor attests that a callback another operator completed as answered was answered."""
        self.require("assign_callback")
        return callbacks.countersign_callback(self.db, callback_id, role=self.acting_role, **self._actor())

    def callbacks_to_dial(self) -> list[dict]:
        """The open callbacks assigned to the signed-in operator, numbers masked."""
        self.require("complete_callback")
        return callbacks.callbacks_to_dial(self.db, self.operator)

    def dial_callback(self, callback_id: str, index: int) -> dict:
        """Record the dial intent of number `index` on file; {"intent_id", "uri"} for the softphone."""
        self.require("complete_callback")
        return callbacks.dial_callback(self.db, callback_id, index, **self._actor())

    def answered_callback_persons(self, callback_id: str) -> frozenset[str]:
        """The persons an attested answered callback reached (empty otherwise)."""
        self.require("verify_caller")
        return callbacks.answered_callback_persons(self.db, callback_id)

    # accounts

    def _accounts_are_local(self) -> None:
        hub = self.hub_url
        if hub:
            raise operators.AccountError(
                f"This workstation takes its accounts from the hub at {hub}: manage them there "
                "(helpline-console hub operators …); they arrive here with the next sync.")

    def add_operator(self, operator_id: str, role: str, password: str) -> dict:
        self._accounts_are_local()
        if self.setup_mode:
            if role != "admin":
                raise operators.AccountError("The first account must be an admin: add it with --role admin.")
        else:
            self.require("manage_operators")
        with write_transaction(self.db):
            account = operators.add_operator(self.db, operator_id, role, password, created_by=self.operator)
            self.audit("operator_added", operator_id=operator_id, role=role)
        if self.setup_mode:
            self.setup_mode = False
            self.operator, self.role = operator_id, role
        return account

    def disable_operator(self, operator_id: str) -> None:
        self.require("manage_operators")
        self._accounts_are_local()
        with write_transaction(self.db):
            operators.disable_operator(self.db, operator_id)
            self.audit("operator_disabled", operator_id=operator_id)

    def change_password(self, operator_id: str, current_password: str, new_password: str) -> None:
        """The operator's own change (on a standalone workstation; a hub's accounts change on the hub)."""
        self._accounts_are_local()
        operators.check_current_password(self.db, operator_id, current_password)
        with write_transaction(self.db):
            operators.change_password(self.db, operator_id, current_password, new_password)
            self.operator = self.operator or operator_id
            self.audit("password_changed", operator_id=operator_id)

    def reset_password(self, operator_id: str, temporary_password: str) -> None:
        """An admin's reset: the account must change the temporary password at its next sign-in."""
        self.require("manage_operators")
        self._accounts_are_local()
        with write_transaction(self.db):
            operators.reset_password(self.db, operator_id, temporary_password)
            self.audit("password_reset", operator_id=operator_id)

    def list_operators(self) -> list[dict]:
        self.require("manage_operators")
        return operators.list_operators(self.db)

    def set_setting(self, key: str, value) -> str:
        """Store a setting (console/store/settings.py); SettingRefused changes nothing. Returns the text stored."""
        from console.store import settings

        self.require(settings.declared(key).permission)
        with write_transaction(self.db):
            stored = settings.put(self.db, key, value)
            self.audit("setting_changed", setting=key, value=stored)
        return stored


    # sync with the hub

    @property
    def hub_url(self) -> str | None:
        from console.store import settings

        return settings.get(self.db, "hub_url") or None

    @property
    def enrolled_at(self):
        """When the hub this cache syncs with first enrolled this machine
        (console.store.enrolment), or None: standalone, or not enrolled yet.
        What it records itself is judged by it as the hub judges a push.
        Read from the keystore once per hub (the first enrolment's time never
        changes), not at every call saved; until found, asked again."""
        hub_url = self.hub_url
        found = self.__dict__.setdefault("_enrolled_at_by_hub", {})
        if hub_url is not None and hub_url not in found:
            at = enrolment.enrolled_at(hub_url)
            if at is None:
                return None
            found[hub_url] = at
        return found.get(hub_url)

    def after_sync(self) -> None:
        """Called by console.sync.engine.sync_cache when a sync has run: if it
        was a new workstation's first and brought the accounts, the hub has
        just checked this operator's password, so they carry on in their role."""
        if self.setup_mode and operators.accounts_exist(self.db):
            self.role = operators.active_role(self.db, self.operator)
            self.setup_mode = False

    def sync_status(self) -> dict:
        """What is waiting for the hub, and how the last sync went (no network).

        A supervisor sees every count and every conflict; an operator sees
        calls counted and the rest only as "other records waiting", since how
        many attempts one check queued would tell how many names it matched
        (sync_state.waiting)."""
        from console.store import sync_state

        self.require("sync")
        return {
            "hub": self.hub_url,
            "last_success": sync_state.last_sync(self.db),
            "change_cursor": sync_state.change_cursor(self.db),
            "register_seq": sync_state.register_seq(self.db),
            **sync_state.waiting(self.db, every_kind=attest.is_supervisor(self.acting_role)),
            "refused": sync_state.refused_counts(self.db),
        }

    # the supervisor's dashboard

    def dashboard(self, day=None, at=None, in_progress: int | None = None) -> dict:
        """The figures of a helpline day (default today) as of `at` (default now)."""
        from console.store import dashboard

        self.require("dashboard")
        return dashboard.dashboard(self.db, day, at or now(), in_progress)

    def supervisor_queues(self, at=None) -> dict:
        from console.store import dashboard

        self.require("dashboard")
        return dashboard.queues(self.db, at or now())

    def acknowledge_escalation(self, call_id: str, note: str | None = None) -> dict:
        from console.store import dashboard

        self.require("acknowledge_escalation")
        return dashboard.acknowledge_escalation(self.db, call_id, note=note, **self._actor())

    # what the window reads and writes (console/ui), beside the operations above

    def window_settings(self) -> dict:
        """The settings the window starts with; read before anyone signs in."""
        from console.store import settings

        return {key: settings.get(self.db, key) for key in ("idle_lock_minutes", "sync_interval_seconds",
                                                            "high_contrast", *settings.LINE_SETTINGS)}

    def synced_content(self) -> dict | None:
        """Guidance scripts and services as the hub last published them (no personal data)."""
        from console.store.sync_state import synced_content

        return synced_content(self.db)

    def synced_message(self) -> dict | None:
        """The supervisors' live message as last pulled from the hub (the live channel's fallback)."""
        from console.store.sync_state import synced_message

        return synced_message(self.db)

    def calls_not_synced(self) -> int:
        """How many saved calls wait for the hub (a count, for the status bar)."""
        return calls.outbox_count(self.db, "call")

    def verified_caller_context(self, person_id: str) -> dict:
        """What the call screen shows beside a verified caller: their region,
        earlier calls and open callbacks (the verification was audited)."""
        self.require("call_history")
        rows = persons.person_rows(self.db, [person_id])
        return {"region": rows[0]["region"] if rows else None,
                "calls": calls.calls_of_person(self.db, person_id),
                "open_callbacks": callbacks.open_callbacks_for_person(self.db, person_id)}

    def export_calls_to(self, path, since=None, until=None, **detail) -> int:
        """Write the calls between since and until to a CSV file at path and
        record the export; how many calls were written."""
        from console.core.output_safety import open_private
        from console.store.exports import write_calls

        records = self.export_calls(since, until)
        with open_private(path, encoding="utf-8-sig") as f:
            write_calls(records, f, "csv")
        self.record_export("calls", len(records), format="csv", **detail)
        return len(records)

    def export_figures_to(self, path, figures: dict) -> int:
        """Write a day's dashboard figures to a CSV file at path and record
        the export; how many rows were written."""
        from console.core.output_safety import open_private
        from console.store.exports import write_figures

        self.require("export")
        with open_private(path, encoding="utf-8-sig") as f:
            rows = write_figures(figures, f)
        self.record_export("dashboard_figures", rows, format="csv", day=figures["day"])
        return rows


def _factors_given(claim: CallerClaim) -> list[str]:
    return [
        name for name, value in (
            ("family_name", claim.family_name), ("given_name", claim.given_name), ("date_of_birth", claim.date_of_birth),
            ("nhi", claim.nhi), ("phone", claim.phone), ("email", claim.email), ("code", claim.code),
        ) if value
    ]
