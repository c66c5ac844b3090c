"""What the gateway keeps on disk is its owner's alone: folders 0700, files 0600, whatever
the umask (the default 022 would make them world-readable)."""

import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from wahooks.config import Settings
from wahooks.files import private_dir, tighten
from wahooks.media.local import LocalBlobStore
from wahooks.store import open_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_sqlite_database_wal_shm_key_file_and_folder_are_private(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    folder = tmp_path / "data" / "nested"
    database = folder / "wahooks.db"
    store = await open_store(Settings(database_url=f"sqlite:///{database}"))
    try:
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            assert path.exists(), path
            assert mode(path) == 0o600, (path, oct(mode(path)))
        assert mode(Path(f"{database}.secret-key")) == 0o600
        assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    finally:
        await store.close()
    assert mode(tmp_path) == 0o755  # a folder that was there already is left as it was


async def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    url = f"sqlite:///{database}"
    store = await open_store(Settings(database_url=url))
    await store.close()
    os.chmod(database, 0o644)
    store = await open_store(Settings(database_url=url))
    try:
        assert mode(database) == 0o600
    finally:
        await store.close()


async def test_media_folders_and_files_are_private(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "media", fsync=False)
    written = await blobs.write("ab/cd/file-1", chunks(b"secret photo"))
    assert written.size == 12
    assert mode(tmp_path / "media") == 0o700
    assert mode(tmp_path / "media" / "ab") == 0o700
    assert mode(tmp_path / "media" / "ab" / "cd") == 0o700
    assert mode(tmp_path / "media" / "ab" / "cd" / "file-1") == 0o600


def test_private_dir_and_tighten(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    private_dir(target)
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", target)] == [0o700] * 3
    private_dir(target)  # again: nothing to do, no error
    loose = tmp_path / "loose"
    loose.write_text("x")
    os.chmod(loose, 0o666)
    tighten(loose)
    assert mode(loose) == 0o600
    tighten(tmp_path / "absent")  # a companion file that does not exist is fine
