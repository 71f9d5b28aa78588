"""A subsystem's own HJ 212 gateway as a service part: its devices' directory (shared with its other parts, read at
start), the core gateway's limits (``hj212_max_frame`` …) and host, a port of the subsystem's; a taken port is a
:class:`~ecosentry.contracts.subsystem.PortInUse` named ``hj212`` (the CLI's sentence names the option moving it)."""

from __future__ import annotations

import abc
import errno

from ecosentry.contracts.subsystem import PortInUse, ServiceContext

__all__ = ["HJ212PortPart"]


class HJ212PortPart(abc.ABC):
    """A subclass sets ``name`` and ``gateway_class`` (an :class:`ecosentry.gateways.hj212_tcp.HJ212Gateway`) and
    implements :meth:`listen_port`; ``shared`` has an ``async get()`` returning the directory."""

    name = "hj212"
    gateway_class: type

    def __init__(self, ctx: ServiceContext, shared) -> None:
        self.ctx, self.shared = ctx, shared
        self.directory = None
        self.gateway = None

    @abc.abstractmethod
    def listen_port(self) -> int:
        """The port to listen on (0: a free one)."""

    async def start(self) -> None:
        st = self.ctx.settings
        self.directory = await self.shared.get()
        port = self.listen_port()
        gw = self.gateway_class(self.directory, self.ctx.spool, max_frame=st.hj212_max_frame,
                                idle_timeout=st.hj212_idle_timeout, frame_deadline=st.hj212_frame_deadline,
                                max_per_peer=st.hj212_max_connections_per_peer,
                                max_connections=st.hj212_max_connections, max_garbage=st.hj212_garbage_chunk,
                                log_every=st.hj212_log_every)
        try:
            await gw.start(st.hj212_host, port, reuse_port=st.hj212_reuse_port)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                # "hj212": the CLI's sentence for a taken HJ 212 port names this port and the option moving the
                # core's, which moves this one too while the subsystem's own port is unset
                raise PortInUse("hj212", st.hj212_host, port) from exc
            raise
        self.gateway = gw

    async def close(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()

    @property
    def port(self) -> int:
        return self.gateway.port if self.gateway else 0
