"""The gates subsystem's running parts (:attr:`ecosentry.contracts.subsystem.Subsystem.services`): the HTTP push
of the gate devices (``gates.push.enabled``, with the service's ``gateway`` part), the retention job
(``gates.retention.every_s`` > 0), the upload sender (``gates.upload.url`` set) and the checks over the stored
tables (``service.gates_checks``, :mod:`.checks_job`, ``gates.job.enabled``, with the service's ``alarms`` part)."""

from __future__ import annotations

from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.contracts.task_part import TaskPart
from ecosentry.subsystems.gates.checks_job import CheckJob
from ecosentry.subsystems.gates.gateways.push import GatePushPart
from ecosentry.subsystems.gates.pipeline.retention import RetentionJob
from ecosentry.subsystems.gates.pipeline.sink import picture_store
from ecosentry.subsystems.gates.pipeline.upload import UploadSender

__all__ = ["parts", "CheckPart"]


class CheckPart(TaskPart):
    """The checks job as a service part (``service.gates_checks`` is the :class:`CheckJob`)."""

    name = "gates_checks"

    def __init__(self, ctx: ServiceContext, *, run: bool = True) -> None:
        super().__init__(self.name, CheckJob(ctx.engine, ctx.settings.gates, pictures=picture_store(ctx.settings),
                                             dispatcher=ctx.dispatcher,
                                             locale=getattr(ctx.settings, "default_locale", "zh")), run=run)


def parts(ctx: ServiceContext) -> list:
    st = ctx.settings.gates
    out: list = [CheckPart(ctx, run="alarms" in ctx.enabled and st.job.enabled)]
    if "gateway" in ctx.enabled and st.push.enabled:
        out.append(GatePushPart(ctx))
    if st.retention.every_s > 0:
        out.append(TaskPart("gates_retention", RetentionJob(ctx.engine, st.retention, picture_store(ctx.settings))))
    if st.upload.url:
        out.append(TaskPart("gates_upload", UploadSender(ctx.engine, st.upload)))
    return out
