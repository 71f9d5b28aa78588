"""QCVN arithmetic on worked examples, with the arithmetic visible (china-vietnam-rules.md §7.3 [R]):
Cmax = C × Kq × Kf (QCVN 40:2011) and Cmax = C × Kp × Kv (QCVN 19:2009), K tables, reference conditions."""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.rules.vn import (
    QcvnError, cmax, convert_reference_temperature, correct_o2, kf_for_flow, kp_for_flow,
    kq_for_receiving_water, kv_for_zone, load_qcvn_seed, max_allowed_emission, max_allowed_wastewater,
    qcvn_limit, qcvn_limits, qcvn_standard,
)

W40, G19 = "QCVN 40:2011/BTNMT", "QCVN 19:2009/BTNMT"


def test_cod_column_b_worked_example():
    # COD column B 150 mg/L, river Q = 40 m³/s (≤ 50 → Kq 0.9), F = 300 m³/day (50 < F ≤ 500 → Kf 1.1)
    kq, kf = kq_for_receiving_water("river", 40), kf_for_flow(300)
    assert (kq, kf) == (0.9, 1.1)
    assert max_allowed_wastewater(150, kq, kf) == pytest.approx(150 * 0.9 * 1.1) == pytest.approx(148.5)
    b = cmax(qcvn_limit(W40, "B", "COD"), kq=kq, kf=kf)
    assert b.upper == pytest.approx(148.5)
    assert b.explanation == "COD: 150 × Kq 0.9 × Kf 1.1 = 148.5 mg/L (QCVN 40:2011/BTNMT column B)"


@pytest.mark.parametrize("factor, column, kq, kf, expected", [
    ("w01012", "B", 1.0, 1.2, 100 * 1.0 * 1.2),   # TSS B: 120 mg/L (F ≤ 50)
    ("w21003", "A", 0.6, 0.9, 5 * 0.6 * 0.9),     # NH4+ A: 2.7 mg/L (small lake, F > 5000)
    ("w01018", "A", 1.3, 1.0, 75 * 1.3 * 1.0),    # COD A, coastal (other): 97.5 mg/L
])
def test_more_wastewater_examples(factor, column, kq, kf, expected):
    assert cmax(qcvn_limit(W40, column, factor), kq=kq, kf=kf).upper == pytest.approx(expected)


@pytest.mark.parametrize("parameter, upper, lower", [("pH", 9, 5.5), ("Temperature", 40, None),
                                                      ("Coliform", 5000, None)])
def test_no_k_factors_for_ph_temperature_coliform(parameter, upper, lower):
    b = cmax(qcvn_limit(W40, "B", parameter), kq=0.9, kf=1.2)
    assert (b.upper, b.lower) == (upper, lower)
    assert "no K coefficients" in b.explanation


def test_so2_emission_worked_example():
    # SO2 column B 500 mg/Nm³, P = 60 000 m³/h (20 000 < P ≤ 100 000 → Kp 0.9), zone 3 (Kv 1.0)
    kp, kv = kp_for_flow(60_000), kv_for_zone(3)
    assert (kp, kv) == (0.9, 1.0)
    assert max_allowed_emission(500, kp, kv) == pytest.approx(500 * 0.9 * 1.0) == pytest.approx(450)
    # dust 200 × Kp 0.8 (P > 100 000) × Kv 0.6 (zone 1) = 96 mg/Nm³
    b = cmax(qcvn_limit(G19, "B", "a34013"), kp=kp_for_flow(150_000), kv=kv_for_zone(1))
    assert b.upper == pytest.approx(200 * 0.8 * 0.6) == pytest.approx(96.0)
    assert b.explanation.startswith("Total dust: 200 × Kp 0.8 × Kv 0.6 = 96 mg/Nm3")


