"""What the data-set tests share: Pillow and h5py (the tests that import this are skipped without them) and
the writer of cat-like HDF5 files."""

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")
h5py = pytest.importorskip("h5py")


def write_cat_file(path, prefix, x, y, classes=(b"non-cat", b"cat"), skip=()):
    """An HDF5 file laid out as the course's: ``{prefix}_set_x``, ``{prefix}_set_y`` and ``list_classes``.

    ``x`` is the pictures' array, or a tuple: a uint8 array of that shape declared but never written (chunked,
    so the file stays small), or the string "group": an HDF5 group where the pictures belong.  Keys in ``skip``
    are left out.
    """
    with h5py.File(path, "w") as f:
        for key, value in ((f"{prefix}_set_x", x), (f"{prefix}_set_y", y), ("list_classes", np.array(classes))):
            if key in skip:
                continue
            if isinstance(value, str):
                f.create_group(key)
            elif isinstance(value, tuple):
                f.create_dataset(key, shape=value, dtype=np.uint8, chunks=True)
            else:
                f[key] = value
