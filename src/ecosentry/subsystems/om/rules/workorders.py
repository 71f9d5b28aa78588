"""Work orders (工单): their kinds and the state machine every order goes through, pure.

States (``shared/reference/subsystems.md`` §4.5 and §7 item 26, from vendor practice [ours/V]; issue 18 item 2)::

    created ─assign→ assigned ─accept→ accepted ─arrive→ on_site ─finish→ done ─approve→ reviewed
       │               │  └─assign (re-assign)            │                   └─reject→ rejected ─reopen→ assigned
       └──cancel───────┴──────cancel──────────────────────┘ (cancel: created, assigned, accepted)

``reviewed`` and ``cancelled`` are final. The reference's ``dispatched`` is ``assigned`` here and its ``closed`` is
``reviewed`` (the review closes the order). An order is *on site* when the engineer arrives (the station door's
opening is the evidence, :mod:`.consistency`). Every transition carries its time, an argument: no clock is read.

Kinds: from alarms (device fault, data missing, offline, drift) and planned (daily and weekly inspection,
calibration, periodic verification 校验, comparison test 比对) (issue 18 item 2; subsystems.md §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_, Said

__all__ = ["STATES", "FINAL_STATES", "ACTIONS", "ALARM_KINDS", "PLANNED_KINDS", "KINDS", "KIND_WORDS",
           "STATE_WORDS", "ACTION_WORDS", "TransitionRefused", "next_state", "allowed_actions", "WorkOrder", "apply",
           "parse_kind"]

STATES = ("created", "assigned", "accepted", "on_site", "done", "reviewed", "rejected", "cancelled")
FINAL_STATES = frozenset({"reviewed", "cancelled"})

#: action → {from state: to state}.
ACTIONS: dict[str, dict[str, str]] = {
    "assign": {"created": "assigned", "assigned": "assigned"},
    "accept": {"assigned": "accepted"},
    "arrive": {"accepted": "on_site"},
    "finish": {"on_site": "done"},
    "approve": {"done": "reviewed"},
    "reject": {"done": "rejected"},
    "reopen": {"rejected": "assigned"},
    "cancel": {"created": "cancelled", "assigned": "cancelled", "accepted": "cancelled"},
}

#: The time field each state's entry sets on a :class:`WorkOrder`.
_STAMP = {"assigned": "assigned_at", "accepted": "accepted_at", "on_site": "on_site_at", "done": "done_at",
          "reviewed": "reviewed_at", "rejected": "rejected_at", "cancelled": "cancelled_at"}

ALARM_KINDS = ("device_fault", "data_missing", "offline", "drift")
PLANNED_KINDS = ("daily_inspection", "weekly_inspection", "calibration", "verification", "comparison")
KINDS = ALARM_KINDS + PLANNED_KINDS

#: Each kind as a sentence says it (translated with the sentence).
KIND_WORDS = {
    "device_fault": N_("device fault"), "data_missing": N_("data missing"), "offline": N_("offline"),
    "drift": N_("drift"), "daily_inspection": N_("daily inspection"), "weekly_inspection": N_("weekly inspection"),
    "calibration": N_("calibration"), "verification": N_("periodic verification"),
    "comparison": N_("comparison test"),
}

#: Words a file may use for a kind (English, the Chinese terms of the programmes).
_ALIASES = {
    "fault": "device_fault", "故障": "device_fault", "设备故障": "device_fault", "missing": "data_missing",
    "数据缺失": "data_missing", "离线": "offline", "脱机": "offline", "漂移": "drift", "inspection": "weekly_inspection",
    "巡检": "weekly_inspection", "周巡检": "weekly_inspection", "日巡检": "daily_inspection", "校准": "calibration",
    "校验": "verification", "比对": "comparison", "comparison_test": "comparison",
}

_MOD = "ecosentry.subsystems.om.rules.workorders"
register(Rule("OM-WO-STATE", None, "A work order moves created → assigned → accepted → on site → done → reviewed "
              "(rejected → re-assigned; cancelled before the visit); any other move is refused.",
              "subsystems.md §4.5, §7 item 26 (vendor practice); issue 18 item 2", _MOD, "V/ours"))


#: States and actions as a sentence says them.
STATE_WORDS = {"created": N_("created"), "assigned": N_("assigned"), "accepted": N_("accepted"),
               "on_site": N_("on site"), "done": N_("done"), "reviewed": N_("reviewed"), "rejected": N_("rejected"),
               "cancelled": N_("cancelled")}
ACTION_WORDS = {"assign": N_("assigned"), "accept": N_("accepted"), "arrive": N_("marked on site"),
                "finish": N_("finished"), "approve": N_("approved"), "reject": N_("rejected"),
                "reopen": N_("reopened"), "cancel": N_("cancelled")}


class TransitionRefused(Said):
    """An action the order's state does not allow, or a time before the order's last event. The state and action
    words (English msgids in ``params``) are said in the reader's language too."""

    def say(self, gettext, when=datetime.isoformat) -> str:  # noqa: ANN001 (Said's signature)
        words = dict(self.params)
        for key in ("state", "action"):
            if key in words:
                words[key] = gettext(words[key])
        if "allowed" in words:
            words["allowed"] = ", ".join(gettext(w) for w in words["allowed"].split(", "))
        text = gettext(self.msgid)
        return text % {k: when(v) if isinstance(v, datetime) else v for k, v in words.items()} if words else text


