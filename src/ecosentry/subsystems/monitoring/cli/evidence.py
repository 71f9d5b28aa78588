"""``ecosentry alarm evidence --id N --output file.pdf``: the evidence pack (证据包) of an alarm as a PDF.

Wire into the main CLI with ``alarm_app.command("evidence")(evidence_command)``. Reads the database of
``ECOSENTRY_DATABASE_URL``. Exit codes: 0 written; 2 unknown alarm or bad option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ecosentry.said import N_

__all__ = ["evidence_command"]

EXIT_BAD_INPUT = 2


def evidence_command(
    alarm_id: int = typer.Option(..., "--id", help="alarm id (see /api/v1/alarms)"),
    output: Path = typer.Option(..., "--output", "-o", help="PDF file to write"),
    base_url: Optional[str] = typer.Option(None, "--base-url",
                                           help="base URL for the links (default: ECOSENTRY_ALARMS__BASE_URL)"),
    max_frames: Optional[int] = typer.Option(None, "--max-frames", min=0, help="raw frames listed at most (50)"),
) -> None:
    """Write the evidence pack of an alarm: header, explanation and rules, data window with chart and hourly
    table, marks, raw HJ 212 frames with their SHA-256, alarm history and links."""
    from ecosentry.alarms.store import AlarmNotFound
    from ecosentry.service import prepare_database
    from ecosentry.settings import get_settings
    from ecosentry.terminal.messages import error_line, say
    from ecosentry.subsystems.monitoring.reports.evidence import (
        EvidenceSettings,
        build_evidence_pack,
        evidence_pack_pdf,
    )

    st = get_settings()
    engine = prepare_database(st.database_url)
    try:
        settings = EvidenceSettings() if max_frames is None else EvidenceSettings(max_frames=max_frames)
        pack = build_evidence_pack(engine, alarm_id, base_url=base_url or st.alarms.base_url, settings=settings,
                                   lang=st.default_locale,
                                   default_tz=st.default_tz)
        from ecosentry.locale import translations

        data = evidence_pack_pdf(pack, translations(st.default_locale).gettext)  # the deployment's language
    except AlarmNotFound as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None
    finally:
        engine.dispose()
    output.write_bytes(data)
    typer.echo(say(N_("wrote %(output)s (%(bytes)s bytes, %(frames)s raw frames, SHA-256 %(sha256)s)"),
                   output=output, bytes=len(data), frames=len(pack.frames), sha256=pack.frames_sha256))
