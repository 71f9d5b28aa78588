"""The park stations as the gateways see them: ``park_stations`` read into the directory the HJ 212 gateway and
the MQTT subscriber look MNs up in (the core's :class:`~ecosentry.pipeline.directory.PointDirectory`, with this
loader; ``point_id`` is ``park_stations.id``, the time zone that of the station's park)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.store.registry import PointInfo
from ecosentry.subsystems.park.schema import park_sites, park_stations

__all__ = ["load_stations", "station_directory", "MEDIUM"]

#: What :class:`PointInfo` calls the medium of a park station (nothing reads it).
MEDIUM = "park"


def load_stations(engine: Engine) -> dict[str, PointInfo]:
    """MN → the station (a station without a password never matches an HJ 212 frame's ``PW``)."""
    st, si = park_stations.c, park_sites.c
    with engine.connect() as conn:
        rows = conn.execute(select(st.id, st.mn, st.password, st.active, si.tz)
                            .select_from(park_stations.outerjoin(park_sites, si.park_code == st.park_code))).all()
    return {r.mn: PointInfo(point_id=r.id, mn=r.mn, password=r.password, tz=r.tz or "Asia/Shanghai",
                            active=bool(r.active), medium=MEDIUM, min_interval=60) for r in rows}


def station_directory(engine: Engine, min_reload_s: float = 5.0) -> PointDirectory:
    """A directory of the park stations: an unknown MN reloads it (a station registered while the service runs is
    accepted without a restart), never waiting on the database in the event loop."""
    return PointDirectory(engine, min_reload_s, loader=lambda: load_stations(engine))
