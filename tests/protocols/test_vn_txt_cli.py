"""``ecosentry vn parse FILE...``: one JSON object per file, exit code 2 when any file is rejected."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ecosentry.subsystems.monitoring.cli.vn import app

T = "20260203124500"


def test_parse_prints_json_per_file_and_exit_code(tmp_path):
    good = tmp_path / f"HN_PHCH_NUOPCH_{T}.txt"
    good.write_bytes(f"pH\t8.81\t\t{T}\t00\r\nm,p-Xylene\t0.00\tppb\t{T}\t01\r\n".encode())
    bad = tmp_path / "HN_PHCH_NUOPCH_20260203125000.txt"
    bad.write_bytes(f"pH\t8.81\t\t{T}\t00\n".encode())
    runner = CliRunner()

    ok = runner.invoke(app, ["parse", str(good)])
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.output)
    assert doc["ok"] and doc["name"]["station_key"] == "HN_PHCH_NUOPCH"
    assert doc["name"]["time"] == "2026-02-03T12:45:00"
    assert [ln["parameter"] for ln in doc["lines"]] == ["pH", "m,p-Xylene"]
    assert doc["lines"][0]["unit"] == "" and doc["lines"][1]["status"] == "01"
    assert doc["notes"] == ["crlf"]

    mixed = runner.invoke(app, ["parse", str(good), str(bad), str(tmp_path / "missing.txt")])
    assert mixed.exit_code == 2
    docs = [json.loads(line) for line in mixed.output.splitlines()]
    assert [d["ok"] for d in docs] == [True, False, False]
    assert docs[1]["error"]["reason"] == "time_mismatch" and docs[1]["error"]["line"] == 1
    assert docs[2]["error"]["reason"] == "unreadable"

    lenient = runner.invoke(app, ["parse", "--lenient-time", str(bad)])
    assert lenient.exit_code == 0 and json.loads(lenient.output)["notes"] == ["time_mismatch: 1"]
