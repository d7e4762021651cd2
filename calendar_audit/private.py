"""Files and folders that hold calendar data or credentials: owner-only from the first byte.

Folders the product creates are 0700; files it creates (store, token cache, audit log) are 0600 from the moment
they exist (``os.open`` with a mode, or a private temporary file renamed into place), never written first and
restricted afterwards. Files that already exist are never silently ``chmod``-ed: looser permissions get a warning
saying what to run, so a deliberate choice (e.g. a 0400 store) is the owner's.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700; folders that exist are left as they are."""
    missing: list[Path] = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # mkdir's mode passes through the umask; this folder is ours, just made


def create_private(path: Path) -> bool:
    """Create ``path`` empty and 0600 unless it exists; True when it was created now."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def append_private(path: Path, text: str) -> None:
    """Append ``text`` to ``path``, creating it 0600 (and its folders 0700) when new."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(text)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: written to a new 0600 file beside it, then renamed over it.

    The old file's permissions do not matter (the new inode is owner-only from its first byte), and a reader never
    sees a half-written file.
    """
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mkstemp: 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def warn_if_shared(path: Path, holds: str) -> bool:
    """Log a warning when others may read ``path`` (it is not changed); True when they may."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return False
    if mode & 0o077:
        log.warning("%s is readable by others (mode %s) and holds %s; run: chmod 600 %s", path, oct(mode)[2:],
                    holds, path)
        return True
    return False
