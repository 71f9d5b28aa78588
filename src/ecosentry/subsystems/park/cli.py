"""The subsystem's commands, added by :func:`register`: ``ecosentry park plume`` and ``ecosentry park traceback``
(the offline tools of issue 17 item 9 for emergency staff and auditors, one incident a call) and ``ecosentry bench
park`` (:mod:`.bench`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # the command line is built without the subsystem's modules; a command imports them
    from ecosentry.subsystems.park.settings import ParkSettings

from ecosentry.said import N_
from ecosentry.terminal.messages import fail as _fail

app = typer.Typer(help="Chemical-park toxic-gas early warning (化工园区有毒有害气体预警): dispersion and traceback.",
                  no_args_is_help=True)


def _settings() -> ParkSettings:
    """The deployment's section ``park`` when the subsystem is installed, else the documented defaults."""
    from ecosentry.subsystems.park.settings import ParkSettings

    from ecosentry.settings import get_settings

    return getattr(get_settings(), "park", None) or ParkSettings()


def _point(text: str) -> tuple[float, float, float]:
    import numpy as np

    parts = text.split(",")
    try:
        x, y, z = (float(p) for p in parts)
    except ValueError:
        _fail(N_("--at %(text)r: give x,y,z in metres (x downwind, y crosswind, z height)"), text=text)
    if not all(np.isfinite(v) for v in (x, y, z)) or z < 0:
        _fail(N_("--at %(text)r: x,y,z must be finite and z ≥ 0"), text=text)
    return x, y, z


@app.command("plume")
def plume(rate: float = typer.Option(..., help="release rate G [g/s]"),
          wind: float = typer.Option(..., help="wind speed U at release height [m/s]"),
          stability: str = typer.Option(..., help="Pasquill–Gifford class A..F"),
          height: float = typer.Option(0.0, help="release height H [m]"),
          release_s: float | None = typer.Option(None, "--release-s", help="release duration T [s]: the peak over "
                                                 "the release's passage (Gaussian puffs); steady plume without it"),
          mixing_height: float | None = typer.Option(None, "--mixing-height", help="capping inversion [m]"),
          at: list[str] = typer.Option([], "--at", help="x,y,z [m]: x downwind, y crosswind, z height; repeatable"),
          zones: str | None = typer.Option(None, help="AEGL1,AEGL2,AEGL3 (or IDLH): the downwind extent of each"),
          substance: str | None = typer.Option(None, help="substance code for --zones (Cl2, NH3, H2S, HCl, HCN, "
                                                          "COCl2, C6H6)")) -> None:
    """Concentrations [mg/m³] of one release: one CSV line ``x,y,z,concentration_mg_m3`` per --at point; with
    --zones and --substance, one line ``zone,threshold_mg_m3,extent_m,half_width_m`` per zone (exit 2 on bad
    input)."""
    import numpy as np
    from ecosentry.subsystems.park.model.sigmas import normalise_class
    from ecosentry.subsystems.park.model.zones import Release, threat_zones
    from ecosentry.subsystems.park.substances import LEVEL_KEYS, substance_table

    try:
        cls = "".join(normalise_class(stability))
    except ValueError as exc:
        _fail(N_("--stability: %(error)s"), error=str(exc))
    if len(cls) != 1:
        _fail(N_("--stability: give one class A..F"))
    for name, value, minimum in (("--rate", rate, 0.0), ("--height", height, 0.0)):
        if not (np.isfinite(value) and value >= minimum):
            _fail(N_("%(option)s must be a number ≥ %(minimum)s"), option=name, minimum=f"{minimum:g}")
    if not (np.isfinite(wind) and wind > 0):
        _fail(N_("--wind must be > 0 m/s"))
    if release_s is not None and not (np.isfinite(release_s) and release_s > 0):
        _fail(N_("--release-s must be > 0 s"))
    if mixing_height is not None and not (np.isfinite(mixing_height) and mixing_height > height):
        _fail(N_("--mixing-height must be above the release height"))
    if not at and not zones:
        _fail(N_("give --at points or --zones"))
    points = [_point(a) for a in at]
    settings = _settings()
    rel = Release(rate, wind, cls, height, release_s, mixing_height)
    if points:
        x, y, z = (np.array(c) for c in zip(*points))
        for (px, py, pz), c in zip(points, rel.at(x, y, z)):
            typer.echo(f"{px:g},{py:g},{pz:g},{c:.6g}")
    if zones:
        table = substance_table(settings.substances)
        if not substance or substance not in table:
            _fail(N_("--zones needs --substance, one of %(known)s"), known=", ".join(table))
        thresholds = {}
        for key in (k.strip().upper().replace("-", "") for k in zones.split(",") if k.strip()):
            if key not in LEVEL_KEYS:
                _fail(N_("--zones: %(key)r is not one of %(known)s"), key=key, known=", ".join(LEVEL_KEYS))
            value = table[substance].threshold_mg_m3(key)
            if value is None:
                _fail(N_("--zones: %(substance)s has no %(key)s value (not recommended or not set)"), substance=substance,
                      key=key)
            thresholds[key] = value
        for zone in threat_zones(rel, thresholds, z=settings.dispersion.receptor_height_m,
                                 max_distance=settings.dispersion.max_distance_m):
            typer.echo(f"{zone.name},{zone.threshold:.6g},{zone.extent:.1f},{zone.half_width:.1f}")


