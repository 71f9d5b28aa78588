"""The demo's gates registry (issue 16 item 9): gates for the first enterprises of the demo fleet (graded B, A
and C), a main gate and a side gate each with a plate camera and its device, and a vehicle register of mixed
emission stages (国三 … 国六, new energy); the events the simulator sends, with the staged violations:

* a registered 国四 truck entering a grade B enterprise during the orange alert (the gate refuses it:
  ``stage_below``; ``VEH-ALERT-STAGE``);
* a passage whose plate was not read (mud over the plate): no ledger row is made, the guard must enter it — a
  passage missing from the ledger until then;
* an exit at a side gate without an entry (the side-gate check's case).

Pure: plates, VINs and tokens come from a seeded generator; nothing here touches the database or the clock."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from ecosentry.subsystems.gates.rules.vin import check_digit

__all__ = ["GRADES", "DemoVehicle", "DemoGate", "DemoEnterprise", "plan", "registry"]

#: Grades given to the demo enterprises, in order.
GRADES = ("B", "A", "C")
#: Emission stages of each enterprise's trucks (the 国四 first: the staged violation's truck).
STAGES = ("4", "5", "5", "6", "6", "6", "3", "d")
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True)
class DemoVehicle:
    plate: str
    colour: str
    stage: str
    fuel: str
    vin: str


@dataclass(frozen=True)
class DemoGate:
    code: str
    name: str
    side: bool
    device: str
    token: str


@dataclass(frozen=True)
class DemoEnterprise:
    enterprise_id: int
    credit_code: str
    name: str
    grade: str
    gates: tuple[DemoGate, ...]
    vehicles: tuple[DemoVehicle, ...]


def _vin(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    body = "LZZ" + "".join(rng.choice(chars) for _ in range(14))
    return body[:8] + check_digit(body) + body[9:]


def plan(enterprises: list[dict], seed: str) -> list[DemoEnterprise]:
    """The demo gates of ``enterprises`` (``id``, ``credit_code``, ``name``), one grade each; ``seed`` makes the
    devices' tokens (a fresh one per demo data folder)."""
    out = []
    for i, (e, grade) in enumerate(zip(enterprises, GRADES)):
        rng = random.Random(f"gates-demo-{e['credit_code']}")
        office = "ABCDEF"[i]
        vehicles = []
        for j, stage in enumerate(STAGES):
            if stage == "d":
                plate, colour, fuel = f"苏{office}D{rng.randrange(10000, 99999)}", "green", "electric"
            else:
                plate = f"苏{office}{rng.choice(LETTERS)}{rng.randrange(1000, 9999)}"
                colour, fuel = "yellow", "diesel" if j % 3 else "natural_gas"
            vehicles.append(DemoVehicle(plate, colour, stage, fuel, _vin(rng)))
        gates = tuple(DemoGate(code, name, side, f"GD-{e['id']:04d}-{code}",
                               hashlib.sha256(f"{seed}/{e['credit_code']}/{code}".encode()).hexdigest()[:32])
                      for code, name, side in (("G1", "东门", False), ("G2", "西侧门", True)))
        out.append(DemoEnterprise(e["id"], e["credit_code"], e["name"], grade, gates, tuple(vehicles)))
    return out


def registry(ents: list[DemoEnterprise]) -> dict:
    """The ``gates:`` document of the demo enterprises (``store.registry.import_gates``)."""
    return {"gates": {"enterprises": [{
        "credit_code": e.credit_code, "grade": e.grade, "small_volume_exempt": False,
        "gates": [{"code": g.code, "name": g.name, "barrier": not g.side, "side": g.side,
                   "cameras": [{"code": f"CAM-{g.code}", "kind": "plate"}],
                   "devices": [{"code": g.device, "token": g.token}]} for g in e.gates],
        "vehicles": [{"plate": v.plate, "plate_colour": v.colour, "vin": v.vin, "fuel": v.fuel,
                      "emission_stage": v.stage, "owner": "苏州顺达运输有限公司"} for v in e.vehicles],
    } for e in ents]}}
