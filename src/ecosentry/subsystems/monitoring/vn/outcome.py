"""What became of one Vietnamese station file: its receipt (``<name>.receipt.json``) and its file-log row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Outcome"]


@dataclass
class Outcome:
    """What became of one received file; its receipt (``<name>.receipt.json``) and its file-log row."""

    file_name: str
    status: str  # accepted | duplicate | rejected | quarantined
    received_at: datetime
    transport: str
    sha256: str
    size: int
    station: str | None = None
    point_id: int | None = None
    reason: str | None = None
    message: str | None = None
    line: int | None = None
    file_time: datetime | None = None
    delay_s: float | None = None
    late: bool = False
    backfill: bool = False
    n_lines: int | None = None
    n_readings: int | None = None
    unmapped: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peer: str | None = None
    spool: str | None = None
    spool_seq: int | None = None

    @property
    def accepted(self) -> bool:
        """Whether the file's data entered the platform (a duplicate's data did, the first time)."""
        return self.status in ("accepted", "duplicate")

    def receipt(self) -> dict:
        """The receipt written next to the moved file (JSON)."""
        return {
            "file": self.file_name, "accepted": self.accepted, "status": self.status, "reason": self.reason,
            "message": self.message, "line": self.line, "station": self.station,
            "received_at": self.received_at.isoformat(),
            "file_time": self.file_time.isoformat() if self.file_time else None,
            "delay_s": self.delay_s, "late": self.late, "backfill": self.backfill, "n_lines": self.n_lines,
            "n_readings": self.n_readings, "unmapped": self.unmapped, "notes": self.notes, "sha256": self.sha256,
            "transport": self.transport,
        }

    def log_row(self) -> dict:
        """The ``vn_files`` row."""
        return {
            "station": self.station or "?", "point_id": self.point_id, "file_name": self.file_name[:200],
            "file_time": self.file_time, "received_at": self.received_at, "delay_s": self.delay_s,
            "late": self.late, "backfill": self.backfill, "status": self.status, "reason": self.reason,
            "detail": self.message, "line": self.line, "sha256": self.sha256, "size": self.size,
            "n_lines": self.n_lines, "n_readings": self.n_readings, "unmapped": self.unmapped or None,
            "transport": self.transport, "peer": self.peer, "spool": self.spool, "spool_seq": self.spool_seq,
        }
