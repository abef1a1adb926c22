"""Writing call records and the dashboard's figures out: JSON Lines, or CSV that
opens cleanly in a spreadsheet. The files are created owner-only by their
callers (console.core.output_safety.open_private)."""

import csv
import json

from console.core.output_safety import spreadsheet_cell
from console.store.calls import EXPORT_FIELDS


def _cell(value) -> str:
    """A cell a spreadsheet shows as text (console.core.output_safety): notes
    and topics are free text, and a formula in them must not run."""
    if isinstance(value, list):
        value = ";".join(f"{v['id']}@{v['version']}" if isinstance(v, dict) else str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return spreadsheet_cell(value)


def write_calls(records, stream, fmt: str) -> None:
    """CSV callers open the stream with a byte-order mark ("utf-8-sig")."""
    if fmt == "jsonl":
        for record in records:
            stream.write(json.dumps({k: record.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    for record in records:
        writer.writerow([_cell(record.get(k)) for k in EXPORT_FIELDS])


def figure_rows(figures: dict):
    """The dashboard's figures as (figure, item, value) rows: one row per number."""
    for key, value in figures.items():
        if key == "calls_per_hour":
            for which, counts in value.items():
                for hour, n in enumerate(counts):
                    yield f"calls_per_hour.{which}", f"{hour:02d}:00", n
        elif key == "handle_time_histogram":
            for bar in value:
                yield key, bar["label"], bar["calls"]
        elif isinstance(value, dict):
            for item, n in value.items():
                yield key, item, n
        else:
            yield key, "", value


def write_figures(figures: dict, stream) -> int:
    """CSV of the figures (callers open the stream with "utf-8-sig"); returns the rows written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(("figure", "item", "value"))
    rows = 0
    for row in figure_rows(figures):
        writer.writerow([_cell(v) for v in row])
        rows += 1
    return rows
