"""The gates subsystem's running parts (:attr:`ecosentry.contracts.subsystem.Subsystem.services`): the HTTP push
of the gate devices (``gates.push.enabled``), with the service's ``gateway`` part."""

from __future__ import annotations

from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.subsystems.gates.gateways.push import GatePushPart

__all__ = ["parts"]


def parts(ctx: ServiceContext) -> list:
    if "gateway" not in ctx.enabled or not ctx.settings.gates.push.enabled:
        return []
    return [GatePushPart(ctx)]
