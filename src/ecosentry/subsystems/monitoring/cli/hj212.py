"""``ecosentry hj212 ...``: inspect HJ 212-2017 frames from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import click
import typer


app = typer.Typer(
    help="HJ 212-2017 tools: decode frames sent by pollution-source data loggers.",
    no_args_is_help=True,
    add_completion=False,
)


def _stdin_lines() -> Iterator[bytes]:
    """Lines of stdin as bytes (frames are bytes; a text-only stdin is UTF-8 encoded)."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is not None:
        yield from binary
    else:
        for line in sys.stdin:
            yield line.encode("utf-8", "surrogateescape")


@app.callback()
def _main() -> None:
    """HJ 212-2017 tools: decode frames sent by pollution-source data loggers."""


@app.command("parse")
def parse(
    lenient_cn: bool = typer.Option(
        False, "--lenient-cn", help="Accept command codes (CN) the codec does not know."
    ),
) -> None:
    """Decode frames read from stdin, one per line; print one JSON object per line.

    Each line is a whole frame from '##' to the CRC; the trailing CR is
    optional. Blank lines are ignored. Output, one line per input frame:
    {"ok": true, "frame": {...}} or
    {"ok": false, "error": "<ErrorClass>", "detail": "...", "offending": "..."}.

    Exit code: 0 if at least one frame decoded (or there was no input),
    1 if every non-blank line was bad.
    """
    from ecosentry.protocols.hj212 import HJ212Error, frame_dict, parse_frame

    good = bad = 0
    for line in _stdin_lines():
        frame_bytes = line.rstrip(b"\n").rstrip(b"\r")
        if not frame_bytes.strip():
            continue
        try:
            result = {"ok": True, "frame": frame_dict(parse_frame(frame_bytes, strict_cn=not lenient_cn))}
            good += 1
        except HJ212Error as exc:
            result = {"ok": False, **exc.to_dict()}
            bad += 1
        click.echo(json.dumps(result, ensure_ascii=False))
    if bad and not good:
        raise typer.Exit(code=1)
