"""Files written whole or not at all: :func:`atomic_path`, the one way deepstep replaces a file.

A model file, a metrics file, a plot, a sweep's journal, a training log: each is written to a temporary file beside
its target and moved over it in one step, so that a reader (or a crash, or Ctrl-C) never sees half a file, and a
valid file is only ever replaced by a valid one.

>>> import os, tempfile
>>> from deepstep.atomic import atomic_path
>>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
>>> with atomic_path(path) as tmp:
...     _ = tmp.write_text("whole")
>>> open(path).read(), sorted(os.listdir(os.path.dirname(path)))
('whole', ['note.txt'])
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    A crash or error while writing leaves ``path`` as it was (old file or none)
    and removes the temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a file written in place would get 0666 - umask
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it (os.umask can only set it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and put back at once
    os.umask(mask)
    return mask
