"""Alarm disposal (督办): the supervision of one alarm from the regulator's order to the closed case, as pure
rules (no database, no clock: ``now`` is a parameter).

The steps, for every alarm type (the national 电子督办 practice of the automatic-monitoring platforms, and the
"city and county receive at once" programmes of issue 15; the step names are the platform's, tag ``ours``)::

    (none) --push--> pushed --handle--> handling --feedback--> feedback --accept--> verified --close--> closed
                                                  ^                         |
                                                  +--- returned <--return---+        (feedback again)

* **push** (督办下发): a regulator sends the alarm to the responsible enterprise with a request and a
  deadline for the feedback;
* **handle** (签收/处理): the enterprise acknowledges the order and works on it;
* **feedback** (反馈): the enterprise answers with the cause, the measures taken and evidence files;
* **accept** / **return** (核查: 通过 / 退回): the regulator checks the answer; a return needs a reason and
  sends the case back to the enterprise for a new feedback;
* **close** (结案): a regulator closes the verified case with a conclusion.

Every state but ``closed`` has one party that must act next and a deadline (:func:`due_after`); past it the
step is *overdue* (:func:`is_overdue`) and the level above is told once per step (:func:`overdue_audience`).
The deadlines are settings (:class:`Deadlines`); their defaults are platform choices (``ours``): the
reference notes name no national deadline for the feedback of an electronic supervision order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_, Said

__all__ = [
    "STATES", "STEPS", "PARTIES", "ROLE_PARTY", "TRANSITIONS", "OWES", "LIMITS", "DisposalError", "DisposalConflict", "DisposalForbidden", "Deadlines",
    "party_of", "transition", "check_text", "due_after", "feedback_due", "is_overdue", "NextAction", "next_action",
    "overdue_audience", "REQUIRED", "EVIDENCE_KINDS", "MAX_FILES", "check_evidence", "STATE_WORDS", "STEP_WORDS",
    "NEXT_YOURS", "NEXT_THEIRS",
]

#: Disposal states, in the order of a case's life.
STATES: tuple[str, ...] = ("pushed", "handling", "feedback", "returned", "verified", "closed")
#: Steps (what a person does), each moving the case from some states to one.
STEPS: tuple[str, ...] = ("push", "handle", "feedback", "accept", "return", "close")
#: Who takes part: the regulator (监管部门) and the responsible enterprise (责任企业).
PARTIES: tuple[str, ...] = ("regulator", "enterprise")
#: Account role → the party it acts as (an admin may act as either; the page and the API say which).
ROLE_PARTY: dict[str, tuple[str, ...]] = {"regulator": ("regulator",), "enterprise": ("enterprise",),
                                          "admin": ("regulator", "enterprise")}

#: step → (party, states it starts from (``None`` = no disposal yet), state it leads to).
TRANSITIONS: dict[str, tuple[str, tuple[str | None, ...], str]] = {
    "push": ("regulator", (None,), "pushed"),
    "handle": ("enterprise", ("pushed",), "handling"),
    "feedback": ("enterprise", ("handling", "returned"), "feedback"),
    "accept": ("regulator", ("feedback",), "verified"),
    "return": ("regulator", ("feedback",), "returned"),
    "close": ("regulator", ("verified",), "closed"),
}
#: state → (the party that must act, the step it owes).
OWES: dict[str, tuple[str, str]] = {
    "pushed": ("enterprise", "handle"), "handling": ("enterprise", "feedback"),
    "returned": ("enterprise", "feedback"), "feedback": ("regulator", "verify"),
    "verified": ("regulator", "close"),
}

#: Longest texts a step accepts (characters): the request, the cause, the measures, a reason or conclusion.
LIMITS: dict[str, int] = {"request": 2000, "cause": 2000, "measures": 4000, "reason": 2000, "summary": 2000,
                          "comment": 2000}


#: The sentence when a required text is missing, per text.
REQUIRED: dict[str, str] = {
    "request": N_("the request to the enterprise is required"), "cause": N_("the cause is required"),
    "measures": N_("the measures taken are required"),
    "reason": N_("a reason is required to send the feedback back"),
    "summary": N_("the conclusion of the case is required"), "comment": N_("the comment is empty"),
}


class DisposalError(Said):
    """A disposal step was refused; the message says why (a catalogue msgid, shown in the reader's
    language: :class:`ecosentry.said.Said`)."""


class DisposalConflict(DisposalError):
    """The step does not fit the case's state (HTTP 409)."""


class DisposalForbidden(DisposalError):
    """The step belongs to the other party (HTTP 403)."""


