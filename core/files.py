"""Files dipaudit writes (rejects CSVs, exported reports, the database itself).

They hold children's records, so each is private whatever the umask: 0600, or
0660 in a directory whose group is shared (setgid, the README's deployment).
Output is written atomically (a temporary file beside the target, then a rename),
never through a symbolic link, never onto a file the same command reads, never onto
the database, and only into a directory that already exists (nothing is created
where a mistyped ``--out ../../x`` points).

Spreadsheet cells that start like a formula are neutralised (OWASP "CSV injection")
by every CSV writer through ``safe_cell``.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError

PRIVATE = 0o600
GROUP_SHARED = 0o660
PRIVATE_DIR = 0o700
GROUP_SHARED_DIR = 0o2770


def private_mode(directory: str | Path) -> int:
    """0660 in a setgid (group-shared) directory, else 0600."""
    try:
        st = os.stat(directory)
    except OSError:
        return PRIVATE
    return GROUP_SHARED if st.st_mode & stat.S_ISGID else PRIVATE


def private_dir_mode(parent: str | Path) -> int:
    """A folder dipaudit makes: 0700, or 2770 inside a setgid (group-shared) folder."""
    return GROUP_SHARED_DIR if private_mode(parent) == GROUP_SHARED else PRIVATE_DIR


def make_private_dir(path: str | Path) -> Path:
    """Create ``path`` (and any missing parents, as ``mkdir -p`` would) with the folder
    itself private (``private_dir_mode`` of its parent) whatever the umask. An existing
    folder is left as it is."""
    path = Path(path)
    if path.is_dir():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = private_dir_mode(path.parent)
    try:
        path.mkdir(mode=mode & 0o777)
    except FileExistsError:
        return path  # made meanwhile by another process
    os.chmod(path, mode)  # mkdir's mode passes through the umask, and never sets setgid
    return path


def create_private(path: str | Path) -> bool:
    """Create an empty file at ``path`` with a private mode (``private_mode`` of its
    folder) whatever the umask, for a program (SQLite) that then opens it. Never through
    a symbolic link (raises ``IsALinkError``). False if the file exists already."""
    path = Path(path)
    mode = private_mode(path.parent if str(path.parent) else ".")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        if os.path.islink(path):
            raise IsALinkError(str(path)) from None
        return False
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return True


class IsALinkError(OSError):
    """A symbolic link where dipaudit would create a file."""


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_target(path: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse, as a one-line InputError naming the path, an output target that is a
    symbolic link, a directory or other non-regular file, one of ``inputs`` (or the
    database and its -wal/-shm, when passed), or in a directory that does not exist."""
    target = Path(path)
    name = str(target)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(name, f"cannot write here ({exc.strerror or exc})") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise InputError(name, "is a symbolic link; refusing to write through it (give another path)")
        if stat.S_ISDIR(st.st_mode):
            raise InputError(name, "is a directory; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(name, "is not a regular file; refusing to write to it")
        for other in inputs:
            try:
                if _same_file(st, os.stat(other)):
                    raise InputError(name, f"is the input file {other}; refusing to overwrite it"
                                     " (give another path)")
            except FileNotFoundError:
                continue
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(name, f"the folder {parent} does not exist; nothing was written")
    return target


def write_private(path: str | Path, data: bytes | str, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Write ``data`` to ``path`` atomically with a private mode (see the module docstring).

    ``inputs``: files this command reads (the import file, the database); the target
    may not be any of them. Raises InputError (one line) when it cannot be written.
    """
    inputs = list(inputs)
    target = check_target(path, inputs=inputs)
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = target.parent if str(target.parent) else Path(".")
    mode = private_mode(directory)
    tmp = directory / f".{target.name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, mode)
    except FileExistsError:
        # A leftover from a killed run of this same process id; it is ours to replace.
        os.unlink(tmp)
        fd = os.open(tmp, flags, mode)
    except OSError as exc:
        raise InputError(str(target), f"cannot write here ({exc.strerror or exc}); nothing was written") from None
    try:
        try:
            os.fchmod(fd, mode)  # the umask does not decide who can read a child's record
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        # Checked again just before the rename: a link planted meanwhile is refused too.
        check_target(target, inputs=inputs)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, InputError):
            raise InputError(str(target), f"cannot write here ({exc.strerror or exc}); nothing was written") from None
        raise
    return target


# A cell a spreadsheet would run as a formula (OWASP: = + - @ tab CR at the start).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text: a string that starts like a formula gets a
    leading apostrophe. Numbers (and strings that are plainly numbers, like ``-1``) and
    None pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
