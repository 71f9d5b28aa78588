"""Filing a judged station file: its bytes and its receipt in ``processed/`` or ``rejected/``.

The gateway removed the file from where it arrived once its bytes were in the spool; the sink puts them back,
as judged, next to where they arrived (the FTP drop folder ``<root>/<station>/``, or the watched folder), with
``<name>.receipt.json`` saying what became of the file. A station downloads its receipts by FTP.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ecosentry.subsystems.monitoring.vn.outcome import Outcome

__all__ = ["file_with_receipt"]


def file_with_receipt(data: bytes, outcome: Outcome, dest: Path) -> Path:
    """Write ``data`` as ``dest/processed/<name>`` (accepted, duplicate) or ``dest/rejected/<name>`` (rejected,
    quarantined) and ``<name>.receipt.json`` next to it. An existing file of the same name is never
    overwritten: the newcomer becomes ``<stem>~N<suffix>``. Each file appears whole (written aside, renamed).

    Returns
    -------
    Path
        Where the file now is.
    """
    folder = dest / ("processed" if outcome.accepted else "rejected")
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(outcome.file_name)
    target = folder / name.name
    n = 0
    while target.exists() or target.with_name(target.name + ".receipt.json").exists():
        n += 1
        target = folder / f"{name.stem}~{n}{name.suffix}"
    _write_atomic(target, data)
    _write_atomic(target.with_name(target.name + ".receipt.json"),
                  json.dumps(outcome.receipt(), ensure_ascii=False, indent=1).encode("utf-8"))
    return target


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
