"""Import limits (issue 14, "Import and output"): a register's sizes, its
compression ratio, its field lengths and its manifest's counts are bounded
and checked before anything is read; at most 1,000 invalid rows are listed;
the same limits on the hub as on a workstation (console.core.register_format)."""

import csv
import hashlib
import io
import json
import shutil
import struct
import zipfile

import pytest

from console.core import register_format
from console.core.register_format import RegisterRefused, RegisterSource, check_register

HEADER = register_format.COLUMNS["persons.csv"]


def seal(folder, counts=None):
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in register_format.FILES:
        data = (folder / name).read_bytes()
        manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
        manifest["counts"][name[:-4]] = len([r for r in csv.reader(data.decode("utf-8-sig").splitlines())][1:])
    manifest["counts"].update(counts or {})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def register_with_persons(sample_register, folder, rows, counts=None):
    """The sample register with `rows` (lists of 15 values) added to persons.csv."""
    shutil.copytree(sample_register, folder)
    for f in folder.iterdir():
        f.chmod(0o644)
    with open(folder / "persons.csv", "a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return seal(folder, counts)


def zipped(folder, path, data=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.writestr(f.name, (data or {}).get(f.name, f.read_bytes()))
    return path


def invalid_row(i):  # no family name: invalid
    return [f"X{i:06d}", "", "", "Given", "", "", "", "", "", "", "", "", "", "", ""]


# sizes and ratio, before reading


def test_a_zip_bomb_is_refused_from_its_central_directory_before_anything_is_read(sample_register, tmp_path,
                                                                                    monkeypatch):
    folder = register_with_persons(sample_register, tmp_path / "bomb", [])
    bomb = b"S9,,,,,,,,,,,,,,\n" * 3_000_000  # 51 MB of one row: deflate shrinks it about 1,000 times
    archive = zipped(folder, tmp_path / "bomb.zip", {"persons.csv": bomb})
    assert archive.stat().st_size < 200_000
    read = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: read.append(a) or pytest.fail("read"))
    with pytest.raises(RegisterRefused) as refused:
        RegisterSource(archive)
    assert read == []
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith("persons.csv: ") and "compression ratio" in refused.value.problems[0]


def test_the_bomb_is_refused_by_a_workstation_and_by_the_hub_check(cache, sample_register, tmp_path):
    folder = register_with_persons(sample_register, tmp_path / "bomb", [])
    archive = zipped(folder, tmp_path / "bomb.zip", {"persons.csv": b"S9,,,,,,,,,,,,,,\n" * 1_000_000})
    with pytest.raises(RegisterRefused, match="compression ratio"):
        cache.import_register(archive)
    with pytest.raises(RegisterRefused, match="compression ratio"):
        check_register(archive.read_bytes())
    assert cache.register_version is None


def test_uncompressed_size_is_bounded_per_file_for_zips_and_folders(sample_register, tmp_path, monkeypatch):
    monkeypatch.setattr(register_format, "MAX_FILE_BYTES", 600)
    folder = register_with_persons(sample_register, tmp_path / "big", [])
    with pytest.raises(RegisterRefused) as refused:
        RegisterSource(folder)
    assert refused.value.problems[0].startswith("persons.csv: ") and "600 bytes" in refused.value.problems[0]
    with pytest.raises(RegisterRefused, match="600 bytes"):
        RegisterSource(zipped(folder, tmp_path / "big.zip"))


def _lie_about_size(archive: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size in its central directory (and local header) set to `size`."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_at = at + (46 if signature == b"PK\x01\x02" else 30)
            if data[name_at:name_at + len(name)] == name.encode():
                struct.pack_into("<I", data, at + offset, size)
            start = at + 4
    return bytes(data)


def test_a_zip_whose_headers_lie_about_sizes_is_refused_while_reading(sample_register, tmp_path):
    folder = register_with_persons(sample_register, tmp_path / "lie", [invalid_row(i) for i in range(200)])
    archive = zipped(folder, tmp_path / "lie.zip").read_bytes()
    lying = _lie_about_size(archive, "persons.csv", 100)
    with pytest.raises(RegisterRefused) as refused:
        check_register(lying)
    assert refused.value.problems[0].startswith("persons.csv: ")


def test_a_streamed_file_is_cut_at_the_limit_whatever_its_header_says(sample_register, tmp_path, monkeypatch):
    folder = register_with_persons(sample_register, tmp_path / "grow", [])
    source = RegisterSource(folder)
    monkeypatch.setattr(register_format, "MAX_FILE_BYTES", 600)  # the file "grew" after the check
    with pytest.raises(RegisterRefused, match="persons.csv: .*600 bytes"):
        list(register_format.csv_rows(source, "persons.csv"))
    source.close()


def test_a_value_longer_than_the_field_limit_is_refused_with_where(sample_register, tmp_path):
    long_name = "A" * (register_format.MAX_FIELD_CHARS + 1)
    row = ["S0100", "", long_name, "B", "", "", "", "", "", "", "", "", "", "", ""]
    folder = register_with_persons(sample_register, tmp_path / "long", [row])
    with pytest.raises(RegisterRefused) as refused:
        check_register(folder)
    assert refused.value.problems == [
        f"persons.csv:10: a value is longer than {register_format.MAX_FIELD_CHARS:,} characters; "
        "a register holds names, dates, codes and short addresses."]


def test_a_row_of_too_many_values_is_refused(sample_register, tmp_path):
    folder = register_with_persons(sample_register, tmp_path / "wide", [["S0100"] * 5_000])
    with pytest.raises(RegisterRefused, match=r"persons.csv:10: the record has 5,000 values"):
        check_register(folder)


# counts in the manifest


@pytest.mark.parametrize("count, expected", [
    (None, "manifest.json: not valid JSON"),
    (-1, "manifest.json: counts.persons must be a whole number from 0 to"),
    (10 ** 12, "manifest.json: counts.persons must be a whole number from 0 to"),
    (True, "manifest.json: counts.persons must be a whole number from 0 to"),
    (8.0, "manifest.json: counts.persons must be a whole number from 0 to"),
])
def test_every_count_in_the_manifest_is_bounded(sample_register, tmp_path, count, expected):
    folder = register_with_persons(sample_register, tmp_path / "counts", [])
    text = (folder / "manifest.json").read_text()
    if count is None:  # 5,000 digits: more than Python turns into an int from text
        text = text.replace('"persons": 8', '"persons": ' + "9" * 5_000)
    else:
        manifest = json.loads(text)
        manifest["counts"]["persons"] = count
        text = json.dumps(manifest)
    (folder / "manifest.json").write_text(text)
    with pytest.raises(RegisterRefused) as refused:
        check_register(folder)
    assert refused.value.problems[0].startswith(expected)


def test_a_count_of_5000_digits_is_a_sentence_and_exit_2(cli, sample_register, tmp_path):
    folder = register_with_persons(sample_register, tmp_path / "digits", [])
    text = (folder / "manifest.json").read_text().replace('"persons": 8', '"persons": ' + "9" * 5_000)
    (folder / "manifest.json").write_text(text)
    result = cli("--db", tmp_path / "c.db", "import-register", folder)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "manifest.json: not valid JSON" in result.stderr


def test_a_manifest_larger_than_its_limit_is_refused(sample_register, tmp_path):
    folder = register_with_persons(sample_register, tmp_path / "fat", [])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["padding"] = "x" * register_format.MAX_MANIFEST_BYTES
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegisterRefused, match="manifest.json: .*larger than"):
        check_register(folder)


def test_a_register_version_with_control_characters_is_refused(sample_register, tmp_path):
    folder = register_with_persons(sample_register, tmp_path / "version", [])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["register_version"] = "2026-01\x1b]0;owned\x07"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegisterRefused, match="manifest.json: register_version holds control characters"):
        check_register(folder)


