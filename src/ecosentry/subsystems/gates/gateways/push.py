"""The HTTP push of plate-recognition events and heartbeats by the gate devices (issue 16 item 2), on a port of
its own (``gates.push``):

``POST /gates/v1/passages``  one event (:mod:`.push_event`); the reply carries the gate decision
``POST /gates/v1/heartbeat`` ``{"time": …, "status": "ok" | "power_cut" | "camera_fault", "detail": …}``
``POST /gates/v1/snapshot``  ``{"time": …, "camera": <code, optional when the gate has one camera>,
                             "picture": <base64 JPEG or PNG>}``: what the camera sees now, compared by the checks
                             job with the camera's reference view (``VEH-CAMERA-VIEW``)

A snapshot has a route of its own rather than a field of the heartbeat: cameras send their periodic capture
("定时抓图") as an upload of its own, less often than the keep-alive, and a large picture must not delay or fail a
heartbeat (the device would be read as offline).

Every request is authenticated per device: ``Authorization: Bearer <token>``, or HTTP Basic with the device's
code as user and the token as password; only the token's sha256 is kept (``gates_devices.token_hash``). An
event is acknowledged (200) only once its envelope (kind ``gate-passages``, the body as received) is on the
durable spool; the sink stores the passage, its decision, its ledger row and its picture after that. The
decision (:func:`..rules.decision.decide`) is taken here, from the in-memory :class:`.directory.GateDirectory`,
so the gate's barrier and screen get it in the reply; the event loop never waits on the database.

A request refused (no or a wrong token, a device retired, a body too large, not JSON, a bad field, a plate over
16 characters, a picture not JPEG/PNG or too large, another gate's code, an address that is none of the three
routes, another method than POST) gets its 4xx status and ``{"error": <code>, "message": <sentence>}``, is
counted once (``gates.push.rejected.<code>``) and logged, and nothing of it is stored. A request the push fails
to take (the spool cannot be written) gets 503 ``server_error`` in the same shape, so the device sends it again.
The sentence is in the caller's language, as the other answers of the service choose it for a reader without an
account: ``?lang=``, then ``Accept-Language`` (zh, vi, en), then the deployment's ``ECOSENTRY_DEFAULT_LOCALE``;
the decision's ``message`` of an accepted event too.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import logging
import socket
from datetime import datetime, timezone

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.subsystem import PortInUse
from ecosentry.locale import LOCALES, accept_languages, translations
from ecosentry.metrics import counters
from ecosentry.said import N_
from ecosentry.subsystems.gates.gateways.directory import DeviceInfo, GateDirectory
from ecosentry.subsystems.gates.gateways.push_event import (HEARTBEAT_STATUSES, Refusal, parse_event,
                                                         parse_heartbeat, parse_snapshot)
from ecosentry.subsystems.gates.rules.decision import decide

log = logging.getLogger(__name__)

__all__ = ["KIND", "PushApp", "GatePushPart", "HEARTBEAT_STATUSES"]

#: The envelope kind of what the push accepts (``Subsystem.sinks``).
KIND = "gate-passages"
#: The grade an enterprise without one in the registry is held to during an alert: no road truck [ours].
UNGRADED = "D"
#: The push's port when ``gates.push.port`` is unset and the web port is not 0.
DEFAULT_PORT = 9216


#: The refusals of what is no route of the push (an address or a method the device was wrongly set up with).
NOT_A_ROUTE = {404: ("not_found", N_("There is nothing at %(path)s: a gate device posts to /gates/v1/passages, "
                                     "/gates/v1/heartbeat or /gates/v1/snapshot.")),
               405: ("method_not_allowed", N_("%(path)s takes POST, not %(method)s."))}
#: A request the push could not take (the spool not writable): not stored, to be sent again.
NOT_TAKEN = N_("The request could not be taken now and nothing of it is stored; send it again later.")


def _lang(request: Request, default: str) -> str:
    """``?lang=``, then ``Accept-Language``, then the deployment's default."""
    for tag in (request.query_params.get("lang"), *accept_languages(request.headers.get("accept-language", ""))):
        if tag in LOCALES:
            return tag
    return default if default in LOCALES else "zh"


def _refused(request: Request, refusal: Refusal, default_lang: str) -> JSONResponse:
    counters.inc(f"gates.push.rejected.{refusal.code}")
    log.warning("gate push from %s refused (%s): %s", request.client.host if request.client else "?", refusal.code,
                refusal)
    lang = _lang(request, default_lang)
    headers = {"WWW-Authenticate": 'Bearer realm="ecosentry-gates"'} if refusal.status == 401 else None
    return JSONResponse({"error": refusal.code, "message": refusal.say(translations(lang).gettext)},
                        status_code=refusal.status, headers=headers)


