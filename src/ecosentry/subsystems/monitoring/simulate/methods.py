"""Master data the simulators share: the method detection limits of the national standard methods."""

from __future__ import annotations

__all__ = ["DETECTION_LIMITS"]

#: Method detection limits of the pollutants, in the factor's unit: those of the national standard methods of
#: each pollutant (an analyser's own limit is on its certificate; these are the registered values a regulator
#: most often sees). Flue gas [mg/m³]: SO2 3 (HJ 57-2017, controlled-potential electrolysis; HJ 629-2011 NDIR
#: gives 3 too), NOx 3 (as NO, HJ 692-2014 NDIR and HJ 693-2014 electrolysis), low-concentration particulate
#: 1.0 (HJ 836-2017 gravimetric, 1 m³ sampled). Wastewater [mg/L]: COD 4 (HJ 828-2017 dichromate), NH3-N 0.025
#: (HJ 535-2009 Nessler's reagent), TP 0.01 (GB 11893-89 ammonium molybdate), TN 0.05 (HJ 636-2012 alkaline
#: persulfate UV). The honest set writes them as its ranges file's ``detection_limit`` column (its resolution,
#: ``honest.DECIMALS``, is no coarser than any of them); the demo fleet registers them with its analysers.
DETECTION_LIMITS = {"a21026": 3.0, "a21002": 3.0, "a34013": 1.0,
                    "w01018": 4.0, "w21003": 0.025, "w21011": 0.01, "w21001": 0.05}
