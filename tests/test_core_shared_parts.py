"""The core pieces the subsystems share (lifted from park, power, om and gates): the MQTT broker address, the
finding sentence, the bench's per-code scores and a readings sink's note of readings left out. Worked examples; the
subsystems' own tests run them against the real broker and database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from ecosentry.contracts.bench_score import CodeScores, ratio
from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.finding import FindingSentence
from ecosentry.gateways.mqtt_subscriber import broker_address
from ecosentry.pipeline.reading_sink import MAX_NOTES, archive_form, with_problems


def test_broker_address_defaults_the_port_by_scheme_and_names_the_setting():
    assert broker_address("mqtt://broker.example") == ("broker.example", 1883, False)
    assert broker_address("mqtts://broker.example") == ("broker.example", 8883, True)
    assert broker_address("mqtt://127.0.0.1:2883") == ("127.0.0.1", 2883, False)
    with pytest.raises(ValueError, match=r"^park\.mqtt\.url 'http://x' is not mqtt://"):
        broker_address("http://x", "park.mqtt.url")


@dataclass(frozen=True)
class _Finding(FindingSentence):
    translated_params = ("level",)

    code: str
    msgid: str
    params: dict = field(default_factory=dict)


def test_finding_sentence_translates_the_named_parameters_only():
    f = _Finding("X-1", "%(level)s alert at %(gate)s", {"level": "red", "gate": "red"})
    assert f.explanation == "red alert at red"
    words = {"%(level)s alert at %(gate)s": "%(gate)s: %(level)s", "red": "ROUGE"}
    assert f.say(lambda s: words.get(s, s)) == "red: ROUGE"


def test_code_scores_rows_give_recall_precision_and_honest_rate():
    sc = CodeScores()
    sc.injected["A"], sc.found["A"], sc.findings["A"], sc.true_findings["A"] = 3, 2, 4, 2
    sc.honest_findings["B"] = 1
    assert sc.code_rows(10, digits=3) == [
        {"code": "A", "injected": 3, "found": 2, "recall": 0.667, "findings": 4, "precision": 0.5,
         "honest_per_day": 0.0}]
    rows = sc.code_rows(8, digits=4, with_honest_codes=True)
    assert [r["code"] for r in rows] == ["A", "B"]
    assert rows[0]["recall"] == 0.6667 and rows[1] == {"code": "B", "injected": 0, "found": 0, "recall": None,
                                                        "findings": 0, "precision": None, "honest_per_day": 0.125}
    assert ratio(1, 0) is None


def test_a_frame_with_readings_left_out_is_noted_and_quarantined_when_none_kept():
    env = Envelope(transport="mqtt", received_at=datetime(2026, 1, 5, tzinfo=timezone.utc), raw=b"x",
                   status="accepted", kind="k", point_id=7)
    archived = archive_form(env, "park-")
    assert (archived.transport, archived.point_id, archived.readings) == ("park-mqtt", None, [])
    problems = [("bad_value", f"reading {i}") for i in range(MAX_NOTES + 2)]
    noted, fault = with_problems(archived, problems, offered=7, kept=0)
    assert noted.status == "quarantined" and noted.error == "bad_value"
    assert fault.code == "bad_value" and fault.readings_dropped == 7
    assert fault.note == "; ".join([f"reading {i}" for i in range(MAX_NOTES)]
                                   + ["2 more readings with a fault", "7 of 7 readings not stored"])
    kept_some, fault = with_problems(archived, problems[:1], offered=2, kept=1)
    assert kept_some.status == "accepted" and fault.note == "reading 0; 1 of 2 readings not stored"
