"""Bundle benchmark (issue #8): the PyInstaller bundle beside `python -m console`, in one run.

Prints:
- the bundle's size on disk and its number of files (and the build time, with --build);
- `--version`, cold and warm, for the bundle and for `python -m console`;
- `self-test` (a new encrypted cache, the sample register imported, a caller
  verified, a call logged, the audit chain checked), cold and warm, for both;
- `self-test --gui`'s window step (the window opened on that cache and ready), warm, for both.

"Cold": every file of the program measured is first evicted from the page
cache (posix_fadvise DONTNEED; no root needed), which is what a first start
after boot reads from disk: the bundle's folder, or the venv, the
interpreter's standard library and this checkout's console/ and resources/.
Shared system libraries (libc, D-Bus, X) stay cached for both. "Warm": the
median of --runs starts after that.

Usage: python tests/perf/bench_bundle.py [--bundle dist/helpline-console] [--build] [--runs 10]
The self-test figures need the keystore (README, "Security model"); without one they are left out.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def evict(*roots: Path) -> int:
    """Drop every file under `roots` from the page cache; how many files."""
    count = 0
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                try:
                    fd = os.open(path, os.O_RDONLY)
                except OSError:
                    continue
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    count += 1
                finally:
                    os.close(fd)
    return count


def timed(command: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd="/", timeout=300)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stdout[-500:]}{done.stderr[-500:]}")
    return seconds, done.stdout


def keystore_usable(env: dict) -> bool:
    probe = "from console.store.keystore import open_keystore; open_keystore()"
    return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True).returncode == 0


def size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_blocks * 512 for p in files), len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(REPO / "dist" / "helpline-console"))
    parser.add_argument("--build", action="store_true", help="build the bundle first (packaging/build-bundle --no-smoke)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    bundle = Path(args.bundle).resolve()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("HELPLINE_CONSOLE_RESOURCES", None)
    rows = []

    if args.build:
        started = time.perf_counter()
        subprocess.run([str(REPO / "packaging" / "build-bundle"), "--no-smoke"], cwd=REPO, check=True,
                       env={**env, "PYTHON": sys.executable}, capture_output=True)
        rows.append(("build (packaging/build-bundle --no-smoke)", f"{time.perf_counter() - started:.0f} s", ""))
    program = bundle / "helpline-console"
    if not program.exists():
        print(f"There is no bundle at {bundle}: build it with packaging/build-bundle (or pass --build).",
              file=sys.stderr)
        return 1
    on_disk, files = size(bundle)
    rows.append(("size on disk", f"{on_disk / 2**20:.0f} MB, {files:,} files", ""))

    bundle_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}  # the bundle alone
    python_env = {**env, "PYTHONPATH": str(REPO)}  # this checkout's console, through the venv's interpreter
    programs = {
        "bundle": ([str(program)], bundle_env, [bundle]),
        "python -m console": ([sys.executable, "-m", "console"], python_env,
                              [Path(sys.prefix), Path(sysconfig.get_paths()["stdlib"]), Path(sys.executable).resolve(),
                               REPO / "console", REPO / "resources"]),
    }
    with_keystore = keystore_usable(python_env)
    tasks = [("--version", ["--version"], args.runs)]
    if with_keystore:
        tasks.append(("self-test", ["self-test", "--json"], max(3, args.runs // 3)))

    for label, extra, runs in tasks:
        figures = {}
        for name, (command, program_env, files_of) in programs.items():
            evict(*files_of)
            cold, _ = timed(command + extra, program_env)
            warm = statistics.median(timed(command + extra, program_env)[0] for _ in range(runs))
            figures[name] = (cold, warm)
        b, p = figures["bundle"], figures["python -m console"]
        rows.append((f"`{label}`, cold", f"{b[0] * 1000:.0f} ms", f"{p[0] * 1000:.0f} ms"))
        rows.append((f"`{label}`, warm (median of {runs})", f"{b[1] * 1000:.0f} ms", f"{p[1] * 1000:.0f} ms"))

    if with_keystore:
        window, runs = {}, max(3, args.runs // 3)
        for name, (command, program_env, _) in programs.items():
            steps = [json.loads(timed(command + ["self-test", "--gui", "--json"], program_env)[1])["steps"]
                     for _ in range(runs)]
            window[name] = statistics.median(s["seconds"] for run in steps for s in run if s["step"] == "window")
        rows.append((f"`self-test --gui`: the window opened on that cache and ready, warm (median of {runs})",
                     f"{window['bundle'] * 1000:.0f} ms", f"{window['python -m console'] * 1000:.0f} ms"))
    else:
        rows.append(("self-test", "left out: no usable keystore in this session", ""))

    print("| figure | bundle | python -m console |")
    print("| --- | --- | --- |")
    for figure, ours, beside in rows:
        print(f"| {figure} | {ours} | {beside} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