@dataclass(frozen=True)
class Deadlines:
    """How long each party has for its step, by the alarm's severity (section ``alarms.disposal``).

    Attributes
    ----------
    handle_critical, handle : timedelta
        From the push to the enterprise's acknowledgement (签收). Defaults 2 h / 8 h. [h] (ours)
    feedback_critical, feedback : timedelta
        From the push (or a return) to the enterprise's feedback. Defaults 24 h / 72 h. [h] (ours)
    verify : timedelta
        From the feedback to the regulator's check. Default 72 h. [h] (ours)
    close : timedelta
        From the accepted check to the closed case. Default 72 h. [h] (ours)
    """

    handle_critical: timedelta = timedelta(hours=2)
    handle: timedelta = timedelta(hours=8)
    feedback_critical: timedelta = timedelta(hours=24)
    feedback: timedelta = timedelta(hours=72)
    verify: timedelta = timedelta(hours=72)
    close: timedelta = timedelta(hours=72)

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if value <= timedelta(0):
                raise ValueError(f"the disposal deadline {name} must be positive")

    @classmethod
    def from_settings(cls, settings: Any) -> Deadlines:
        """From an :class:`ecosentry.settings.Settings` (``alarms.disposal``, hours)."""
        d = settings.alarms.disposal
        return cls(**{k: timedelta(hours=getattr(d, f"{k}_hours")) for k in cls.__dataclass_fields__})


def party_of(role: str, step: str) -> str:
    """The party an account of ``role`` acts as for ``step``: the step's own party when the role may act as
    it (an admin as either), else :class:`DisposalForbidden`."""
    if step not in TRANSITIONS:
        raise DisposalError("unknown supervision step %(step)r", step=step)
    who = TRANSITIONS[step][0]
    if who in ROLE_PARTY.get(role, ()):
        return who
    raise DisposalForbidden(N_("only the regulator takes this step of the supervision") if who == "regulator"
                            else N_("only the enterprise takes this step of the supervision"))


def transition(state: str | None, step: str, party: str) -> str:
    """The state after ``party`` does ``step`` in ``state`` (``None`` = not pushed yet), or
    :class:`DisposalError` with the reason."""
    if step not in TRANSITIONS:
        raise DisposalError("unknown supervision step %(step)r", step=step)
    who, sources, target = TRANSITIONS[step]
    if party != who:
        raise DisposalForbidden(N_("only the regulator takes this step of the supervision") if who == "regulator"
                            else N_("only the enterprise takes this step of the supervision"))
    if state not in sources:
        if state is None:
            raise DisposalConflict("the alarm has not been pushed for supervision yet")
        if state == "closed":
            raise DisposalConflict("the supervision of this alarm is closed")
        if step == "push":
            raise DisposalConflict("the alarm is already under supervision")
        raise DisposalConflict("this step does not fit the current state of the supervision")
    return target


def check_text(name: str, text: str | None, *, required: bool) -> str | None:
    """The text stripped, or :class:`DisposalError` when it is required and empty, or longer than
    :data:`LIMITS`."""
    value = (text or "").strip()
    if not value:
        if required:
            raise DisposalError(REQUIRED[name])
        return None
    limit = LIMITS[name]
    if len(value) > limit:
        raise DisposalError("the text is %(n)d characters long; at most %(limit)d are allowed",
                            n=len(value), limit=limit)
    return value


def due_after(state: str, severity: str, at: datetime, deadlines: Deadlines,
              feedback_due_at: datetime | None = None) -> datetime | None:
    """When the party that owes the next step in ``state`` (entered at ``at``) must have done it; ``None``
    for a closed case.

    ``pushed``: the acknowledgement deadline, but never after the feedback deadline of the push
    (``feedback_due_at``); ``handling``: the feedback deadline of the push; ``returned``: a fresh feedback
    period from the return; ``feedback``: the check; ``verified``: the closing.
    """
    critical = severity == "critical"
    if state == "pushed":
        due = at + (deadlines.handle_critical if critical else deadlines.handle)
        return min(due, feedback_due_at) if feedback_due_at is not None else due
    if state == "handling":
        return feedback_due_at if feedback_due_at is not None else \
            at + (deadlines.feedback_critical if critical else deadlines.feedback)
    if state == "returned":
        return at + (deadlines.feedback_critical if critical else deadlines.feedback)
    if state == "feedback":
        return at + deadlines.verify
    if state == "verified":
        return at + deadlines.close
    return None


def feedback_due(severity: str, pushed_at: datetime, deadlines: Deadlines,
                 asked: datetime | None = None) -> datetime:
    """The feedback deadline of a push: the one the regulator gives (after the push), else the default."""
    if asked is not None:
        if asked <= pushed_at:
            raise DisposalError("the feedback deadline must be after the push")
        return asked
    return pushed_at + (deadlines.feedback_critical if severity == "critical" else deadlines.feedback)


