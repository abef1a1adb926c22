"""The worker process of a register import: it reads and checks the three CSV
files (console.core.register_format) and turns each valid row into the rows
of the register's tables (register/index_rows.py), in batches, sent to the
importer (register/swap.py), which writes them while the next are built.
Reading and checking is per-row Python and writing is mostly SQLite, so on
two cores they overlap."""

import json
import marshal
import os
import struct
import sys

from console.core.codes import ParallelHasher
from console.core.register_format import RegisterRefused, RegisterSource, RowChecker, csv_rows
from console.store.register.index_rows import PersonRows, name_key_rows

BATCH = 25_000  # persons (or documents) per batch sent by the worker
# what the console's entry point (console/__main__.py) takes as "be the worker"
WORKER_ARGUMENT = "--register-worker"


class Worker:
    """Reads and checks the three CSV files and sends the rows of the staging
    tables to the importer, batch by batch, over `conn` (a Channel)."""

    def __init__(self, conn, path, manifest, skip_invalid):
        self.conn = conn
        self.source = RegisterSource(path)
        self.manifest = manifest
        self.skip_invalid = skip_invalid
        self.checker = RowChecker()
        self.read_counts: dict[str, int] = {}
        self.stored: dict[str, int] = {}

    @property
    def refusing(self) -> bool:
        """The import will be refused: keep checking rows, stop building them."""
        return bool(self.checker.problems) and not self.skip_invalid

    def send(self, stage, done, total, tables):
        if self.refusing:
            tables = {}
        self.conn.send(("rows", stage, done, total, tables))

    def run(self):
        try:
            self.load_practices()
            self.load_persons()
            self.load_documents()
            stored = (self.stored["persons"], self.stored["documents"], self.stored["practices"])
            self.conn.send(("done", self.read_counts, self.checker.problems, self.checker.rejected_rows,
                            self.checker.rejected, stored))
        except RegisterRefused as exc:
            self.conn.send(("refused", exc.problems))
        finally:
            self.source.close()

    def valid_rows(self, table: str, check):
        """(rows read so far, row) of each valid row of `table`.csv while the
        import is not refused; the rows read and stored are counted."""
        count = 0
        self.stored[table] = 0
        for line, row in csv_rows(self.source, f"{table}.csv"):
            count += 1
            if check(line, row):
                self.stored[table] += 1
                if not self.refusing:
                    yield count, row
        self.read_counts[table] = count

    def load_practices(self) -> None:
        rows = [(code, title, region or None)
                for _, (code, title, region) in self.valid_rows("practices", self.checker.practice)]
        count = self.read_counts["practices"]
        self.send("practices", count, count, {"practices": rows})

    def load_persons(self) -> None:
        total = self.manifest["counts"]["persons"]
        built = PersonRows()
        with ParallelHasher(lambda done: self.send("codes", done, total, {})) as hasher:
            for count, row in self.valid_rows("persons", self.checker.person):
                built.add(row)
                if len(built.persons) >= BATCH:
                    self.send_persons(built, hasher, count, total)
            count = self.read_counts["persons"]
            self.send_persons(built, hasher, count, total)
        built.forget_names()
        if not self.refusing:
            for table, rows in name_key_rows(built.name_keys, BATCH * 8):
                self.send("persons", count, total, {table: rows})

    def send_persons(self, built: PersonRows, hasher, count: int, total: int) -> None:
        """A batch of persons, each code replaced by its hash (on every core)."""
        if self.refusing:
            built.codes.clear()  # nothing will be stored: no need to hash
        else:
            built.hash_pending(hasher)
        self.send("persons", count, total, built.take())

    def load_documents(self) -> None:
        total = self.manifest["counts"]["documents"]
        rows = []
        for count, row in self.valid_rows("documents", self.checker.document):
            document_id, person_id, category, document_date, source_practice, sensitive = row
            rows.append((document_id, person_id, category, document_date or None, source_practice or None,
                         int(sensitive)))
            if len(rows) >= BATCH * 2:
                self.send("documents", count, total, {"documents": rows})
                rows = []
        self.send("documents", self.read_counts["documents"], total, {"documents": rows})


_HEADER = struct.Struct("!Q")


class Channel:
    """Messages (marshalled, length-prefixed) over a pipe between the two processes."""

    def __init__(self, stream):
        self.stream = stream

    # marshal: both ends are the same interpreter, and for tuples of strings
    # it is several times cheaper than pickle to write and a little to read
    def send(self, message) -> None:
        data = marshal.dumps(message)
        self.stream.write(_HEADER.pack(len(data)))
        self.stream.write(data)
        self.stream.flush()

    def recv(self):
        header = self.stream.read(_HEADER.size)
        if len(header) < _HEADER.size:
            raise EOFError
        size = _HEADER.unpack(header)[0]
        data = self.stream.read(size)
        if len(data) < size:
            raise EOFError
        return marshal.loads(data)


def worker_main() -> None:
    """The worker process: its arguments come pickled on stdin, its messages
    go to stdout (anything printed goes to stderr instead)."""
    import pickle

    path, manifest, skip_invalid = pickle.load(sys.stdin.buffer)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    conn = Channel(out)
    try:
        Worker(conn, path, manifest, skip_invalid).run()
    except (BrokenPipeError, EOFError):
        return  # the importer is gone (killed, or gave up): nothing to report to
    except BaseException:
        import traceback

        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass
        raise SystemExit(1)
    try:
        out.close()
    except OSError:
        pass


_WORKER_COMMAND = (
    "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
    "from console.store.register.worker import worker_main; worker_main()"
)


def worker_command() -> list[str]:
    if getattr(sys, "frozen", False):
        # in a PyInstaller bundle sys.executable is the console itself, which
        # has no `-c`: it runs the worker when given WORKER_ARGUMENT
        return [sys.executable, WORKER_ARGUMENT]
    return [sys.executable, "-c", _WORKER_COMMAND, json.dumps(sys.path)]


def start_worker(path, manifest, skip_invalid):
    import pickle
    import subprocess

    # A fresh interpreter, not multiprocessing: nothing of this process (its
    # threads, its open cache, its __main__ module) is copied or re-run.
    # a windowed program (the bundle's window on Windows) has no standard error to hand on
    stderr = subprocess.DEVNULL if sys.stderr is None else None
    worker = subprocess.Popen(worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    try:
        pickle.dump((path if isinstance(path, (bytes, bytearray)) else str(path), manifest, skip_invalid), worker.stdin)
        worker.stdin.close()
    except BaseException:
        worker.kill()
        worker.wait()
        raise
    return worker