@app.command("traceback")
def traceback(stations: Path = typer.Option(..., help="S.csv: station,x,y (metres east, north of the origin)"),
              readings: Path = typer.Option(..., help="R.csv: station,time,factor,value (mg/m³, ISO 8601 + offset)"),
              met: Path = typer.Option(..., help="M.csv: time,wind_speed,wind_dir_deg,stability (direction FROM, "
                                                  "clockwise from north)"),
              sources: Path = typer.Option(..., help="Q.csv: source,enterprise,x,y,substances (';'-separated)"),
              output: Path = typer.Option(..., help="ranking.json: {\"candidates\": [{source, score, reason}]}"),
              lang: str = typer.Option("en", help="language of the reasons: en, zh or vi")) -> None:
    """Rank the candidate sources of a release by the upwind sector and a plume fit of the release rate to the
    readings over the wind history, best first, each with its reason (exit 2 on bad input, naming the file, the
    line and the field)."""
    from ecosentry.subsystems.park.i18n import gettext_for
    from ecosentry.subsystems.park.offline import InputError, load_met, load_readings, load_sources, load_stations
    from ecosentry.subsystems.park.substances import substance_table
    from ecosentry.subsystems.park.tracing import rank_sources
    from ecosentry.terminal.messages import error_line, say

    if lang not in ("en", "zh", "vi"):
        _fail(N_("--lang must be en, zh or vi"))
    settings = _settings()
    try:
        st = load_stations(stations)
        cands = load_sources(sources)
        obs = load_readings(readings, st)
        wind = load_met(met)
    except InputError as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(2) from None
    table = substance_table(settings.substances)
    ranked = rank_sources(obs, wind, cands, settings.traceback,
                          names=lambda code: table[code].name if code in table else code)
    gettext = gettext_for(lang)
    with open(output, "w", encoding="utf-8") as out:
        json.dump({"candidates": [r.as_dict(gettext) for r in ranked]}, out, ensure_ascii=False, indent=1)
    typer.echo(say(N_("%(count)s candidates ranked in %(output)s"), count=len(ranked), output=output), err=True)


def bench_park(seed: int = typer.Option(17, help="seed of the simulated parks and releases"),
               releases: int = typer.Option(200, min=10, help="simulated releases some station saw"),
               as_json: bool = typer.Option(False, "--json", help="print the result as JSON")) -> None:
    """One plume with AEGL zones on a 200 × 200 grid, traceback top-1/top-3 accuracy over random releases with
    noisy wind (and the upwind-sector baseline), and the warning's delay."""
    from ecosentry.subsystems.park.bench import run_bench

    res = run_bench(seed, releases)
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    from ecosentry.terminal.messages import say

    tb, w = res["traceback"], res["warning"]
    typer.echo(say(N_("plume + AEGL zones, 200 × 200 grid: %(ms)s ms"),
                   ms=f"{res['plume_with_zones_200x200_s'] * 1000:.1f}"))
    typer.echo(say(N_("traceback over %(releases)s releases (wind direction noise %(noise)s°, %(unseen)s unseen "
                      "skipped): top 1 %(top1)s, top 3 %(top3)s; straight plume (first method): top 1 %(plume1)s, "
                      "top 3 %(plume3)s; upwind sector: top 1 %(base1)s, top 3 %(base3)s; %(ms)s ms each"),
                   releases=tb["releases"], noise=tb["direction_noise_deg"], unseen=tb["unseen_skipped"],
                   top1=f"{tb['top1']:.1%}", top3=f"{tb['top3']:.1%}", plume1=f"{tb['plume_top1']:.1%}",
                   plume3=f"{tb['plume_top3']:.1%}", base1=f"{tb['baseline_top1']:.1%}",
                   base3=f"{tb['baseline_top3']:.1%}", ms=tb["traceback_ms"]))
    typer.echo(say(N_("warning: raised %(readings)s reading(s) after the first at level I; one station-day evaluated "
                      "in %(ms)s ms"), readings=w["readings_to_level_i"], ms=w["evaluate_day_ms"]))


def register(app_: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``park`` to the core's ``bench`` group and the ``park`` group."""
    groups["bench"].command("park")(bench_park)
    app_.add_typer(app, name="park")
