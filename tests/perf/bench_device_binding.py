"""Device binding benchmark (issue 13): sign-in and push latency on a hub
before the binding (this branch's base, unpacked from git) and after it (this
checkout), in the same run, on the same machine, over loopback.

Before: POST /v1/sessions with a password; pushes with the bearer token.
After: the enrolled workstation's sign-in (a challenge asked for, then signed
with the Ed25519 key) and pushes signed with it, as console.sync.device does.

Prints p50/p99 in milliseconds for each. The hub hashes passwords with its
real argon2 parameters, which dominate a sign-in either way.

Usage: python tests/perf/bench_device_binding.py [--sign-ins 50] [--pushes 110] [--base REF]
Run it inside `packaging/dev test`'s Secret Service (the device key lives in the keystore).
"""

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.hub.bodies import call_item  # noqa: E402
from tests.support.hub import PASSWORD, HubProcess, enrol_workstation, location_args  # noqa: E402

OPERATOR = "op-bench"
CACHE = "bench-desk-1"


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def unpack(ref: str, into: Path) -> Path:
    """The tree of `ref` as files, to run the hub as it was."""
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


class BaseHub(HubProcess):
    """HubProcess run from another source tree (python -m console finds the tree in its working folder)."""

    def __init__(self, location, folder, tree: Path):
        super().__init__(location, folder)
        self.tree = tree
        self.enrol_on_start = False

    def cli(self, *args, check=True, env=None):
        import os

        result = subprocess.run([sys.executable, "-m", "console", "hub", *args, *location_args(self.location)],
                                capture_output=True, text=True, cwd=self.tree,
                                env={**os.environ, "HELPLINE_CONSOLE_PASSWORD": PASSWORD, **(env or {})}, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(result.stderr)
        return result

    def start(self):
        import os

        self.starts += 1
        log = open(self.folder / f"base-hub-{self.starts}.log", "w")
        self.process = subprocess.Popen([sys.executable, "-m", "console", "hub", "serve", *location_args(self.location),
                                         "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT,
                                        cwd=self.tree, env=dict(os.environ))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the base hub did not start")

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def measure(url: str, auth, sign_ins: int, pushes: int) -> dict:
    signing, pushing = [], []
    with httpx.Client(base_url=url + "/v1", auth=auth, timeout=60) as client:
        token = None
        for _ in range(sign_ins):
            t = time.perf_counter()
            answer = client.post("/sessions", json={"operator_id": OPERATOR, "password": PASSWORD,
                                                    "workstation": CACHE})
            signing.append((time.perf_counter() - t) * 1000)
            answer.raise_for_status()
            token = answer.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(pushes):
            body = {"workstation": CACHE, "items": [call_item(workstation=CACHE, operator=OPERATOR)],
                    "audit_head": None}
            t = time.perf_counter()
            answer = client.post("/push", json=body, headers=headers)
            pushing.append((time.perf_counter() - t) * 1000)
            answer.raise_for_status()
    return {"sign-in": signing, "push": pushing}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sign-ins", type=int, default=50)
    # the hub takes 120 pushes a minute from one workstation (console.core.authorship.PUSHES_PER_MINUTE), 429 beyond
    parser.add_argument("--pushes", type=int, default=110)
    parser.add_argument("--base", default="87db473", help="the git ref before the device binding (main before it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        import os

        from console.hub.crypto import CREDENTIAL, CREDENTIALS_ENV, new_key_file

        (work / "credentials").mkdir(mode=0o700)
        new_key_file(work / "credentials" / CREDENTIAL)  # both hubs' key, as systemd hands it over
        os.environ[CREDENTIALS_ENV] = str(work / "credentials")
        base_ref = subprocess.run(["git", "merge-base", "HEAD", args.base], cwd=REPO, capture_output=True,
                                  text=True, check=True).stdout.strip()
        results = {}
        before = BaseHub({"data": str(work / "before")}, work, unpack(base_ref, work / "base-tree"))
        after = HubProcess({"data": str(work / "after")}, work)
        after.enrol_on_start = False
        for hub in (before, after):
            hub.cli("operators", "add", OPERATOR, "--role", "operator")
            hub.start()
        try:
            device = enrol_workstation("bench-machine", hub_url=after.url, run_cli=after.cli, location=after.location)
            results[f"before ({base_ref[:7]})"] = measure(before.url, None, args.sign_ins, args.pushes)
            results["after (device-bound)"] = measure(after.url, device.auth(), args.sign_ins, args.pushes)
        finally:
            before.kill()
            after.kill()
    print(f"{args.sign_ins} sign-ins and {args.pushes} one-call pushes per hub, SQLite, loopback, one client")
    for name, figures in results.items():
        for kind, values in figures.items():
            print(f"{name:24} {kind:8} p50 {statistics.median(values):7.1f} ms   p99 {percentile(values, 99):7.1f} ms")


if __name__ == "__main__":
    main()