def allowed_actions(state: str) -> list[str]:
    return [a for a, moves in ACTIONS.items() if state in moves]


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; :class:`TransitionRefused` if it is not allowed."""
    if state not in STATES:
        raise TransitionRefused("%(value)s is not a work-order state.", value=state)
    if action not in ACTIONS:
        raise TransitionRefused("%(value)s is not a work-order action.", value=action)
    to = ACTIONS[action].get(state)
    if to is None:
        raise TransitionRefused("A work order that is %(state)s cannot be %(action)s; from %(state)s it can only be: "
                                "%(allowed)s.", state=STATE_WORDS[state], action=ACTION_WORDS[action],
                                allowed=", ".join(ACTION_WORDS[a] for a in allowed_actions(state)) or "-")
    return to


@dataclass(frozen=True)
class WorkOrder:
    """One work order and the times of its states (aware datetimes; None: not yet)."""

    order_id: str
    point: str
    kind: str
    created: datetime
    state: str = "created"
    deadline: datetime | None = None
    #: When the fault or anomaly an alarm order is about began (its alarm's start); None for planned orders.
    fault_start: datetime | None = None
    assignee: str | None = None
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    on_site_at: datetime | None = None
    done_at: datetime | None = None
    reviewed_at: datetime | None = None
    rejected_at: datetime | None = None
    cancelled_at: datetime | None = None
    history: tuple[tuple[str, str, datetime], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TransitionRefused("%(value)s is not a work-order kind.", value=self.kind)

    @property
    def from_alarm(self) -> bool:
        return self.kind in ALARM_KINDS

    @property
    def last_event(self) -> datetime:
        return self.history[-1][2] if self.history else self.created


def apply(order: WorkOrder, action: str, at: datetime, assignee: str | None = None) -> WorkOrder:
    """The order after ``action`` at ``at``; refused when the state does not allow it or ``at`` is before the
    order's last event (the times of one order only move forward)."""
    to = next_state(order.state, action)
    if at < order.last_event:
        raise TransitionRefused("The time %(at)s is before the order's last event at %(last)s.", at=at,
                                last=order.last_event)
    if action == "assign" and not assignee:
        raise TransitionRefused("Assigning a work order needs the engineer it is assigned to.")
    changes: dict = {"state": to, "history": order.history + ((order.state, to, at),)}
    changes[_STAMP[to]] = at
    if action == "assign":
        changes["assignee"] = assignee
    if action == "reopen":   # the visit is done again: the earlier visit's times no longer close the order
        changes.update(accepted_at=None, on_site_at=None, done_at=None)
    return replace(order, **changes)


def parse_kind(text: str) -> str | None:
    """The kind a file's word names, or None."""
    word = text.strip().lower().replace(" ", "_").replace("-", "_")
    return word if word in KINDS else _ALIASES.get(word) or _ALIASES.get(text.strip())
