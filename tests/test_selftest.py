"""`helpline-console self-test`: every step in a throwaway cache, a clear refusal without a keystore."""

import json
import tempfile
from pathlib import Path

from console import selftest
from console.selftest import SelfTest

STEPS = ["keystore", "cache", "guidance", "import", "verify", "call", "audit"]


def left_behind() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("helpline-self-test-*")}


def test_every_step_passes_and_nothing_is_left(memory_keyring, tmp_path, monkeypatch):
    # a temp folder of this test's own: other tests running a self-test at the same time have theirs elsewhere
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = left_behind()
    results = SelfTest().run()
    assert [(r.step, r.ok) for r in results] == [(step, True) for step in STEPS], [r.line() for r in results]
    assert "S0001 verified by possession, affected, 2 files" in results[4].detail
    assert before == set() and left_behind() == before
    assert memory_keyring.secrets == {}  # the throwaway cache's key is forgotten


def test_the_window_step_opens_and_closes_the_window(qapp, memory_keyring, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    results = SelfTest(gui=True).run()
    assert [(r.step, r.ok) for r in results][-1] == ("window", True), [r.line() for r in results]
    assert "ready for a call on register sample-2026-01-05.1" in results[-1].detail
    assert not [w for w in qapp.topLevelWidgets() if w.isVisible()]


def test_a_failed_step_stops_the_run_and_says_what_was_found(memory_keyring, monkeypatch, capsys):
    monkeypatch.setattr(selftest, "EXPECTED", {**selftest.EXPECTED, "person_id": "S0002"})
    assert selftest.run_self_test() == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].startswith("FAILED verify    the sample caller should be")
    assert "call" not in [line.split()[1] for line in out.splitlines()[1:]]
    assert err.startswith("Self-test FAILED at verify: ")
    assert memory_keyring.secrets == {}


def test_the_command_passes_in_a_child_process(cli, child_keystore):
    result = cli("self-test", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and [s["step"] for s in report["steps"]] == STEPS


def test_without_a_keystore_it_says_so_and_fails(cli):
    result = cli("self-test", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    assert result.returncode == 1
    assert result.stdout.splitlines()[1].startswith("FAILED keystore  No secure keystore is available: install")
    assert "Without a keystore the console cannot open any cache." in result.stderr
    assert len(result.stdout.splitlines()) == 2  # nothing after the keystore was tried
