"""`helpline-console self-test`: this installation, end to end, in a throwaway cache.

For checking a bundle or a new workstation: it opens a new encrypted cache in
a temporary folder (its key in the operating system's keystore, as every
cache's is), imports the sample register shipped in the console's resources,
loads the guidance, verifies a sample caller by the policy (and checks that
someone holding only the stolen details is not verified), logs a call, checks
the audit chain and, with --gui, opens the window offscreen and closes it.

One line per step; exit status 0 when every step passed, 1 at the first that
failed (later steps need the earlier ones). The folder and its key are removed
afterwards. The workstation's own cache is never opened.
"""

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

OPERATOR = "self-test"
# a caller of the sample register (resources/sample-register) and what the policy must say
GENUINE = {"family_name": "Ngāti-Rēhia", "given_name": "Hine", "date_of_birth": date(1968, 2, 29), "code": "7QF2-M9DA"}
EXPECTED = {"outcome": "verified", "assurance": "possession", "person_id": "S0001", "affected_status": "affected"}
EXPECTED_FILES = 2
# the same person's name, date of birth and NHI, all in the stolen files: never enough
IMPOSTOR = {"family_name": "Ngāti-Rēhia", "given_name": "Hine", "date_of_birth": date(1968, 2, 29), "nhi": "ZZZ0016"}
WINDOW_SECONDS = 30


class StepFailed(Exception):
    """A step's check did not hold; the message says what was found."""


@dataclass
class StepResult:
    step: str
    ok: bool
    detail: str
    seconds: float

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAILED':<6} {self.step:<9} {self.detail} ({self.seconds * 1000:.0f} ms)"


