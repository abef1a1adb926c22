"""A benchmark's baseline in the same run: the console as it was at a commit, unpacked beside this
checkout, and a child process that runs a benchmark's driver on either."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def baseline_tree(commit: str, prefix: str) -> Path:
    """`console/` and `resources/` as they were at `commit`, in a new temp folder (git archive)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-baseline-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "console", "resources"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_child(script: str, code_root: Path, args: list[str], timeout: float) -> dict:
    """`python script --child ARGS` with the code under code_root first on the path, then this
    checkout's tests/support (the drivers); offscreen unless QT_QPA_PLATFORM says otherwise. The
    child's last line of output, as JSON."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": os.pathsep.join([str(code_root), str(REPO)])}
    out = subprocess.run([sys.executable, script, "--child", *args], cwd=code_root, env=env, capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode:
        raise SystemExit(f"driving the window under {code_root} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
