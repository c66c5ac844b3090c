"""Owner-only files and folders for everything the gateway keeps on disk.

Message texts, notes, phone numbers, media and the secret key file are nobody else's
business on a shared machine: what the gateway creates is 0700 (folders) and 0600 (files),
whatever the process umask says. Folders that already exist are left as they are (a data
directory may be a mount point or a shared parent such as /tmp); files the gateway owns
(the SQLite database and its WAL/SHM companions) are tightened when found looser.
"""

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents as 0700 (``mkdir -p`` uses the umask)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it between the check and here
            continue
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask


def private_file(path: Path) -> None:
    """Make sure ``path`` exists and only its owner can read or write it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != PRIVATE_FILE:
            os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """0600 for an existing file of ours; nothing if it is not there."""
    try:
        if stat.S_IMODE(path.stat().st_mode) != PRIVATE_FILE:
            os.chmod(path, PRIVATE_FILE)
    except FileNotFoundError:
        pass


def open_private(path: Path) -> int:
    """A new file for writing, 0600 from its first byte (no window where it is readable)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
