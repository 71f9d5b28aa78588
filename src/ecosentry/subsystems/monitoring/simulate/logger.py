"""A virtual HJ 212-2017 data logger over real TCP.

It sends real-time (CN 2011), minute (2051), hourly (2061) and daily (2031) packets with Flag A set
(reply wanted), keeps every packet until the platform's 9014 reply arrives, re-sends packets not
acknowledged within ``overtime`` seconds (HJ 212-2017 §6.6: OverTime / ReCount), and after a reconnect
re-sends everything still unacknowledged, oldest first.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ecosentry.protocols.hj212 import FrameReader, HJ212Error, build_frame, parse_frame
from ecosentry.subsystems.monitoring.simulate.profiles import PointProfile

log = logging.getLogger(__name__)

FLAG_2017_REPLY = 0b101  # version 000001 (HJ 212-2017) + A


@dataclass
class LoggerStats:
    sent: int = 0
    acked: int = 0
    resent: int = 0
    reconnects: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass
class LoggerConfig:
    mn: str
    password: str
    st: str
    medium: str  # gas | water
    factors: list[str]
    min_interval: int = 1  # [min]
    rtd_interval: int = 30  # [s]
    tz: str = "Asia/Shanghai"


class VirtualLogger:
    def __init__(self, cfg: LoggerConfig, profile: PointProfile, host: str, port: int, *,
                 overtime: float = 10.0, window: int = 64) -> None:
        self.cfg, self.profile, self.host, self.port = cfg, profile, host, port
        self.overtime = overtime
        self.window = asyncio.Semaphore(window)
        self.zone = ZoneInfo(cfg.tz)
        self.unacked: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self.stats = LoggerStats()
        self._writer: asyncio.StreamWriter | None = None
        self._connected = asyncio.Event()
        self._qn_ms = 0
        self._counter = itertools.count()
        self._held: set[str] = set()  # QNs queued while disconnected, never written yet
        #: the logger's own clock reading when its schedule started (its backfill window ends there)
        self.started_at: datetime | None = None

    # ------------------------------------------------------------------ packets

    def _qn(self) -> str:
        """QN = request time yyyyMMddHHmmssSSS, kept strictly increasing per logger (HJ 212-2017 Table 4)."""
        now_ms = int(time.time() * 1000)
        self._qn_ms = max(now_ms, self._qn_ms + 1)
        t = datetime.fromtimestamp(self._qn_ms / 1000, self.zone)
        return t.strftime("%Y%m%d%H%M%S") + f"{self._qn_ms % 1000:03d}"

    def _frame(self, cn: str, cp: list[dict[str, str]]) -> tuple[str, bytes]:
        qn = self._qn()
        return qn, build_frame(qn=qn, st=self.cfg.st, cn=cn, pw=self.cfg.password, mn=self.cfg.mn,
                               flag=FLAG_2017_REPLY, cp=cp)

    def realtime_packet(self, t: datetime) -> tuple[str, bytes]:
        values = self.profile.sample(t)
        corrected = self.profile.sample_zs(t)
        cp = [{"DataTime": _dt(t)}]
        for code in self.cfg.factors:
            if code in values:
                group = {f"{code}-Rtd": _num(values[code])}
                if math.isfinite(corrected.get(code, math.nan)):  # no 折算 where O2 is near 21 %
                    group[f"{code}-ZsRtd"] = _num(corrected[code])
                group[f"{code}-Flag"] = "N"
                cp.append(group)
        return self._frame("2011", cp)

    def interval_packet(self, cn: str, start: datetime, seconds: int) -> tuple[str, bytes]:
        step = 5 if seconds <= 600 else (60 if seconds <= 3600 else 600)
        stats = self.profile.aggregate(start, seconds, step)
        cp = [{"DataTime": _dt(start)}]
        for code in self.cfg.factors:
            st = stats.get(code)
            if st is None:
                continue
            group = {f"{code}-Min": _num(st.min), f"{code}-Avg": _num(st.avg), f"{code}-Max": _num(st.max)}
            if st.cou is not None:
                group[f"{code}-Cou"] = _num(st.cou)
            if st.zs_avg is not None and math.isfinite(st.zs_avg):
                group.update({f"{code}-ZsMin": _num(st.zs_min), f"{code}-ZsAvg": _num(st.zs_avg),
                              f"{code}-ZsMax": _num(st.zs_max)})
            group[f"{code}-Flag"] = "N"
            cp.append(group)
        return self._frame(cn, cp)

    # ------------------------------------------------------------------ wire

    async def send(self, qn: str, frame: bytes) -> None:
        await self.window.acquire()
        self.unacked[qn] = (frame, time.monotonic())
        self.stats.sent += 1
        if self._connected.is_set():
            await self._write(frame)
        else:
            # Disconnected: hold it; the connection loop writes every unacknowledged frame once connected
            # (writing it here as well would send it twice).
            self._held.add(qn)
            await self._connected.wait()

    async def _write(self, frame: bytes) -> None:
        await self._connected.wait()
        try:
            assert self._writer is not None
            self._writer.write(frame)
            await self._writer.drain()
        except (ConnectionError, OSError, AssertionError):
            pass  # kept in unacked; re-sent after reconnect

    async def _connection_loop(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
                continue
            backoff = 0.5
            self._writer = writer
            self._connected.set()
            now = time.monotonic()
            for qn, (frame, _sent) in list(self.unacked.items()):  # (re-)send what was never acknowledged
                if qn in self._held:
                    self._held.discard(qn)  # first transmission, not a re-send
                else:
                    self.stats.resent += 1
                self.unacked[qn] = (frame, now)  # OverTime counts from this transmission
                writer.write(frame)
            framer = FrameReader()
            try:
                while not stop.is_set():
                    data = await reader.read(65536)
                    if not data:
                        break
                    for item in framer.feed(data):
                        if not isinstance(item, HJ212Error):
                            self._on_reply(item)
            except (ConnectionError, OSError):
                pass
            finally:
                self._connected.clear()
                self._writer = None
                writer.close()
            if not stop.is_set():
                self.stats.reconnects += 1
                await asyncio.sleep(backoff)

    def _on_reply(self, raw: bytes) -> None:
        try:
            reply = parse_frame(raw)
        except HJ212Error:
            return
        if reply.cn == "9014" and reply.qn in self.unacked:
            _frame, sent = self.unacked.pop(reply.qn)
            self.stats.acked += 1
            self.stats.latencies.append(time.monotonic() - sent)
            self.window.release()

    async def _resend_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(self.overtime / 2)
            now = time.monotonic()
            for qn, (frame, sent) in list(self.unacked.items()):
                if now - sent > self.overtime and self._connected.is_set():
                    self.unacked[qn] = (frame, now)
                    self.stats.resent += 1
                    await self._write(frame)

    # ------------------------------------------------------------------ schedule

    async def run(self, stop: asyncio.Event, *, backfill_hours: float = 0.0) -> None:
        tasks = [asyncio.create_task(self._connection_loop(stop)), asyncio.create_task(self._resend_loop(stop))]
        # The schedule can wait indefinitely for a connection (``send`` holds while disconnected), so
        # ``stop`` must end it from outside, not only between packets.
        schedule = asyncio.create_task(self._schedule(stop, backfill_hours))
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({schedule, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if schedule.done():
                schedule.result()  # re-raise an error of the schedule
        finally:
            for t in (*tasks, schedule, stopped):
                t.cancel()
            await asyncio.gather(*tasks, schedule, stopped, return_exceptions=True)

    async def _schedule(self, stop: asyncio.Event, backfill_hours: float) -> None:
        now = self.started_at = datetime.now(self.zone)
        if backfill_hours > 0:
            await self._backfill(now - timedelta(hours=backfill_hours), now, stop)
        await self._live(stop)

    async def _backfill(self, since: datetime, until: datetime, stop: asyncio.Event) -> None:
        step = timedelta(minutes=self.cfg.min_interval)
        t = _floor(since, step)
        last_minute = _floor(until, step)
        while t < last_minute and not stop.is_set():
            await self.send(*self.interval_packet("2051", t, int(step.total_seconds())))
            t += step
            if t.minute == 0 and t - timedelta(hours=1) >= since:
                await self.send(*self.interval_packet("2061", t - timedelta(hours=1), 3600))
            if t.hour == 0 and t.minute == 0 and t - timedelta(days=1) >= since:
                await self.send(*self.interval_packet("2031", t - timedelta(days=1), 86400))

    async def _live(self, stop: asyncio.Event) -> None:
        step = timedelta(minutes=self.cfg.min_interval)
        next_rtd = datetime.now(self.zone)
        next_min = _floor(next_rtd, step) + step
        while not stop.is_set():
            now = datetime.now(self.zone)
            if now >= next_rtd:
                await self.send(*self.realtime_packet(now.replace(microsecond=0)))
                next_rtd = now + timedelta(seconds=self.cfg.rtd_interval)
            if now >= next_min:
                start = next_min - step
                await self.send(*self.interval_packet("2051", start, int(step.total_seconds())))
                if next_min.minute == 0:
                    await self.send(*self.interval_packet("2061", next_min - timedelta(hours=1), 3600))
                    if next_min.hour == 0:
                        await self.send(*self.interval_packet("2031", next_min - timedelta(days=1), 86400))
                next_min += step
            wake = min(next_rtd, next_min)
            try:
                await asyncio.wait_for(stop.wait(), max(0.05, (wake - datetime.now(self.zone)).total_seconds()))
            except TimeoutError:
                pass


def _floor(t: datetime, step: timedelta) -> datetime:
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    n = (t - day) // step
    return day + n * step


def _dt(t: datetime) -> str:
    return t.strftime("%Y%m%d%H%M%S")


def _num(v: float) -> str:
    """Compact decimal text: 3 decimals at most, no trailing zeros (HJ 212 numbers are plain decimals)."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s
