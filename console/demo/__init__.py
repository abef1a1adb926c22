"""Demo mode: a freshly generated register (console.demo.register) in a
temporary cache, a surge day of calls (console.demo.surge_day), and callers
to try."""

import csv
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DemoCaller:
    label: str
    family_name: str
    given_name: str
    date_of_birth: str
    code: str | None = None
    nhi: str | None = None
    phone: str | None = None

    def check_caller_args(self) -> list[str]:
        args = ["--family-name", self.family_name, "--given-name", self.given_name, "--dob", self.date_of_birth]
        for option, value in (("--code", self.code), ("--nhi", self.nhi), ("--phone", self.phone)):
            if value:
                args += [option, value]
        return args


@dataclass
class Demo:
    folder: Path
    cache_path: Path
    register_path: Path
    register_version: str
    callers: list[DemoCaller] = field(default_factory=list)
    # the demo's throwaway accounts ({id: role}) and their one generated password, shown to whoever runs it
    accounts: dict[str, str] = field(default_factory=dict)
    password: str | None = None

    def discard(self) -> None:
        """Delete the demo's folder and forget its cache key."""
        import shutil

        from console.store.connection import key_entry
        from console.store.keystore import open_keystore

        open_keystore().forget(key_entry(self.cache_path))
        shutil.rmtree(self.folder, ignore_errors=True)

    def sign_in_hint(self) -> str:
        """Who to sign in as: printed at launch and shown on the demo's sign-in and lock screens."""
        who = " or ".join(f"{operator_id} ({DEMO_ROLES[role]})" for operator_id, role in self.accounts.items())
        return f"Demo: sign in as {who}, password {self.password} (made for this demo only)."

    def instructions(self) -> str:
        db = shlex.quote(str(self.cache_path))
        operator = next(iter(self.accounts), None)
        console = (f"HELPLINE_CONSOLE_PASSWORD={shlex.quote(self.password)} helpline-console --db {db} "
                   f"--operator {operator}") if operator else f"helpline-console --db {db}"
        supervisor = next((i for i, role in self.accounts.items() if role != "operator"), None)
        supervising = console.replace(f"--operator {operator}", f"--operator {supervisor}") if supervisor else console
        lines = [
            f"Demo register {self.register_version} imported into {self.cache_path}",
            "",
            self.sign_in_hint() if self.password else "",
            "",
            "Callers to try in the window (or with the command line while it is open):",
        ]
        for caller in self.callers:
            lines.append(f"  # {caller.label}")
            lines.append(f"  {console} check-caller {shlex.join(caller.check_caller_args())}")
        lines += [
            "",
            f"  {supervising} search --name {shlex.quote(self.callers[0].family_name)}",
            f"  {supervising} stats",
            f"  {supervising} audit verify",
        ]
        return "\n".join(lines)


DEMO_ROLES = {"operator": "calls", "admin": "calls and the supervisor's dashboard"}
DEMO_ACCOUNTS = {"demo-operator": "operator", "demo-admin": "admin"}


def demo_password() -> str:
    """Twelve random letters in three groups: easy to read off the screen, hard to guess."""
    import secrets
    import string

    return "-".join("".join(secrets.choice(string.ascii_lowercase) for _ in range(4)) for _ in range(3))


def _pick_callers(register: Path) -> list[DemoCaller]:
    """An affected caller with their code, one with NHI and phone, and one not affected."""
    affected = set()
    with open(register / "documents.csv", encoding="utf-8-sig", newline="") as f:
        affected = {row["person_id"] for row in csv.DictReader(f)}
    wanted = {"possession": None, "knowledge": None, "not_affected": None}
    with open(register / "persons.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if not row["date_of_birth"]:
                continue
            given = row["given_names"].split()[0]
            phone = row["phones"].split(";")[0].strip() if row["phones"] else None
            if row["person_id"] in affected and row["notification_code"] and not wanted["possession"]:
                wanted["possession"] = DemoCaller("affected, verified by the notification code", row["family_name"],
                                                  given, row["date_of_birth"], code=row["notification_code"])
            elif row["person_id"] in affected and row["nhi"] and phone and not wanted["knowledge"]:
                wanted["knowledge"] = DemoCaller("affected, verified by NHI and phone (status only)", row["family_name"],
                                                 given, row["date_of_birth"], nhi=row["nhi"], phone=phone)
            elif row["person_id"] not in affected and row["notification_code"] and not wanted["not_affected"]:
                wanted["not_affected"] = DemoCaller("not affected", row["family_name"], given, row["date_of_birth"],
                                                    code=row["notification_code"])
            if all(wanted.values()):
                break
    return [c for c in wanted.values() if c]


def prepare_demo(persons: int = 20_000, progress=None, folder: Path | None = None) -> Demo:
    from console.demo.register import write_demo_register
    from console.demo.surge_day import demo_calls
    from console.store.cache import Cache

    folder = Path(folder or tempfile.mkdtemp(prefix="helpline-demo-"))
    register = folder / "register"
    manifest = write_demo_register(register, persons, seed=2026,
                                   progress=(lambda d, t: progress("generating", d, t)) if progress else None)
    cache_path = folder / "cache.db"
    cache = Cache.open(cache_path, operator="demo-admin")
    callers = _pick_callers(register)
    try:
        cache.import_register(register, progress=progress)
        # a surge day so far, so the supervisor's dashboard has something to show
        # (never about the callers offered to try, whose history stays empty)
        from console.core.timeutil import now

        offered = {(caller.family_name, caller.date_of_birth) for caller in callers}
        others = [pid for pid, family, born in cache.db.execute(
                      "SELECT person_id, family_name, date_of_birth FROM persons ORDER BY person_id LIMIT 200")
                  if (family, born) not in offered][:40]
        cache.log_calls(demo_calls(now(), others))
        # accounts last, so the register and the day above are entered in setup mode; the first must be an admin
        password = demo_password()
        for operator_id, role in sorted(DEMO_ACCOUNTS.items(), key=lambda a: a[1] != "admin"):
            cache.add_operator(operator_id, role, password)
    finally:
        cache.close()
    if progress and hasattr(progress, "finish"):
        progress.finish()
    return Demo(folder, cache_path, register, manifest["register_version"], callers, dict(DEMO_ACCOUNTS), password)
