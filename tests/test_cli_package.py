"""The command line's package: groups of commands over one common module, and
no `hub` where the hub is not installed (the workstation's bundle)."""

import ast
import subprocess
import sys
from pathlib import Path

import console.cli

CLI = Path(console.cli.__file__).parent


def imported_cli_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "console.cli":
                names |= {f"console.cli.{alias.name}" for alias in node.names}
            elif node.module.startswith("console.cli."):
                names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.startswith("console.cli")}
    return names


def test_a_group_of_commands_imports_only_the_common_module():
    groups = [path for path in CLI.glob("*.py") if path.stem not in ("__init__", "common")]
    assert len(groups) >= 8
    for path in groups:
        assert imported_cli_modules(path) <= {"console.cli.common"}, path.name
    assert imported_cli_modules(CLI / "common.py") == set()


def test_without_the_hub_the_command_line_has_no_hub_command():
    script = """
import sys
sys.modules["console.hub"] = None  # as in the workstation's bundle, which leaves the hub out
from console.cli import build_parser, main
assert "Run and administer the central hub" not in build_parser().format_help()
try:
    main(["hub", "stats"])
except SystemExit as exc:
    print("exit", exc.code)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "exit 2", done.stderr
    assert "invalid choice: 'hub'" in done.stderr
