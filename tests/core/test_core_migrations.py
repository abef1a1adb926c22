"""The migration mechanism alone, over a ledger kept in a dict."""

from contextlib import contextmanager

import pytest

from console.core.migrations import Migrations


class DictLedger:
    """A database of one dict, with transactions that keep nothing of a failure."""

    def __init__(self):
        self.state = {"recorded": [], "tables": []}

    @contextmanager
    def transaction(self):
        work = {key: list(value) for key, value in self.state.items()}
        yield work
        self.state = work

    def applied(self, handle):
        return handle["recorded"]

    def record(self, handle, name):
        handle["recorded"].append(name)


def steps_making(migrations, *names):
    for name in names:
        def step(handle, name=name):
            handle["tables"].append(name)
        step.__name__ = name
        migrations(step)


def test_steps_run_in_order_once_each():
    migrations = Migrations("test")
    steps_making(migrations, "m001_first", "m002_second")
    ledger = DictLedger()
    assert migrations.apply(ledger) == ["m001_first", "m002_second"]
    assert migrations.apply(ledger) == []
    steps_making(migrations, "m003_third")
    assert migrations.pending(ledger.state["recorded"]) == ["m003_third"]
    assert migrations.apply(ledger) == ["m003_third"]
    assert ledger.state == {"recorded": ["m001_first", "m002_second", "m003_third"],
                            "tables": ["m001_first", "m002_second", "m003_third"]}


def test_a_failed_step_keeps_the_ones_before_and_leaves_itself_pending():
    migrations = Migrations("test")
    steps_making(migrations, "m001_first")

    @migrations
    def m002_fails(handle):
        handle["tables"].append("half")
        raise RuntimeError("failed half-way")

    ledger = DictLedger()
    with pytest.raises(RuntimeError):
        migrations.apply(ledger)
    assert ledger.state == {"recorded": ["m001_first"], "tables": ["m001_first"]}
    assert migrations.pending(ledger.state["recorded"]) == ["m002_fails"]


def test_a_name_is_registered_once_and_names_from_a_newer_program_are_told():
    migrations = Migrations("test")
    steps_making(migrations, "m001_first")
    with pytest.raises(ValueError, match="already"):
        steps_making(migrations, "m001_first")
    assert migrations.unknown(["m001_first", "m002_newer"]) == ["m002_newer"]
