"""What every command of the core and of the subsystems shares: the consoles, logging, running until a signal,
and (:mod:`.messages`) the sentences said in the terminal's language. Below the ``ecosentry.cli`` shell, which
assembles the commands, so a subsystem's commands use it without importing the shell.

``asyncio`` is imported by the functions that run an event loop, here and in the commands' modules: imported when
the command line is assembled, it (and ``ssl`` with it) cost every command ~18 ms of CPU, ``ecosentry detect``
included (issue 13 item 3)."""

from __future__ import annotations

import logging
import signal

from rich.console import Console

__all__ = ["console", "err", "setup_logging", "run_until_signal"]

console = Console()
err = Console(stderr=True)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def run_until_signal(main) -> None:
    """Run ``main(stop)``; SIGINT and SIGTERM set ``stop``."""
    import asyncio
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await main(stop)
