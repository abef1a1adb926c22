"""Named migrations: the one way the cache's schema, its settings and the
hub's database are brought up to date.

In the manner of sqlite-utils' `Migrations` and simonw/llm's `m001_initial`:
a step is a function named `mNNN_what_it_does`, registered in order. Each
runs in a transaction together with the record that it ran, so a step that
fails leaves neither its changes nor its record, and runs again next time.
Once shipped, a step is never edited (its DDL is frozen text, never a call
into living code) nor renamed (its name is what a database records); a change
is a new step.

There is no SQL here: each database keeps the names it has applied behind a
`Ledger` of its own (console.store.schema, console.hub.storage).
"""

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Ledger(Protocol):
    """Where one database records the steps of one set it has applied."""

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction; yields the handle a step is given."""

    def applied(self, handle) -> Collection[str]:
        """The names recorded so far, read in the transaction of `handle`."""

    def record(self, handle, name: str) -> None:
        """Record, in the transaction of `handle`, that step `name` ran."""


class Migrations:
    """An ordered set of named steps."""

    def __init__(self, name: str):
        self.name = name
        self.steps: list[Callable] = []

    def __call__(self, step: Callable) -> Callable:
        """Register `step` (a decorator) after the steps registered before it."""
        if step.__name__ in self.names:
            raise ValueError(f"migration {step.__name__!r} is already in set {self.name!r}")
        self.steps.append(step)
        return step

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.__name__ for step in self.steps)

    def pending(self, applied: Collection[str]) -> list[str]:
        """The names of the steps not in `applied`, in order."""
        return [name for name in self.names if name not in applied]

    def unknown(self, applied: Collection[str]) -> list[str]:
        """The names in `applied` this set does not have: a newer program wrote them."""
        return sorted(set(applied) - set(self.names))

    def apply(self, ledger: Ledger) -> list[str]:
        """Run the steps `ledger` has not recorded, in order, each in a
        transaction of its own with its record; the names of those run. A
        step another process ran meanwhile is found recorded and skipped."""
        ran = []
        for step in self.steps:
            with ledger.transaction() as handle:
                if step.__name__ in ledger.applied(handle):
                    continue
                step(handle)
                ledger.record(handle, step.__name__)
            ran.append(step.__name__)
        return ran
