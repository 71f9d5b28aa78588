"""A CSV that is not a fleet (its header lacks the required columns, or it is empty) is refused at once with the
columns it lacks, in the reader's language, instead of 'imported' with nothing in it."""

from __future__ import annotations

import pytest

from ecosentry.fleet import CSV_COLUMNS, CSV_REQUIRED, RegistryError, load_fleet_file
from ecosentry.locale import translations


def test_a_csv_without_the_fleets_columns_is_refused_naming_them(tmp_path):
    path = tmp_path / "readings.csv"
    path.write_text("mn,factor,time,value\n32050900000001,a21026,2026-12-01T00:00,12.5\n", encoding="utf-8")
    with pytest.raises(RegistryError) as refused:
        load_fleet_file(path)
    lacking = "credit_code, enterprise_name, medium, outlet_code, password, region_code, st"
    assert str(refused.value) == f"{path}: the CSV header lacks the columns {lacking}"
    assert refused.value.say(translations("zh").gettext) == f"{path}：CSV 表头缺少列 {lacking}"
    assert refused.value.say(translations("vi").gettext) == f"{path}: dòng tiêu đề CSV thiếu các cột {lacking}"


def test_an_empty_csv_is_refused(tmp_path):
    for text in ("", "\n"):
        path = tmp_path / "empty.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RegistryError, match="an empty CSV file"):
            load_fleet_file(path)


def test_a_header_with_every_column_and_no_rows_is_an_empty_fleet(tmp_path):
    path = tmp_path / "fleet.csv"
    path.write_text(",".join(CSV_COLUMNS) + "\n", encoding="utf-8")
    assert CSV_REQUIRED <= set(CSV_COLUMNS)
    assert load_fleet_file(path) == {"regions": [], "enterprises": []}