def is_overdue(disposal: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether the step owed in the disposal's state is past its deadline at ``now``."""
    if not disposal or disposal.get("state") in (None, "closed") or disposal.get("due_at") is None:
        return False
    return now > disposal["due_at"]


@dataclass(frozen=True)
class NextAction:
    """What a viewer should know about a case: whose move it is, which step, by when, overdue or not, and
    whether the viewer is the one to act."""

    party: str
    step: str
    due_at: datetime | None
    overdue: bool
    yours: bool


def next_action(disposal: Mapping[str, Any] | None, viewer_parties: tuple[str, ...],
                now: datetime) -> NextAction | None:
    """The next step of the case for a viewer acting as ``viewer_parties`` (``None``: nothing owed)."""
    if not disposal or disposal.get("state") not in OWES:
        return None
    party, step = OWES[disposal["state"]]
    return NextAction(party, step, disposal.get("due_at"), is_overdue(disposal, now), party in viewer_parties)


def overdue_audience(owed_by: str, n_regions: int, route_levels: int) -> int:
    """How many levels of the alarm's region ancestry (nearest first) hear that a step is overdue.

    The level above the party that is late: above the enterprise are the regulators the alarm is routed
    to at once (county and city, ``route_levels``); above the regulators, one level more (the province).
    """
    depth = route_levels if owed_by == "enterprise" else route_levels + 1
    return max(1, min(n_regions, depth))


# --------------------------------------------------------------------------- evidence files

#: Evidence file kinds accepted (extension → content type served back, and the leading bytes the file must
#: start with; ``b""`` = plain text, checked as UTF-8). The type is decided here, never taken from the
#: uploader, and downloads are served as attachments: a file cannot become a page of the site.
EVIDENCE_KINDS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "txt": ("text/plain; charset=utf-8", (b"",)),
    "csv": ("text/csv; charset=utf-8", (b"",)),
}
#: Most evidence files on one step.
MAX_FILES = 10


def check_evidence(filename: str | None, data: bytes, max_bytes: int) -> tuple[str, str]:
    """``(clean file name, content type)`` of an evidence file, or :class:`DisposalError` (empty, too large,
    a kind not accepted, or content that is not what the name says)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[-200:]
    if not name:
        raise DisposalError("the evidence file needs a file name")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_KINDS:
        raise DisposalError("%(name)s: only %(kinds)s files are accepted as evidence", name=name,
                            kinds=", ".join(sorted({k for k in EVIDENCE_KINDS if k != "jpeg"})))
    if not data:
        raise DisposalError("the evidence file %(name)s is empty", name=name)
    if len(data) > max_bytes:
        raise DisposalError("the evidence file %(name)s is larger than %(mb)s MB", name=name,
                            mb=f"{max_bytes / 1_000_000:g}")
    content_type, magics = EVIDENCE_KINDS[ext]
    if magics == (b"",):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise DisposalError("the evidence file %(name)s is not what its name says", name=name) from None
    elif not any(data.startswith(m) for m in magics):
        raise DisposalError("the evidence file %(name)s is not what its name says", name=name)
    return name, content_type


# --------------------------------------------------------------------------- words (translated where shown)

#: The case's state as a reader sees it.
STATE_WORDS: dict[str, str] = {
    "pushed": N_("Pushed, awaiting acknowledgement"), "handling": N_("Being handled"),
    "feedback": N_("Answered, awaiting check"), "returned": N_("Sent back"),
    "verified": N_("Checked, awaiting closing"), "closed": N_("Case closed"),
}
#: Each step as the case's history names it.
STEP_WORDS: dict[str, str] = {
    "push": N_("Pushed for supervision"), "handle": N_("Acknowledged by the enterprise"),
    "feedback": N_("Feedback"), "accept": N_("Feedback accepted"), "return": N_("Sent back"),
    "close": N_("Case closed"),
}
#: What is owed next, said to the party that owes it (``%(due)s`` the deadline) and to the other party.
NEXT_YOURS: dict[str, str] = {
    "handle": N_("Awaiting your acknowledgement, due %(due)s"),
    "feedback": N_("Awaiting your feedback, due %(due)s"),
    "verify": N_("Awaiting your check of the feedback, due %(due)s"),
    "close": N_("Awaiting your closing of the case, due %(due)s"),
}
NEXT_THEIRS: dict[str, str] = {
    "handle": N_("Awaiting the enterprise's acknowledgement, due %(due)s"),
    "feedback": N_("Awaiting the enterprise's feedback, due %(due)s"),
    "verify": N_("Awaiting the regulator's check, due %(due)s"),
    "close": N_("Awaiting the regulator's closing, due %(due)s"),
}


# --------------------------------------------------------------------------- the deadlines in the rule catalogue

_SOURCE = ("platform choice: the reference notes name no national deadline for the feedback of an electronic "
           "supervision order (电子督办); settings alarms.disposal")
for _code, _summary in (
    ("DSP-HANDLE-DUE", "The enterprise acknowledges a supervision order within 2 h (critical alarm) or 8 h."),
    ("DSP-FEEDBACK-DUE", "The enterprise answers a supervision order (cause, measures, evidence) within 24 h "
                         "(critical alarm) or 72 h of the push or of a return, unless the regulator set a date."),
    ("DSP-VERIFY-DUE", "The regulator checks an enterprise's feedback within 72 h."),
    ("DSP-CLOSE-DUE", "The regulator closes an accepted supervision case within 72 h."),
):
    register(Rule(_code, "warning", _summary, _SOURCE, __name__, "ours"))
del _code, _summary
