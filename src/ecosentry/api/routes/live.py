"""Live alarm stream: ``GET /api/v1/alarms/stream`` as Server-Sent Events.

Wire format per the WHATWG HTML Living Standard §9.2 ("Server-sent events", ``text/event-stream``): each alarm
event is sent as ``event: <alarm event>`` / ``data: <JSON>`` / ``id: <sequence>``; an idle stream gets a
comment line (``: keepalive``) every ``heartbeat_s`` seconds so proxies and load balancers keep it open; a
reconnecting browser sends ``Last-Event-ID`` and receives the kept messages it missed. When the client lagged
and messages were dropped, an ``event: dropped`` with the count comes first (reload the alarm list).

The browser's ``EventSource`` cannot set headers, so the user can be given as ``?user=`` as well as by the
``X-Ecosentry-User`` header (unauthenticated, as in :mod:`ecosentry.api.routes.marks`, until authentication
arrives).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from ecosentry.alarms.channels.live import LiveHub, LiveMessage, Subscription

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])

#: Reconnection delay suggested to the browser (SSE ``retry``). [ms]
RETRY_MS = 5000


def get_live_hub(request: Request) -> LiveHub:
    """The application's hub (``app.state.live_hub``), created with the settings' sizes when missing."""
    hub = getattr(request.app.state, "live_hub", None)
    if hub is None:
        from ecosentry.alarms.channels.config import ChannelSettings

        s = ChannelSettings()
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


async def _stream(hub: LiveHub, user: str | None, regions: list[str], types: list[str], events: list[str],
                  last_event_id: int | None) -> AsyncIterator[bytes]:
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
            yield b": keepalive\n\n" if m is None else _message_event(m)
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
        user: str | None = Query(None, description="user name (EventSource cannot send headers)"),
        x_ecosentry_user: str | None = Header(None, description="user name (unauthenticated)"),
        last_event_id: str | None = Header(None, description="resume after this event id"),
):
    hub = get_live_hub(request)
    who = (user or x_ecosentry_user or "").strip()[:64] or None
    resume = int(last_event_id) if last_event_id and last_event_id.strip().isdigit() else None
    stream = _stream(hub, who, _split(region), _split(types), _split(events), resume)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
