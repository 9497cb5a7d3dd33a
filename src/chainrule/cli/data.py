"""The data sources of the ``chainrule`` command: one resolver for every command that reads data.

A source is one of

* a numeric CSV file (the target in the last column, or ``target``; a header
  line is detected; see :func:`chainrule.datasets.load_csv`);
* a toy set's name: ``xor``, ``moons``, ``circles``, ``spirals`` (``samples``
  points drawn from ``seed``; ``xor`` is always its 4 rows);
* ``fashion-mnist``: the training or test set (``split``), read from
  ``data_dir`` or where the Debian package puts the IDX files.

A name wins over a file of the same name in the working directory.
"""

from __future__ import annotations

import difflib
import errno
import os
from typing import Any

import numpy as np

from .. import datasets

__all__ = ["FASHION", "SOURCES", "TOY_SETS", "resolve_data", "sources_help"]

#: The toy 2-D sets, by name.
TOY_SETS: tuple[str, ...] = ("xor", "moons", "circles", "spirals")
#: The name of the Fashion-MNIST source.
FASHION = "fashion-mnist"
#: Every named source, in the order messages list them.
SOURCES: tuple[str, ...] = (*TOY_SETS, FASHION)

_SPLITS = ("train", "test")


def sources_help() -> str:
    """The help text of a data argument: ``"a numeric CSV file, or one of xor, ..., fashion-mnist"``."""
    return f"a numeric CSV file, or one of {', '.join(SOURCES)}"


def resolve_data(
    source: str | os.PathLike,
    target: Any = -1,
    samples: int = 200,
    seed: int = 0,
    split: str = "test",
    data_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Features and targets of a data source named on the command line.

    Parameters
    ----------
    source : str or os.PathLike
        A CSV file's path, a toy set's name (:data:`TOY_SETS`) or ``"fashion-mnist"``.
    target : int, str or None
        CSV only: the target column, by index (an int, or a string of digits
        such as ``"-1"``: the last) or by header name; ``None``: no target
        (every column is a feature; ``y`` is None).
    samples : int >= 1
        Toy sets but ``xor`` only: the number of points.
    seed : int
        Toy sets only: the seed of the points' noise.
    split : {"train", "test"}
        Fashion-MNIST only: the 60,000 training or the 10,000 test images.
    data_dir : str or os.PathLike, optional
        Fashion-MNIST only: the directory of the IDX files.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        float64 for CSV files and toy sets (``n_features`` 2); float32 pixels
        in [0, 1] for Fashion-MNIST (``n_features`` 784).
    y : ndarray of shape (n_samples,), or None
        int64 class labels when every target is a whole number (always so for
        toy sets and Fashion-MNIST), else float64; None for a CSV file read
        with ``target=None``.

    Raises
    ------
    FileNotFoundError
        When ``source`` is neither a known name nor an existing path; the
        message names the path and lists the valid names (and the nearest one).
    ValueError
        For a bad ``split``, a bad CSV file or target column, or bad toy-set
        parameters (see :func:`chainrule.datasets.load_csv` and the toy sets).
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    name = os.fspath(source)
    if name == FASHION:
        train, test = datasets.load_fashion_mnist(data_dir, dtype="float32")
        return train if split == "train" else test
    if name == "xor":
        X, Y = datasets.xor()
        return X, Y[:, 0].astype(np.int64)
    if name in TOY_SETS:
        return getattr(datasets, name)(samples, seed=seed)
    if not os.path.exists(name):
        raise FileNotFoundError(errno.ENOENT, _unknown_source(name), name)
    return datasets.load_csv(name, target=_column(target))


def _unknown_source(name: str) -> str:
    """The strerror of a source that is neither a file nor a known name: the problem, then the fix."""
    nearest = difflib.get_close_matches(name.lower(), SOURCES, n=1)
    hint = f" (did you mean {nearest[0]!r}?)" if nearest else ""
    return (
        f"No such file or directory, and not a known data set{hint}; "
        f"give a CSV file's path or one of {', '.join(SOURCES)}"
    )


def _column(target: Any) -> Any:
    """A CSV target column: ints and strings of digits as an index, other strings as a header name."""
    if target is None or isinstance(target, int):
        return target
    try:
        return int(target)
    except (TypeError, ValueError):
        return target
