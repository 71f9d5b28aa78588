"""The substance table: molar mass and the published thresholds of each characteristic pollutant, as data.

AEGL values are the 60-minute AEGL-1/2/3 of the US EPA's table of AEGL values (Final/Interim AEGLs, EPA Office
of Pollution Prevention and Toxics; National Research Council, *Acute Exposure Guideline Levels for Selected
Airborne Chemicals*, volumes 1–), in ppm; IDLH from NIOSH's *Documentation for IDLH Concentrations* (1994 revised
values); occupational limits (MAC, or PC-STEL where no MAC) from GBZ 2.1-2019. Every number here was entered
from memory of those tables and is tagged **[R]** (``shared/reference/subsystems.md`` §2.4): each is a setting
(``ECOSENTRY_PARK__SUBSTANCES``) to be checked against the official table before use (``docs/park.md``).
``None`` = not recommended / not set (phosgene has no AEGL-1).

ppm → mg/m³ at 25 °C and 101.325 kPa: mg/m³ = ppm × M / 24.45 (M in g/mol).
"""

from __future__ import annotations

from pydantic import BaseModel

from ecosentry.said import N_

__all__ = ["Substance", "SUBSTANCES", "ppm_to_mg_m3", "LEVEL_KEYS", "substance_table"]

#: The threshold names the CLI and the zones know, in increasing severity.
LEVEL_KEYS = ("AEGL1", "AEGL2", "AEGL3", "IDLH")
MOLAR_VOLUME_25C = 24.45  #: [L/mol] at 25 °C, 101.325 kPa


def ppm_to_mg_m3(ppm: float, molar_mass: float) -> float:
    """Volume mixing ratio [ppm] → mass concentration [mg/m³] at 25 °C, 101.325 kPa."""
    return ppm * molar_mass / MOLAR_VOLUME_25C


class Substance(BaseModel):
    """One characteristic pollutant (特征因子)."""

    name: str
    molar_mass: float  #: [g/mol]
    aegl1_ppm: float | None = None  #: 60 min [R]
    aegl2_ppm: float | None = None  #: 60 min [R]
    aegl3_ppm: float | None = None  #: 60 min [R]
    idlh_ppm: float | None = None  #: [R]
    occupational_mg_m3: float | None = None  #: GBZ 2.1 MAC or PC-STEL [R]

    def threshold_mg_m3(self, key: str) -> float | None:
        """A threshold by :data:`LEVEL_KEYS` name, in mg/m³ (None when not set)."""
        ppm = {"AEGL1": self.aegl1_ppm, "AEGL2": self.aegl2_ppm, "AEGL3": self.aegl3_ppm,
               "IDLH": self.idlh_ppm}[key.upper().replace("-", "")]
        return None if ppm is None else ppm_to_mg_m3(ppm, self.molar_mass)


#: code → substance; all thresholds [R] (module docstring).
SUBSTANCES: dict[str, Substance] = {
    "Cl2": Substance(name=N_("chlorine"), molar_mass=70.90, aegl1_ppm=0.50, aegl2_ppm=2.0, aegl3_ppm=20.0,
                     idlh_ppm=10.0, occupational_mg_m3=1.0),
    "NH3": Substance(name=N_("ammonia"), molar_mass=17.03, aegl1_ppm=30.0, aegl2_ppm=160.0, aegl3_ppm=1100.0,
                     idlh_ppm=300.0, occupational_mg_m3=30.0),
    "H2S": Substance(name=N_("hydrogen sulfide"), molar_mass=34.08, aegl1_ppm=0.51, aegl2_ppm=27.0, aegl3_ppm=50.0,
                     idlh_ppm=100.0, occupational_mg_m3=10.0),
    "HCl": Substance(name=N_("hydrogen chloride"), molar_mass=36.46, aegl1_ppm=1.8, aegl2_ppm=22.0, aegl3_ppm=100.0,
                     idlh_ppm=50.0, occupational_mg_m3=7.5),
    "HCN": Substance(name=N_("hydrogen cyanide"), molar_mass=27.03, aegl1_ppm=2.0, aegl2_ppm=7.1, aegl3_ppm=15.0,
                     idlh_ppm=50.0, occupational_mg_m3=1.0),
    "COCl2": Substance(name=N_("phosgene"), molar_mass=98.92, aegl1_ppm=None, aegl2_ppm=0.30, aegl3_ppm=0.75,
                       idlh_ppm=2.0, occupational_mg_m3=0.5),
    "C6H6": Substance(name=N_("benzene"), molar_mass=78.11, aegl1_ppm=52.0, aegl2_ppm=800.0, aegl3_ppm=4000.0,
                      idlh_ppm=500.0, occupational_mg_m3=10.0),
}


def substance_table(overrides: dict[str, Substance] | None = None) -> dict[str, Substance]:
    """:data:`SUBSTANCES` with a deployment's entries (settings) over it."""
    return {**SUBSTANCES, **(overrides or {})}
