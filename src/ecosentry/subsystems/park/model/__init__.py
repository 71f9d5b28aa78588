"""The dispersion model, pure and vectorised over points: Pasquill–Gifford stability classes from met data
(:mod:`.stability`), Briggs's open-country σy/σz (:mod:`.sigmas`), the steady Gaussian plume and the Gaussian puff
of a release of finite duration (:mod:`.plume`), the wind frame (:mod:`.frame`) and the threat zones
(:mod:`.zones`). Inputs in g/s, m/s, m; concentrations in mg/m³ (``docs/park.md``)."""
