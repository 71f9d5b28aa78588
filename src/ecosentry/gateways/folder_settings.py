"""Settings of the folder watcher (Vietnamese station files arriving by other means than the FTP gateway): a
section of :class:`ecosentry.settings.Settings`, kept apart from the watcher so the settings import no gateway."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["FolderSettings"]


class FolderSettings(BaseModel):
    """Folder watcher settings: the section ``vn_folder`` of the settings (``ECOSENTRY_VN_FOLDER__DIRS`` …; the
    former ``ECOSENTRY_VN_FOLDER_DIRS`` is still read)."""

    model_config = ConfigDict(extra="forbid")

    #: Folders watched (JSON list in the environment: ``ECOSENTRY_VN_FOLDER__DIRS='["/srv/ftp"]'``).
    dirs: list[Path] = []
    #: Seconds between polls. [s]
    poll_interval: float = 2.0
    #: Polls over which size and modification time must stay the same. [-]
    stable_polls: int = 2
    #: And the file must have been untouched for this long. [s]
    quiet_s: float = 2.0