# at most 1,000 invalid rows listed, then a count


def test_at_most_1000_invalid_rows_are_listed_then_a_count(cache, sample_register, tmp_path):
    assert register_format.MAX_LISTED_REJECTS == 1_000
    folder = register_with_persons(sample_register, tmp_path / "many", [invalid_row(i) for i in range(1_500)])
    with pytest.raises(RegisterRefused) as refused:
        check_register(folder)
    assert len(refused.value.problems) == 1_001
    assert refused.value.problems[-1] == "… and 500 more invalid rows, not listed (1,500 in all)."
    with pytest.raises(RegisterRefused) as at_workstation:
        cache.import_register(folder)
    assert at_workstation.value.problems == refused.value.problems
    rejects = tmp_path / "rejects.csv"
    result = cache.import_register(folder, skip_invalid=True, rejects=rejects)
    assert result.persons == 8 and result.rejected_count == 1_500 and len(result.rejected) == 1_000
    rows = list(csv.reader(rejects.open(encoding="utf-8")))
    assert len(rows) == 1 + 1_000 + 1
    assert rows[-1][0] == "… and 500 more invalid rows, not listed (1,500 in all)."


def test_the_cli_lists_1000_invalid_rows_then_a_count(cli, sample_register, tmp_path):
    folder = register_with_persons(sample_register, tmp_path / "many", [invalid_row(i) for i in range(1_200)])
    result = cli("--db", tmp_path / "c.db", "import-register", folder, "--skip-invalid")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1_001 and lines[-1] == "… and 200 more invalid rows, not listed (1,200 in all)."
    assert "1,200 invalid rows left out" in result.stdout


def test_the_hub_checks_the_size_limits_before_reading_the_register(sample_register, tmp_path, monkeypatch):
    from console.hub import registers

    folder = register_with_persons(sample_register, tmp_path / "hub", [])
    archive = zipped(folder, tmp_path / "bomb.zip", {"persons.csv": b"S9,,,,,,,,,,,,,,\n" * 1_000_000})
    monkeypatch.setattr(type(archive), "read_bytes", lambda self: pytest.fail("read before the check"))
    with pytest.raises(RegisterRefused, match="compression ratio"):
        registers.snapshot_bytes(archive)


def test_hub_import_register_refuses_them_with_a_sentence_and_exit_2(sample_register, tmp_path):
    from tests.support.hub import location_args, prepare_hub, run_hub_cli

    location = {"data": str(tmp_path / "hub-data")}
    prepare_hub(location)
    digits = register_with_persons(sample_register, tmp_path / "digits", [])
    text = (digits / "manifest.json").read_text().replace('"persons": 8', '"persons": ' + "9" * 5_000)
    (digits / "manifest.json").write_text(text)
    bomb = zipped(register_with_persons(sample_register, tmp_path / "bomb", []), tmp_path / "bomb.zip",
                  {"persons.csv": b"S9,,,,,,,,,,,,,,\n" * 1_000_000})
    many = register_with_persons(sample_register, tmp_path / "many", [invalid_row(i) for i in range(1_100)])
    for register, expected in ((digits, "manifest.json: not valid JSON"), (bomb, "compression ratio"),
                               (many, "… and 100 more invalid rows, not listed (1,100 in all).")):
        result = run_hub_cli("import-register", *location_args(location), register)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) <= 1_002
