"""What the HTTP push needs to authenticate a device and decide at the gate, in memory: the gate devices (by
the hash of their token), their gates and enterprises, each enterprise's grade and region chain, the vehicle
registers and the heavy-pollution alerts. Read from the database in a thread (:meth:`GateDirectory.load`), then
again every ``refresh_every`` seconds in a daemon thread: the event loop never waits on the database; a refresh
that fails keeps serving what was known (counted, logged).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select

from ecosentry.metrics import counters
from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.rules.decision import LEVELS, Vehicle

log = logging.getLogger(__name__)

__all__ = ["DeviceInfo", "GateDirectory", "Snapshot", "token_hash"]


def token_hash(token: str) -> str:
    """The sha256 (hex) a device's bearer token is kept as. The tokens are random (≥ 128 bits, ``ecosentry``
    makes them with ``secrets``), so one fast hash suffices, as for API keys; the token is never stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: int
    code: str
    gate_id: int
    gate_code: str
    enterprise_id: int
    active: bool


@dataclass(slots=True)
class Snapshot:
    devices: dict[str, DeviceInfo] = field(default_factory=dict)  # token hash → device
    grades: dict[int, str] = field(default_factory=dict)          # enterprise id → grade
    regions: dict[int, tuple[str, ...]] = field(default_factory=dict)  # enterprise id → its region and ancestors
    vehicles: dict[tuple[int, str], tuple[int, Vehicle]] = field(default_factory=dict)  # (enterprise, plate) →
    alerts: list[tuple[str, str, datetime, datetime | None]] = field(default_factory=list)  # region, level, period
    cameras: dict[int, dict[str, int]] = field(default_factory=dict)  # gate id → camera code → camera id


class GateDirectory:
    """The push's view of the registry; :meth:`load` once in a thread, then :meth:`refresh_in_background`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.snapshot = Snapshot()
        self._refreshing = threading.Lock()

    def load(self) -> None:
        self.snapshot = read_snapshot(self.engine)

    def refresh_in_background(self) -> bool:
        if not self._refreshing.acquire(blocking=False):
            return False
        threading.Thread(target=self._refresh, name="gates-directory-refresh", daemon=True).start()
        return True

    def _refresh(self) -> None:
        try:
            self.load()
            counters.inc("gates.directory.refreshes")
        except Exception:
            counters.inc("gates.directory.refresh_failures")
            log.exception("gate directory refresh failed; serving the devices and registers known")
        finally:
            self._refreshing.release()

    # ----------------------------------------------------------------------------------------- look-ups

    def device(self, token: str) -> DeviceInfo | None:
        return self.snapshot.devices.get(token_hash(token))

    def grade(self, enterprise_id: int) -> str | None:
        return self.snapshot.grades.get(enterprise_id)

    def vehicle(self, enterprise_id: int, plate: str) -> tuple[int, Vehicle] | None:
        return self.snapshot.vehicles.get((enterprise_id, plate))

    def cameras(self, gate_id: int) -> dict[str, int]:
        """The gate's cameras: code → id."""
        return self.snapshot.cameras.get(gate_id, {})

    def level_at(self, enterprise_id: int, at: datetime) -> str | None:
        """The highest alert level in force at ``at`` over the enterprise's region or any region above it."""
        chain = self.snapshot.regions.get(enterprise_id, ())
        best = -1
        for region, level, start, end in self.snapshot.alerts:
            if region in chain and start <= at and (end is None or at < end) and level in LEVELS:
                best = max(best, LEVELS.index(level))
        return LEVELS[best] if best >= 0 else None


def read_snapshot(engine: Engine) -> Snapshot:
    """Everything the push decides with, in one read."""
    snap = Snapshot()
    d, g, e, v = gs.gates_devices.c, gs.gates_gates.c, gs.gates_enterprises.c, gs.gates_vehicles.c
    a, r = s.pollution_alerts.c, s.regions.c
    with engine.connect() as conn:
        for row in conn.execute(select(d.id, d.code, d.token_hash, d.active, d.gate_id, g.code.label("gate_code"),
                                       g.enterprise_id).join(gs.gates_gates, g.id == d.gate_id)):
            snap.devices[row.token_hash] = DeviceInfo(row.id, row.code, row.gate_id, row.gate_code,
                                                      row.enterprise_id, bool(row.active))
        c = gs.gates_cameras.c
        for row in conn.execute(select(c.id, c.code, c.gate_id).where(c.gate_id.is_not(None))):
            snap.cameras.setdefault(row.gate_id, {})[row.code] = row.id
        snap.grades = {row.enterprise_id: row.grade for row in conn.execute(select(e.enterprise_id, e.grade))}
        parents = {row.code: row.parent_code for row in conn.execute(select(r.code, r.parent_code))}
        for row in conn.execute(select(s.enterprises.c.id, s.enterprises.c.region_code)):
            chain, code = [], row.region_code
            while code and code not in chain:
                chain.append(code)
                code = parents.get(code)
            snap.regions[row.id] = tuple(chain)
        for row in conn.execute(select(v.id, v.enterprise_id, v.plate, v.plate_colour, v.vin, v.emission_stage,
                                       v.fuel, v.registration_date)):
            snap.vehicles[(row.enterprise_id, row.plate)] = (row.id, Vehicle(
                row.plate, row.plate_colour, row.vin or "", row.emission_stage, row.fuel,
                row.registration_date or ""))
        # alerts of the last week on (a camera that was offline pushes its passages late); a lifted one ended then
        since = datetime.now().astimezone() - timedelta(days=7)
        for row in conn.execute(select(a.region_code, a.level, a.starts_at, a.ends_at, a.lifted_at)
                                .where(or_(a.ends_at.is_(None), a.ends_at > since))):
            end = row.lifted_at if row.lifted_at is not None and (row.ends_at is None or row.lifted_at < row.ends_at) \
                else row.ends_at
            snap.alerts.append((row.region_code, row.level, row.starts_at, end))
    return snap
