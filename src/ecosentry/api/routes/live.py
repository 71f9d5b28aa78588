"""Live alarm stream: ``GET /api/v1/alarms/stream`` as Server-Sent Events.

Wire format per the WHATWG HTML Living Standard §9.2 ("Server-sent events", ``text/event-stream``): each alarm
event is sent as ``event: <alarm event>`` / ``data: <JSON>`` / ``id: <sequence>``; an idle stream gets a
comment line (``: keepalive``) every ``heartbeat_s`` seconds so proxies and load balancers keep it open; a
reconnecting browser sends ``Last-Event-ID`` and receives the kept messages it missed. When the client lagged
and messages were dropped, an ``event: dropped`` with the count comes first (reload the alarm list).

Who: the authenticated principal (the page's session cookie, which ``EventSource`` sends; or an API key),
with ``alarms.read``. The stream delivers only alarms inside the principal's scope
(:func:`ecosentry.auth.guards.alarm_visible` on each message, after the hub's own region/type filters), and
the messages addressed to the principal's user name.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from ecosentry.alarms.channels.live import LiveHub, LiveMessage, Subscription
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import alarm_visible
from ecosentry.auth.principal import Principal
from ecosentry.settings import get_settings

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])

#: Reconnection delay suggested to the browser (SSE ``retry``). [ms]
RETRY_MS = 5000


def get_live_hub(request: Request) -> LiveHub:
    """The application's hub (``app.state.live_hub``), created with the settings' sizes when missing."""
    hub = getattr(request.app.state, "live_hub", None)
    if hub is None:
        s = get_settings().notify
        hub = LiveHub(s.live_queue_size, s.live_replay_size, s.live_heartbeat_s)
        request.app.state.live_hub = hub
    return hub


def sse_event(event: str, data: dict, event_id: int | None = None) -> bytes:
    """One SSE event; the JSON has no raw newlines, so one ``data:`` line is enough."""
    lines = [f"event: {event}", f"data: {json.dumps(data, ensure_ascii=False, default=str)}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def _split(values: list[str] | None) -> list[str]:
    """Accept both ``?types=a,b`` and ``?types=a&types=b``."""
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def _message_event(m: LiveMessage) -> bytes:
    return sse_event(m.event, m.data, m.id)


def in_scope(principal: Principal | None, m: LiveMessage) -> bool:
    """True when the message's alarm is visible to ``principal`` (``None``: no scope check)."""
    if principal is None:
        return True
    alarm = m.data.get("alarm") if isinstance(m.data.get("alarm"), dict) else m.data
    return alarm_visible(principal, alarm)


async def _stream(hub: LiveHub, user: str | None, regions: list[str], types: list[str], events: list[str],
                  last_event_id: int | None, principal: Principal | None = None) -> AsyncIterator[bytes]:
    # Subscribe inside the generator: its ``finally`` then always runs, on disconnect (the server cancels
    # the stream) as well as on a failed write.
    sub: Subscription = hub.subscribe(user, regions, types, events, last_event_id)
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n".encode()
        reported = 0
        while True:
            m = await sub.get(timeout=hub.heartbeat_s)
            if sub.dropped > reported:
                yield sse_event("dropped", {"dropped": sub.dropped - reported, "total": sub.dropped})
                reported = sub.dropped
            if m is None:
                yield b": keepalive\n\n"
            elif in_scope(principal, m):
                yield _message_event(m)
    finally:
        hub.unsubscribe(sub)


@router.get("/stream", summary="Live alarm events (Server-Sent Events)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "event: <alarm event>, data: alarm JSON, id: sequence"}})
async def alarm_stream(
        request: Request,
        region: list[str] | None = Query(None, description="region code(s); the alarm's region or an ancestor"),
        types: list[str] | None = Query(None, description="alarm type codes, comma-separated or repeated"),
        events: list[str] | None = Query(None, description="alarm events (raised, cleared, ...)"),
        last_event_id: str | None = Header(None, description="resume after this event id"),
        principal: Principal = Depends(requires("alarms.read")),
):
    hub = get_live_hub(request)
    resume = int(last_event_id) if last_event_id and last_event_id.strip().isdigit() else None
    stream = _stream(hub, principal.username, _split(region), _split(types), _split(events), resume, principal)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
