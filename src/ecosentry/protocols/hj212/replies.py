"""Interaction replies (HJ 212-2017 Table 9, 交互命令 9011-9014).

Every reply echoes the QN, PW and MN of the frame it answers, uses system
code ``ST=91`` (系统交互, §6.6.1.2 Table 5) and ``Flag`` with only the
version bits set (no reply wanted to a reply): ``Flag=4`` for HJ 212-2017.
The standard's examples (Appendix C), e.g. for an upload of real-time data
answered by the platform::

    QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&

Who sends what (Appendix C):

* ``9011`` request reply (请求应答): the logger acknowledges a platform
  request, ``CP=&&QnRtn=1&&`` (QnRtn codes in §6.6.3, Table 7);
* ``9012`` execution result (执行结果): the logger reports the outcome,
  ``CP=&&ExeRtn=1&&`` (§6.6.2, Table 6);
* ``9013`` notification reply (通知应答): answers a notification, e.g. the
  logger's 1013 time-calibration request (answered by the platform) or the
  platform's 2012/2022 "stop sending" (answered by the logger), ``CP=&&&&``;
* ``9014`` data reply (数据应答): the platform acknowledges a data upload
  whose Flag had the A bit set, ``CP=&&&&``.

Whether to reply at all (``frame.reply_wanted``) is the gateway's decision;
these functions only build the bytes.
"""

from __future__ import annotations

from .codes import FLAG_VERSION_2017, ST_SYSTEM_INTERACTION, ExeRtn, QnRtn
from .frame import Frame, build_frame

__all__ = ["data_reply", "request_reply", "execution_reply", "notification_reply"]


def _reply(frame: Frame, cn: str, cp: str) -> bytes:
    # Keep the version of the frame answered (HJ/T 212-2005 loggers send
    # version 0); default to HJ 212-2017, giving the standard's Flag=4.
    version = frame.version if frame.version is not None else FLAG_VERSION_2017
    return build_frame(
        cn=cn,
        cp=cp,
        qn=frame.qn,
        st=ST_SYSTEM_INTERACTION,
        pw=frame.pw,
        mn=frame.mn,
        flag=version << 2,
    )


def data_reply(frame: Frame) -> bytes:
    """Build the 9014 data reply (数据应答) to a data upload.

    Parameters
    ----------
    frame : Frame
        The upload being acknowledged.

    Returns
    -------
    bytes
        ``QN=<same>;ST=91;CN=9014;PW=<same>;MN=<same>;Flag=4;CP=&&&&`` framed.
    """
    return _reply(frame, "9014", "")


def request_reply(frame: Frame, qn_rtn: int = QnRtn.READY) -> bytes:
    """Build the 9011 request reply (请求应答) to a platform request.

    Parameters
    ----------
    frame : Frame
        The request being acknowledged.
    qn_rtn : int
        Return code, HJ 212-2017 §6.6.3 Table 7 (1 ready to execute,
        2 refused, 3 PW error, ... see :class:`~.codes.QnRtn`).
    """
    return _reply(frame, "9011", f"QnRtn={int(qn_rtn)}")


def execution_reply(frame: Frame, exe_rtn: int = ExeRtn.SUCCESS) -> bytes:
    """Build the 9012 execution result (执行结果) for a platform request.

    Parameters
    ----------
    frame : Frame
        The request whose execution is reported.
    exe_rtn : int
        Result code, HJ 212-2017 §6.6.2 Table 6 (1 success, 2 failed for an
        unknown reason, 3 bad request condition, ... 100 no data, see
        :class:`~.codes.ExeRtn`).
    """
    return _reply(frame, "9012", f"ExeRtn={int(exe_rtn)}")


def notification_reply(frame: Frame) -> bytes:
    """Build the 9013 notification reply (通知应答), ``CP=&&&&``."""
    return _reply(frame, "9013", "")