class SelfTest:
    def __init__(self, gui: bool = False):
        self.gui = gui
        self.folder: Path | None = None
        self.store = None
        self.cache = None
        self.scripts = None
        self.decision = None

    def steps(self):
        steps = [("keystore", self.open_keystore), ("cache", self.open_cache), ("guidance", self.load_guidance),
                 ("import", self.import_sample), ("verify", self.verify_caller), ("call", self.log_call),
                 ("audit", self.check_audit)]
        if self.gui:
            steps.append(("window", self.open_window))
        return steps

    def run(self, report=lambda result: None) -> list[StepResult]:
        results = []
        try:
            for name, step in self.steps():
                started = time.perf_counter()
                try:
                    detail, ok = step(), True
                except StepFailed as exc:
                    detail, ok = str(exc), False
                except Exception as exc:  # a self-test reports whatever stops it, as a result
                    detail, ok = f"{type(exc).__name__}: {exc}", False
                results.append(StepResult(name, ok, detail, time.perf_counter() - started))
                report(results[-1])
                if not ok:
                    break
        finally:
            self.clean_up()
        return results

    # the steps

    def open_keystore(self) -> str:
        from console.store.keystore import KeystoreError, open_keystore

        try:
            self.store = open_keystore()
        except KeystoreError as exc:
            raise StepFailed(f"{exc} Without a keystore the console cannot open any cache.") from None
        return f"{self.store.name} is usable"

    def open_cache(self) -> str:
        from console.store.cache import Cache
        from console.store.connection import PLAIN_HEADER

        self.folder = Path(tempfile.mkdtemp(prefix="helpline-self-test-"))
        path = self.folder / "cache.db"
        self.cache = Cache.open(path, operator=OPERATOR)
        with open(path, "rb") as f:
            if f.read(len(PLAIN_HEADER)) == PLAIN_HEADER:
                raise StepFailed(f"the new cache {path} is not encrypted")
        return f"new encrypted cache in {self.folder}"

    def load_guidance(self) -> str:
        from console.core.guidance import check_guidance, load_scripts, load_services

        self.scripts = load_scripts()
        check_guidance(self.scripts, load_services())
        return f"{len(self.scripts)} scripts and the services file"

    def import_sample(self) -> str:
        from console.paths import resource_path

        register = resource_path("sample-register")
        manifest = json.loads((register / "manifest.json").read_text(encoding="utf-8"))
        result = self.cache.import_register(register)
        got = {"persons": result.persons, "documents": result.documents, "practices": result.practices}
        if got != manifest["counts"]:
            raise StepFailed(f"imported {got}, the sample's manifest says {manifest['counts']}")
        return f"sample register {result.register_version}: {result.persons} persons, {result.documents} stolen files"

    def verify_caller(self) -> str:
        from console.core.policy import CallerClaim

        verification = self.cache.verify_caller(CallerClaim(**GENUINE))
        shown = verification.as_json()
        got = {key: shown.get(key) for key in EXPECTED}
        if got != EXPECTED or len(shown.get("documents", [])) != EXPECTED_FILES:
            raise StepFailed(f"the sample caller should be {EXPECTED} with {EXPECTED_FILES} files; "
                             f"the policy said {got} with {len(shown.get('documents', []))}")
        impostor = self.cache.verify_caller(CallerClaim(**IMPOSTOR)).as_json()
        if impostor["outcome"] != "not_verified" or set(impostor) != {"outcome", "guidance"}:
            raise StepFailed("a caller with only the stolen details was not refused as the policy requires")
        self.decision = verification.decision
        return (f"{EXPECTED['person_id']} verified by possession, affected, {EXPECTED_FILES} files; "
                "stolen details alone not verified")

    def log_call(self) -> str:
        from console.core.calls import validate_call_record
        from console.core.timeutil import now
        from console.store.calls import calls_of_person

        decision = self.decision
        ended = now()
        record = validate_call_record({
            "started_at": ended.isoformat(timespec="seconds"), "ended_at": ended.isoformat(timespec="seconds"),
            "caller_type": "patient", "person_id": decision.person.person_id, "verification": "verified",
            "assurance": decision.assurance, "disclosed_status": decision.affected_status,
            "guidance_delivered": [{"id": i, "version": str(self.scripts[i].version)} for i in decision.guidance],
            "outcome": "resolved", "notes": "self-test",
        }, operator=OPERATOR)
        if self.cache.log_calls([record]) != [True]:
            raise StepFailed("the call was not stored as a new call")
        stored = [c["call_id"] for c in calls_of_person(self.cache.db, decision.person.person_id)]
        if record["call_id"] not in stored:
            raise StepFailed("the call was saved but cannot be read back")
        return f"call {record['call_id'][:8]} saved and read back, {len(record['guidance_delivered'])} scripts"

    def check_audit(self) -> str:
        report = self.cache.verify_audit()
        if not report.ok:
            raise StepFailed(f"the audit chain is broken at entry {report.first_broken_seq}: {report.problem}")
        return f"chain intact, {report.entries} entries"

    def open_window(self) -> str:
        import os

        # a check, not a session: nothing appears on the operator's screen
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QCoreApplication, QEvent
        from PySide6.QtWidgets import QApplication

        from console.ui.app import build_window, make_app

        db_path = Path(self.cache.db.conn.execute("PRAGMA database_list").fetchone()[2])
        self.cache.close()  # as at a real start, the window opens the cache itself
        self.cache = None
        app = make_app()
        window = build_window(db_path, operator=OPERATOR)
        try:
            window.show()
            version = None
            deadline = time.monotonic() + WINDOW_SECONDS
            while time.monotonic() < deadline:
                app.processEvents()
                version = window.call_screen.register_version
                if getattr(window, "damaged", None) or (window.session is not None and version):
                    break
                time.sleep(0.01)
            if getattr(window, "damaged", None):
                raise StepFailed(f"the window refused the cache: {window.damaged}")
            if window.session is None or window.stack.currentWidget() is not window.call_screen or not version:
                raise StepFailed(f"the window was not ready for a call within {WINDOW_SECONDS} s")
            window.show_supervisor()  # the dashboard and its charts (QtCharts) are there too
            if window.stack.currentWidget() is not window.supervisor:
                raise StepFailed("the supervisor dashboard did not open")
            deadline = time.monotonic() + WINDOW_SECONDS
            while time.monotonic() < deadline and (window.supervisor.figures is None or window.supervisor.refreshing):
                app.processEvents()
                time.sleep(0.01)
            if window.supervisor.figures is None:
                raise StepFailed(f"the supervisor dashboard showed no figures within {WINDOW_SECONDS} s")
            window.show_call_screen()
            return (f"window ready for a call on register {version}, dashboard showing its figures "
                    f"({QApplication.platformName()}), closed")
        finally:
            window.close()
            window.worker.shutdown()
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)

    def clean_up(self) -> None:
        """Close the cache, forget its key and remove the folder."""
        if self.cache is not None:
            self.cache.close()
        if self.folder is not None:
            if self.store is not None:
                from console.store.connection import key_entry

                self.store.forget(key_entry(self.folder / "cache.db"))
            shutil.rmtree(self.folder, ignore_errors=True)


def run_self_test(gui: bool = False, as_json: bool = False) -> int:
    from console import __version__

    where = f"bundle {sys.executable}" if getattr(sys, "frozen", False) else f"Python {sys.version.split()[0]}"
    if not as_json:
        print(f"helpline-console {__version__} self-test ({where})", flush=True)
    results = SelfTest(gui).run(report=(lambda r: None) if as_json else (lambda r: print(r.line(), flush=True)))
    passed = all(r.ok for r in results)
    if as_json:
        print(json.dumps({"ok": passed, "version": __version__,
                          "steps": [{"step": r.step, "ok": r.ok, "detail": r.detail, "seconds": round(r.seconds, 3)}
                                    for r in results]}, ensure_ascii=False))
    elif passed:
        print(f"Self-test passed: {len(results)} steps.")
    else:
        print(f"Self-test FAILED at {results[-1].step}: {results[-1].detail}", file=sys.stderr)
    return 0 if passed else 1