def test_column_b_values_of_the_reference():
    b19 = {lim.factor: lim.upper for lim in qcvn_limits(G19, "B")}
    assert b19 == {"a34013": 200, "a21026": 500, "a21002": 850, "a21005": 1000}
    b40 = {lim.parameter: (lim.lower, lim.upper) for lim in qcvn_limits(W40, "B")}
    assert b40["COD"] == (None, 150) and b40["BOD5"] == (None, 50) and b40["TSS"] == (None, 100)
    assert b40["NH4+-N"] == (None, 10) and b40["TN"] == (None, 40) and b40["TP"] == (None, 6)
    assert b40["pH"] == (5.5, 9)
    assert all(lim.tag.startswith("R") for lim in load_qcvn_seed().limits)


@pytest.mark.parametrize("flow, k", [(0, 1.2), (50, 1.2), (50.01, 1.1), (500, 1.1), (501, 1.0), (5000, 1.0),
                                     (5000.5, 0.9)])
def test_kf_boundaries_inclusive_upper(flow, k):
    assert kf_for_flow(flow) == k


def test_k_tables_are_vectorised_and_complete():
    assert kf_for_flow(np.array([10, 100, 1000, 10000])).tolist() == [1.2, 1.1, 1.0, 0.9]
    assert kq_for_receiving_water("river", np.array([50, 200, 500, 501])).tolist() == [0.9, 1.0, 1.1, 1.2]
    assert kp_for_flow(np.array([20_000, 20_001, 100_000, 100_001])).tolist() == [1.0, 0.9, 0.9, 0.8]
    assert [kv_for_zone(z) for z in range(1, 6)] == [0.6, 0.8, 1.0, 1.2, 1.4]
    assert kq_for_receiving_water("lake", 5e6) == 0.6 and kq_for_receiving_water("lake", 2e8) == 1.0
    assert kq_for_receiving_water("river") == 0.9 and kq_for_receiving_water("lake") == 0.6  # no data
    assert kq_for_receiving_water("coastal_protected") == 1.0
    assert kq_for_receiving_water("coastal_other") == 1.3
    assert max_allowed_wastewater(np.array([150.0, 100.0]), 0.9, 1.1).tolist() == pytest.approx([148.5, 99.0])


@pytest.mark.parametrize("call", [lambda: kf_for_flow(-1), lambda: kp_for_flow(float("nan")),
                                  lambda: kv_for_zone(6), lambda: kq_for_receiving_water("sea", 1),
                                  lambda: cmax(qcvn_limit(W40, "B", "COD")),
                                  lambda: qcvn_limits(W40, "C"), lambda: qcvn_standard("QCVN 99:2099")])
def test_errors_say_what_is_wrong(call):
    with pytest.raises(QcvnError):
        call()


def test_successor_standards_declared_without_values():
    s40, s19 = qcvn_standard("QCVN 40:2025/BTNMT"), qcvn_standard("QCVN 19:2024/BTNMT")
    assert s40.columns == ("A", "B", "C") and s40.k_factors == ()
    assert s19.columns == ("A", "B", "C")
    with pytest.raises(QcvnError, match="no seeded value"):
        qcvn_limit("QCVN 40:2025/BTNMT", "A", "COD")


def test_reference_conditions_per_standard():
    assert qcvn_standard(G19).reference_temperature_c == 25
    assert qcvn_standard(G19).reference_o2 is None
    assert qcvn_standard("QCVN 22:2009/BTNMT").reference_o2 == {"coal": 6, "oil": 3, "gas": 3, "gas_turbine": 15}
    # 100 mg/m³ at 0 °C is 100 × 273.15 / 298.15 = 91.615 mg/m³ at 25 °C
    assert convert_reference_temperature(100.0, 0, 25) == pytest.approx(100 * 273.15 / 298.15)
    assert convert_reference_temperature(convert_reference_temperature(42.0, 0, 25), 25, 0) == pytest.approx(42.0)
    # coal at 6 % reference: 300 × (21 − 6) / (21 − 9) = 375
    assert float(correct_o2(300.0, 9.0, 6.0)) == pytest.approx(375.0)
    assert float(correct_o2(300.0, 9.0, None)) == 300.0
