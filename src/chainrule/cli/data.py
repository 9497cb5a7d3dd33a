"""The data sources of the ``chainrule`` command: one resolver for every command that reads data.

A source is one of

* a CSV file (the target in the last column, or ``target``; a header line
  and the delimiter are detected; text labels in the target column are
  numbered, the names kept as the classes; see :func:`chainrule.datasets.load_csv`);
* a toy set's name: ``xor``, ``moons``, ``circles``, ``spirals`` (``samples``
  points drawn from ``seed``; ``xor`` is always its 4 rows);
* ``fashion-mnist``: the training or test set (``split``), read from
  ``data_dir`` or where the Debian package puts the IDX files.

A name wins over a file of the same name in the working directory.

Every command that reads data takes the same options, added by
:func:`add_data_arguments`: ``--target`` (default: the last column),
``--delimiter``, ``--data-dir``, ``--samples`` and ``--data-seed``.
"""

from __future__ import annotations

import difflib
import errno
import os
from typing import Any, NamedTuple

import numpy as np

from .. import datasets

__all__ = [
    "FASHION",
    "SOURCES",
    "TOY_SETS",
    "Data",
    "add_data_arguments",
    "model_labels",
    "read_data",
    "resolve_data",
    "sources_help",
]

#: The toy 2-D sets, by name.
TOY_SETS: tuple[str, ...] = ("xor", "moons", "circles", "spirals")
#: The name of the Fashion-MNIST source.
FASHION = "fashion-mnist"
#: Every named source, in the order messages list them.
SOURCES: tuple[str, ...] = (*TOY_SETS, FASHION)

_SPLITS = ("train", "test")


#: The toy sets' defaults: ``--samples`` points drawn with ``--data-seed``.
TOY_SAMPLES = 200
TOY_SEED = 0


class Data(NamedTuple):
    """What :func:`read_data` read: X (n_samples, n_features), y (n_samples,) or None, and class names or None.

    ``encoded``: the labels were text in a CSV file, numbered here in sorted
    order (so a model's own class names, not these numbers, say which is which).
    """

    X: np.ndarray
    y: np.ndarray | None
    classes: list[str] | None
    encoded: bool = False


def sources_help() -> str:
    """The help text of a data argument: ``"a numeric CSV file, or one of xor, ..., fashion-mnist"``."""
    return f"a numeric CSV file, or one of {', '.join(SOURCES)}"


def add_data_arguments(p, positional: bool = True, purpose: str = "") -> None:
    """The data options every command shares: DATA (or ``--data``), ``--target``, ``--delimiter``,
    ``--data-dir``, ``--samples``, ``--data-seed``."""
    if positional:
        p.add_argument("data", help=sources_help())
    else:
        p.add_argument("--data", default=None, help=f"{sources_help()}{purpose} (default: none)")
    p.add_argument(
        "--target",
        default="-1",
        help="the CSV's target column: an index (-1: the last) or a header name; 'none': no target column",
    )
    p.add_argument(
        "--delimiter",
        default=None,
        help="the CSV's column separator (default: detected among , ; tab |)",
    )
    p.add_argument(
        "--data-dir",
        default=None,
        help=f"the directory of the Fashion-MNIST IDX files (default: {datasets.FASHION_MNIST_DIR})",
    )
    p.add_argument("--samples", type=int, default=TOY_SAMPLES, help="points of a toy set (not xor: always 4)")
    p.add_argument("--data-seed", type=int, default=TOY_SEED, help="the seed of a toy set's points")


def read_data(
    source: str | os.PathLike,
    target: Any = -1,
    samples: int = TOY_SAMPLES,
    seed: int = TOY_SEED,
    split: str = "test",
    data_dir: str | os.PathLike | None = None,
    delimiter: str | None = None,
    pixels: str = "float32",
) -> Data:
    """:func:`resolve_data` with the class names: those of a CSV's text labels, or Fashion-MNIST's.

    ``pixels``: Fashion-MNIST's images as ``"float32"`` values in [0, 1], or as their ``"uint8"`` bytes
    0..255, what a network with an ``input_scale`` (1/255) reads: the command line gives a model the
    pixels in the units it was trained on.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    if pixels not in ("float32", "uint8"):
        raise ValueError(f"pixels must be 'float32' or 'uint8'; got {pixels!r}")
    name = os.fspath(source)
    if name == FASHION:
        try:
            train, test = datasets.load_fashion_mnist(data_dir, dtype=pixels)
        except FileNotFoundError as exc:  # the library's message names path=...; here it is an option
            where = datasets.FASHION_MNIST_DIR if data_dir is None else os.fspath(data_dir)
            missing = str(exc).split(": ", 1)[1].split(" (raw or .gz)", 1)[0]
            raise FileNotFoundError(
                f"Fashion-MNIST files missing in {where}: {missing}; install them with `apt-get install "
                f"dataset-fashion-mnist` (Debian/Ubuntu), or give their directory with --data-dir DIR"
            ) from exc
        X, y = train if split == "train" else test
        return Data(X, y, list(datasets.FASHION_MNIST_CLASSES))
    if name == "xor":
        X, Y = datasets.xor()
        return Data(X, Y[:, 0].astype(np.int64), None)
    if name in TOY_SETS:
        X, y = getattr(datasets, name)(samples, seed=seed)
        return Data(X, y, None)
    if not os.path.exists(name):
        raise FileNotFoundError(errno.ENOENT, _unknown_source(name), name)
    X, y, classes = datasets.load_csv(name, target=_column(target), delimiter=delimiter, encode_labels=True)
    return Data(X, y, classes, classes is not None)


def model_labels(data: Data, class_names: list[str] | None) -> np.ndarray | None:
    """The data's labels as a model's class numbers: text labels go through the model's ``class_names``.

    Raises ValueError for a text label the model does not know, or text
    labels given to a model that has no class names.
    """
    if not data.encoded or data.y is None or data.classes is None:
        return data.y
    if class_names is None:
        raise ValueError(
            f"the target column holds text labels ({', '.join(data.classes[:3])}, ...) but the model has no class "
            f"names (it was trained on numbered classes): give the labels as the numbers it was trained on"
        )
    index = {name: k for k, name in enumerate(class_names)}
    unknown = [name for name in data.classes if name not in index]
    if unknown:
        raise ValueError(
            f"the target column holds the label {unknown[0]!r}, which the model does not know; "
            f"its classes are: {', '.join(class_names)}"
        )
    return np.array([index[name] for name in data.classes], dtype=np.int64)[data.y]


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
        such as ``"-1"``: the last) or by header name; ``None`` (or
        ``"none"``): no target (every column is a feature; ``y`` is None).
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
    X, y, _, _ = read_data(source, target, samples, seed, split, data_dir)
    return X, y


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
    if isinstance(target, str) and target.strip().lower() == "none":
        return None
    try:
        return int(target)
    except (TypeError, ValueError):
        return target
