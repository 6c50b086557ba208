"""Where a SQLite database file goes, checked before anything is built there (stdlib only: the CLI
imports it to word the error)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class UnwritableStore(ValueError):
    """The database file, or the folder it belongs in, is not writable by this process."""

    def __init__(self, path: Path, blocker: Path) -> None:
        super().__init__(f"cannot write the database {path}: {blocker} is not writable")
        self.path = path
        self.blocker = blocker


def check_writable(path: Path) -> None:
    """Refuse a SQLite file this process could open but never write, before anything is built: SQLite
    writes the file and, in WAL mode, `-wal` and `-shm` files beside it (and the template is saved
    there too), so the file if it exists and its folder (else the nearest one that exists, where the
    missing ones would be made) must be writable.

    The folder is tried for real, with a file made and removed at once: that also answers for read-only
    mounts and for root. The database file itself is only asked about (`os.access`): opening and
    closing it here would drop the SQLite locks this process may hold on it."""
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UnwritableStore(path, path)
    folder = path.parent
    while not os.path.exists(folder) and folder != folder.parent:
        folder = folder.parent
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.write-check-"):
            pass
    except OSError:
        raise UnwritableStore(path, folder) from None