class PushApp:
    """The ASGI application of the push: ``directory`` to authenticate and decide, ``spool`` to make it durable."""

    def __init__(self, directory: GateDirectory, spool, settings) -> None:
        self.directory, self.spool, self.settings = directory, spool, settings
        self.push = settings.gates.push
        self.default_lang = getattr(settings, "default_locale", "zh")
        self.app = Starlette(routes=[Route("/gates/v1/passages", self.passage, methods=["POST"]),
                                     Route("/gates/v1/heartbeat", self.heartbeat, methods=["POST"]),
                                     Route("/gates/v1/snapshot", self.snapshot, methods=["POST"])],
                             exception_handlers={HTTPException: self._not_a_route, Exception: self._not_taken})

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)

    # ---------------------------------------------------------------------------------------------- steps

    def _device(self, request: Request) -> DeviceInfo:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        elif scheme.lower() == "basic" and value.strip():
            try:
                user, _, token = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, ValueError):
                raise Refusal(401, "unauthenticated", N_("The device's credentials are not readable.")) from None
        else:
            raise Refusal(401, "unauthenticated", N_("A gate device must authenticate with its token."))
        device = self.directory.device(token)
        if device is None or (user is not None and user != device.code):
            raise Refusal(401, "bad_token", N_("The token is not a gate device's."))
        if not device.active:
            raise Refusal(403, "inactive_device", N_("The gate device %(device)s is retired."), device=device.code)
        return device

    async def _body(self, request: Request) -> bytes:
        limit = self.push.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Refusal(413, "too_large", N_("The request has more than the %(limit)s bytes accepted."), limit=limit)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refusal(413, "too_large", N_("The request has more than the %(limit)s bytes accepted."),
                              limit=limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _not_a_route(self, request: Request, exc: HTTPException) -> JSONResponse:
        """Starlette's 404 (no such route) and 405 (not POST), in the push's shape and the caller's language."""
        code, msgid = NOT_A_ROUTE.get(exc.status_code, NOT_A_ROUTE[404])
        response = _refused(request, Refusal(exc.status_code, code, msgid, path=request.url.path,
                                             method=request.method), self.default_lang)
        response.headers.update(exc.headers or {})
        return response

    async def _not_taken(self, request: Request, exc: Exception) -> JSONResponse:
        """A failure of ours (the spool not writable): 503 in the push's shape, so the device sends it again;
        the exception is logged by the server as well."""
        counters.inc("gates.push.failed")
        tr = translations(_lang(request, self.default_lang))
        return JSONResponse({"error": "server_error", "message": tr.gettext(NOT_TAKEN)}, status_code=503)

    async def _durable(self, env: Envelope) -> None:
        await self.spool.append([env.encode()])

    # ---------------------------------------------------------------------------------------------- routes

    async def passage(self, request: Request) -> JSONResponse:
        try:
            device = self._device(request)
            body = await self._body(request)
            st = self.settings.gates
            event = parse_event(body, max_picture_bytes=st.pictures.max_bytes, colour_codes=st.plate_colour_codes)
            if event.gate != device.gate_code:
                raise Refusal(403, "wrong_gate", N_("The device %(device)s belongs to gate %(own)s, not %(gate)s."),
                              device=device.code, own=device.gate_code, gate=event.gate)
        except Refusal as refusal:
            return _refused(request, refusal, self.default_lang)
        at = event.at.astimezone(timezone.utc)
        found = self.directory.vehicle(device.enterprise_id, event.plate) if event.plate else None
        level = self.directory.level_at(device.enterprise_id, at)
        grade = self.directory.grade(device.enterprise_id) or UNGRADED
        decision = decide(event.plate, found[1] if found else None, grade, level, st.grades)
        now = datetime.now(timezone.utc)
        meta = {"what": "passage", "device": device.id, "gate": device.gate_id, "enterprise": device.enterprise_id,
                "plate": event.plate, "colour": event.colour, "confidence": event.confidence,
                "inbound": event.inbound, "at": at.timestamp(), "picture_type": event.picture_type,
                "vehicle": found[0] if found else None,
                "decision": {"allowed": decision.allowed, "reason": decision.reason, "stage": decision.stage,
                             "level": level, "grade": grade, "msgid": decision.msgid, "params": decision.params,
                             "at": now.timestamp()}}
        env = Envelope(transport="http", received_at=now, raw=body, status="accepted",
                       peer=request.client.host if request.client else None, mn=device.code, point_id=device.id,
                       kind=KIND, meta=meta)
        await self._durable(env)
        counters.inc("gates.push.accepted")
        tr = translations(_lang(request, self.default_lang))
        return JSONResponse({"accepted": True, "allowed": decision.allowed, "reason": decision.reason,
                             "stage": decision.stage, "level": level,
                             "message": tr.gettext(decision.msgid) % _said_params(decision.params, tr)})

    async def heartbeat(self, request: Request) -> JSONResponse:
        try:
            device = self._device(request)
            body = await self._body(request)
            beat = parse_heartbeat(body)
        except Refusal as refusal:
            return _refused(request, refusal, self.default_lang)
        now = datetime.now(timezone.utc)
        env = Envelope(transport="http", received_at=now, raw=body, status="accepted",
                       peer=request.client.host if request.client else None, mn=device.code, point_id=device.id,
                       kind=KIND, meta={"what": "heartbeat", "device": device.id, "status": beat.status,
                                        "detail": beat.detail, "at": now.timestamp()})
        await self._durable(env)
        counters.inc("gates.push.heartbeats")
        return JSONResponse({"accepted": True})

    async def snapshot(self, request: Request) -> JSONResponse:
        try:
            device = self._device(request)
            body = await self._body(request)
            event = parse_snapshot(body, max_picture_bytes=self.settings.gates.pictures.max_bytes)
            cameras = self.directory.cameras(device.gate_id)
            if event.camera is None:
                if len(cameras) != 1:
                    raise Refusal(422, "bad_field", N_("%(field)s must name one of the gate's cameras (%(values)s)."),
                                  field="camera", values=", ".join(sorted(cameras)) or "-")
                camera_id = next(iter(cameras.values()))
            elif event.camera in cameras:
                camera_id = cameras[event.camera]
            else:
                raise Refusal(403, "wrong_camera", N_("The camera %(camera)s is not a camera of gate %(gate)s."),
                              camera=event.camera, gate=device.gate_code)
        except Refusal as refusal:
            return _refused(request, refusal, self.default_lang)
        now = datetime.now(timezone.utc)
        env = Envelope(transport="http", received_at=now, raw=body, status="accepted",
                       peer=request.client.host if request.client else None, mn=device.code, point_id=device.id,
                       kind=KIND, meta={"what": "snapshot", "device": device.id, "camera": camera_id,
                                        "at": event.at.astimezone(timezone.utc).timestamp(),
                                        "picture_type": event.picture_type})
        await self._durable(env)
        counters.inc("gates.push.snapshots")
        return JSONResponse({"accepted": True})


def _said_params(params: dict, tr) -> dict:
    """The decision's parameters for the sentence: stage and level labels are msgids too."""
    return {k: tr.gettext(v) if k in ("stage", "required", "level") else v for k, v in params.items()}


class GatePushPart:
    """The push as a part of the running service (:attr:`Subsystem.services`)."""

    name = "gates_push"

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.directory = GateDirectory(ctx.engine)
        self.server: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        st = self.ctx.settings.gates.push
        await asyncio.to_thread(self.directory.load)
        sock = _listen(st.host, push_port(self.ctx.settings.http_port, self.ctx.settings.hj212_port, st.port))
        app = PushApp(self.directory, self.ctx.spool, self.ctx.settings)
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None
        task = asyncio.create_task(self.server.serve(sockets=[sock]), name="gates-push")
        self._tasks = [task, asyncio.create_task(self._refresh(st.refresh_every), name="gates-directory")]
        while not self.server.started and not task.done():
            await asyncio.sleep(0.02)
        if not self.server.started:
            await task

    async def _refresh(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            self.directory.refresh_in_background()

    async def close(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        for t in self._tasks:
            if t.get_name() == "gates-directory":
                t.cancel()
        for t in self._tasks:
            try:
                await asyncio.wait_for(t, 5)
            except (asyncio.CancelledError, asyncio.TimeoutError, Exception):  # noqa: PERF203
                pass

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1] if self.server and self.server.servers else 0


def push_port(web_port: int, hj212_port: int, setting: int | None) -> int:
    """The push's port: the setting ``gates.push.port`` when given (0: a free one), else 9216, or a free one when
    the web or the HJ 212 port is 0 (tests and embedded runs ask for free ports)."""
    if setting is not None:
        return setting
    return 0 if 0 in (web_port, hj212_port) else DEFAULT_PORT


def _listen(host: str, port: int) -> socket.socket:
    """Bind the push's port here, so a taken one is a :class:`PortInUse` (not uvicorn's exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            taken = PortInUse("gates push", host, port)
            taken.option = "ECOSENTRY_GATES__PUSH__PORT"  # the sentence's way to move it
            raise taken from exc
        raise
    sock.listen(512)
    sock.setblocking(False)
    return sock
