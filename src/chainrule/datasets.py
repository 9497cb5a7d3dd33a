"""Data sets: the seeds' tiny examples first, then real data.

Samples are rows, as everywhere in chainrule.

- :func:`xor`: the seeds' truth table.
- :func:`read_idx` / :func:`write_idx`: the IDX format of MNIST and
  Fashion-MNIST (raw or gzipped).
- :func:`load_fashion_mnist`: Zalando's Fashion-MNIST, by default from the
  Debian package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/``).
- :func:`one_hot`, :func:`standardize`, :func:`train_validation_split`,
  :func:`load_csv`: the small helpers real training needs.
"""

from __future__ import annotations

import csv
import gzip
import os
from typing import Any

import numpy as np

from ._validation import check_float_in, check_positive_int

__all__ = [
    "CSV_DELIMITERS",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIR",
    "circles",
    "load_csv",
    "load_fashion_mnist",
    "moons",
    "one_hot",
    "read_idx",
    "spirals",
    "standardize",
    "train_validation_split",
    "write_idx",
    "xor",
]


def xor(dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table of seeds 000 and 002.

    Parameters
    ----------
    dtype : {"float64", "float32"}

    Returns
    -------
    X : ndarray of shape (4, 2)
        The inputs (0, 0), (0, 1), (1, 0), (1, 1), one per row.
    Y : ndarray of shape (4, 1)
        Their XOR: 0, 1, 1, 0.

    Examples
    --------
    >>> X, Y = xor()
    >>> X.shape, Y.ravel().tolist()
    ((4, 2), [0.0, 1.0, 1.0, 0.0])
    """
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    Y = np.array([[0], [1], [1], [0]], dtype=dtype)
    return X, Y


# -- IDX ------------------------------------------------------------------------

#: IDX type codes (third byte of the magic number) and their big-endian dtypes.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dt.newbyteorder("=").str[1:]: code for code, dt in _IDX_TYPES.items()}


def _open(path: str, mode: str):
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, mode) if gzipped else open(path, mode)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format of MNIST and Fashion-MNIST), raw or gzipped.

    The format: two zero bytes, a type code (0x08 unsigned byte, 0x09 signed
    byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of
    dimensions d, then d big-endian uint32 sizes, then the data, big-endian,
    row-major. Gzip is recognised by its magic bytes, not by the file name.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    ndarray of shape (size_0, ..., size_{d-1})
        In native byte order; images of ``train-images-idx3-ubyte`` are
        uint8 of shape (60000, 28, 28).

    Raises
    ------
    ValueError
        When the header is not IDX or the data are shorter or longer than it says.
    """
    path = os.fspath(path)
    with _open(path, "rb") as fh:
        magic = fh.read(4)
        if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES:
            raise ValueError(
                f"path {path!r} is not an IDX file: expected a magic number 0x0000TTDD with type TT in "
                f"{sorted(hex(c) for c in _IDX_TYPES)}; got {magic.hex() or 'an empty file'}"
            )
        dtype, ndim = _IDX_TYPES[magic[2]], magic[3]
        sizes = fh.read(4 * ndim)
        if len(sizes) < 4 * ndim:
            raise ValueError(f"path {path!r}: IDX header announces {ndim} dimensions but the file ends first")
        shape = tuple(int(d) for d in np.frombuffer(sizes, dtype=">u4"))
        # Read straight into the array: no second copy of the data (60,000 images).
        array = np.empty(shape, dtype=dtype)
        got = fh.readinto(memoryview(array.reshape(-1).view(np.uint8)))
        extra = len(fh.read(1))
    if got != array.nbytes or extra:
        raise ValueError(
            f"path {path!r}: IDX header announces shape {shape} ({array.nbytes} bytes of data); "
            f"got {'more' if extra else got} bytes"
        )
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))
    return array


def write_idx(path: str | os.PathLike, array: Any, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzipped when ``compress``, or when ``path`` ends in ``.gz``).

    Parameters
    ----------
    path : str or os.PathLike
    array : array-like of dtype uint8, int8, int16, int32, float32 or float64
    compress : bool, optional
    """
    path = os.fspath(path)
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=").str[1:] if array.dtype.byteorder not in "|" else array.dtype.str[1:]
    if key not in _IDX_CODES:
        raise TypeError(
            f"array must have an IDX dtype (uint8, int8, int16, int32, float32, float64); got {array.dtype}"
        )
    if array.ndim > 255:
        raise ValueError(f"array must have at most 255 dimensions; got {array.ndim}")
    code = _IDX_CODES[key]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    body = np.ascontiguousarray(array, dtype=_IDX_TYPES[code]).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    opener = gzip.open if compress else open
    with opener(path, "wb") as fh:
        fh.write(header + body)


# -- Fashion-MNIST ---------------------------------------------------------------

#: Where the Debian package ``dataset-fashion-mnist`` puts the files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

#: The ten classes of Fashion-MNIST, by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

_FASHION_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find(directory: str, stem: str) -> str | None:
    for name in (stem + ".gz", stem):
        candidate = os.path.join(directory, name)
        if os.path.exists(candidate):
            return candidate
    return None


def load_fashion_mnist(path: str | os.PathLike | None = None, dtype: str = "float32", flatten: bool = True):
    """Fashion-MNIST: 60,000 training and 10,000 test images of 28×28 pixels, 10 classes.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The directory holding ``train-images-idx3-ubyte``,
        ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte`` (each raw or ``.gz``). Default:
        :data:`FASHION_MNIST_DIR`, where ``apt-get install dataset-fashion-mnist``
        puts them.
    dtype : {"float32", "float64", "uint8"}
        Pixels scaled to [0, 1] as float32/float64
        (``np.multiply(bytes, dtype(1/255))``), or the raw bytes 0..255: a
        quarter of float32's memory (55 MB against 219 MB for both sets),
        which a network built with ``input_scale=1/255`` trains on as they
        are, scaling each mini-batch as it is drawn, to the bits of the
        float32 pixels (``cr.Network(..., dtype="float32", input_scale=1/255)``).
    flatten : bool
        Images as rows of 784 pixels (the input of a dense network), or (28, 28).

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X_*`` of shape (n, 784) (or (n, 28, 28)); ``y_*`` int64 labels in
        0..9 of shape (n,), names in :data:`FASHION_MNIST_CLASSES`.

    Raises
    ------
    FileNotFoundError
        When a file is missing; the message says how to install the data or
        where to point ``path``.
    """
    directory = FASHION_MNIST_DIR if path is None else os.fspath(path)
    if dtype not in ("float32", "float64", "uint8"):
        raise ValueError(f"dtype must be 'float32', 'float64' or 'uint8'; got {dtype!r}")
    found = {key: _find(directory, stem) for key, stem in _FASHION_FILES.items()}
    missing = [_FASHION_FILES[key] for key, file in found.items() if file is None]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST files missing in {directory}: {', '.join(missing)} (raw or .gz). "
            f"Install them with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu, into "
            f"{FASHION_MNIST_DIR}), or download the four IDX files and pass "
            f"load_fashion_mnist(path='their/directory')"
        )
    out = []
    for part in ("train", "test"):
        images = read_idx(found[f"{part}_images"])
        labels = read_idx(found[f"{part}_labels"]).astype(np.int64)
        if images.ndim != 3 or labels.shape != images.shape[:1]:
            raise ValueError(
                f"{found[part + '_images']}: expected images (n, 28, 28) and n labels; "
                f"got {images.shape} and {labels.shape}"
            )
        if flatten:
            images = images.reshape(len(images), -1)
        if dtype != "uint8":
            # Scale straight into the target dtype: no float64 copy of 60,000 images.
            scaled = np.empty(images.shape, dtype=dtype)
            np.multiply(images, np.array(1.0 / 255.0, dtype=dtype), out=scaled)
            images = scaled
        out.append((images, labels))
    return out[0], out[1]


# -- helpers --------------------------------------------------------------------


def one_hot(labels: Any, n_classes: int | None = None, dtype: str = "float64") -> np.ndarray:
    """Integer labels (n,) as one-hot rows (n, n_classes).

    Examples
    --------
    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be a 1-D array of integers; got shape {labels.shape}, dtype {labels.dtype}")
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    n_classes = check_positive_int(n_classes, "n_classes")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must be in [0, {n_classes}) for n_classes={n_classes}; "
            f"got values in [{labels.min()}, {labels.max()}]"
        )
    out = np.zeros((labels.size, n_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def standardize(X: Any, mean: Any = None, std: Any = None, epsilon: float = 1e-8):
    """Scale the columns of X to mean 0 and standard deviation 1.

    Learn ``mean`` and ``std`` on the training set and pass them for the test
    set, so both are scaled alike. Constant columns (std < ``epsilon``) are
    only centred.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    mean, std : array-like of shape (n_features,), optional

    Returns
    -------
    X_scaled : ndarray of shape (n_samples, n_features), X's float dtype
    mean, std : ndarray of shape (n_features,)
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features); got shape {X.shape}")
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
    if (mean is None) != (std is None):
        raise ValueError("mean and std must be given together (both learnt from the training set) or neither")
    if mean is None:
        mean = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    if mean.shape != (X.shape[1],) or std.shape != (X.shape[1],):
        raise ValueError(f"mean and std must have shape ({X.shape[1]},); got {mean.shape} and {std.shape}")
    safe = np.where(std < epsilon, 1.0, std)
    scaled = ((X - mean.astype(dtype)) / safe.astype(dtype)).astype(dtype, copy=False)
    return scaled, mean, std


def train_validation_split(X: Any, y: Any, validation_fraction: float = 0.1, seed: int | None = None):
    """Shuffle (from ``seed``) and split into training and validation parts.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
    y : array-like of shape (n_samples, ...)
    validation_fraction : float in (0, 1)
    seed : int, optional

    Returns
    -------
    X_train, X_val, y_train, y_val
        The caller's arrays are not modified.

    Examples
    --------
    >>> import numpy as np
    >>> X_tr, X_val, y_tr, y_val = train_validation_split(np.arange(10).reshape(5, 2), np.arange(5), 0.4, seed=0)
    >>> X_tr.shape, X_val.shape
    ((3, 2), (2, 2))
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows; got {len(X)} and {len(y)}")
    fraction = check_float_in(validation_fraction, "validation_fraction", 0.0, 1.0)
    n_val = int(round(len(X) * fraction))
    if fraction == 0.0 or n_val == 0 or n_val == len(X):
        raise ValueError(
            f"validation_fraction={validation_fraction!r} of {len(X)} samples leaves an empty part; "
            f"use a fraction in (0, 1) that keeps at least one sample on each side"
        )
    order = np.random.default_rng(seed).permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    return X[train], X[val], y[train], y[val]


#: The delimiters ``load_csv`` recognises when it is given none.
CSV_DELIMITERS = ",;\t|"


def load_csv(
    path: str | os.PathLike,
    target: int | str | None = -1,
    delimiter: str | None = None,
    header: bool | None = None,
    encode_labels: bool = False,
):
    r"""Read a numeric CSV file into features and targets (used by the CLI).

    Parameters
    ----------
    path : str or os.PathLike
    target : int, str or None
        The target column, by index (``-1``: the last) or by header name;
        ``None``: no target (all columns are features, for prediction).
    delimiter : str, optional
        The column separator; by default detected (:class:`csv.Sniffer`)
        among comma, semicolon, tab and ``|`` (:data:`CSV_DELIMITERS`).
    header : bool, optional
        Whether the first line holds column names; by default, guessed (a
        first line that does not parse as numbers is a header).
    encode_labels : bool
        Text in the target column (class names such as ``cat``) is refused
        unless this is True: the names, sorted, are then the classes 0..k-1,
        and a third value is returned, the list of names (``None`` when the
        target column is numeric).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,) or None
        Integer labels (int64) when every target is a whole number of at
        most 2^53 in magnitude (or was text, encoded), else float64.
    classes : list of str or None
        Only with ``encode_labels=True``: class k's name at index k.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a numeric CSV file this can read (not UTF-8
        text, a cell that is not a number, rows of different lengths, a
        header of another width, no data rows, no feature column), or the
        target column is not found or out of range; the fuzz tests hold it
        to these two. For a cell that is not a number the message gives its
        line and column (both counted from 1, as an editor shows them) and
        the column's name, with a hint (another delimiter, text labels to encode).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pets.csv"
    >>> _ = path.write_text("height;weight;kind\n30;4.1;cat\n60;20;dog\n25;3.5;cat\n")
    >>> X, y, classes = load_csv(path, encode_labels=True)
    >>> X.shape, y.tolist(), classes
    ((3, 2), [0, 1, 0], ['cat', 'dog'])
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"path {path!r}: not a numeric CSV file: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    lines = text.splitlines()
    filled = [line for line in lines[:100] if line.strip()][:2]
    first, second = ([[c.strip() for c in cells] for cells in csv.reader(filled, delimiter=delimiter)] + [[], []])[:2]
    names = first
    if header is None:
        header = _looks_like_header(first, second)
    rows: list[tuple[int, list[str]]] = []  # (line number from 1, cells)
    seen_first = False
    for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        if not any(c.strip() for c in cells):
            continue
        if header and not seen_first:
            seen_first = True
            continue
        seen_first = True
        rows.append((number, [c.strip() for c in cells]))
    if not rows:
        raise ValueError(f"path {path!r}: no data rows")
    width = len(rows[0][1])
    column_names = names if header else [""] * width
    if header and len(names) != width:
        raise ValueError(f"path {path!r}: the header names {len(names)} columns but the rows have {width}")

    def where(number: int, j: int) -> str:
        name = f" ({column_names[j]!r})" if header and j < len(column_names) and column_names[j] else ""
        return f"path {path!r}: not a numeric CSV file: line {number}, column {j + 1}{name}"

    if width == 1 and _delimiter_hint(rows[0][1], delimiter):
        raise ValueError(
            f"path {path!r}: not a numeric CSV file: line {rows[0][0]} is one column"
            + _delimiter_hint(rows[0][1], delimiter)
        )
    for number, cells in rows:
        if len(cells) != width:
            raise ValueError(
                f"path {path!r}: line {number} has {len(cells)} columns; line {rows[0][0]} has {width}"
                + _delimiter_hint(cells, delimiter)
            )
    column = None if target is None else _target_column(target, names if header else None, width)
    text_labels: list[str] | None = None
    try:  # numbers only: NumPy converts the strings at C speed
        data = np.array([cells for _, cells in rows], dtype=np.float64)
    except ValueError:  # find the first cell that is not a number, and say where it is
        data = np.empty((len(rows), width), dtype=np.float64)
        for i, (number, cells) in enumerate(rows):
            for j, cell in enumerate(cells):
                try:
                    data[i, j] = float(cell)
                except ValueError:
                    if j != column:
                        raise ValueError(
                            f"{where(number, j)}: could not read {cell!r} as a number"
                            + _delimiter_hint([cell], delimiter)
                        ) from None
                    if not encode_labels:
                        raise ValueError(
                            f"{where(number, j)}: the target column holds text ({cell!r}); class labels must be "
                            f"integers 0..k-1: pass encode_labels=True to number the names (chainrule train does, "
                            f"and saves the names with the model)"
                        ) from None
                    text_labels = []  # the names are read below, from every row
                    data[i, j] = 0.0
        if text_labels is not None and column is not None:
            text_labels = [cells[column] for _, cells in rows]
    bad = ~np.isfinite(data)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"{where(rows[i][0], j)}: {rows[i][1][j]!r} is not a finite number")
    if column is None:
        return (data, None, None) if encode_labels else (data, None)
    X = np.delete(data, column, axis=1)
    if X.shape[1] == 0:
        raise ValueError(f"path {path!r}: only the target column; no features left")
    classes = None
    y: np.ndarray
    if text_labels is not None:
        classes = sorted(set(text_labels))
        index = {name: k for k, name in enumerate(classes)}
        y = np.array([index[name] for name in text_labels], dtype=np.int64)
    else:
        y = data[:, column]
        if np.all(y == np.round(y)) and np.all(np.abs(y) <= _LARGEST_LABEL):
            y = y.astype(np.int64)
    return (X, y, classes) if encode_labels else (X, y)


#: Whole-number targets up to this size become int64 labels (2^53: every integer float64 holds exactly);
#: beyond it they are measurements, and stay float64.
_LARGEST_LABEL = 2.0**53


def _looks_like_header(first: list[str], second: list[str]) -> bool:
    """Whether a first line holds names: all text, or text above a number (a text label column is not a header)."""
    text = [not _is_number(c) for c in first]
    if all(text) or not second:
        return any(text)
    return any(t and _is_number(c) for t, c in zip(text, second))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text among :data:`CSV_DELIMITERS` (a comma when nothing else fits)."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:  # one column, or nothing to tell
        return ","


def _delimiter_hint(cells: list[str], delimiter: str) -> str:
    others = [d for d in CSV_DELIMITERS if d != delimiter and any(d in c for c in cells)]
    if not others:
        return ""
    d = others[0]
    shown = "\\t" if d == "\t" else d
    return (
        f"; the line holds {shown!r} but the delimiter is {delimiter!r}: is the file {shown!r}-separated? "
        f"pass delimiter={shown!r} (chainrule: --delimiter {shown!r})"
    )


def _target_column(target: int | str, names: list[str] | None, width: int) -> int:
    if isinstance(target, str):
        if names is None or target not in names:
            raise ValueError(f"target column {target!r} not found; the columns are {names if names else 'unnamed'}")
        return names.index(target)
    column = int(target)
    if not -width <= column < width:
        raise ValueError(f"target column {column} out of range for {width} columns")
    return column % width


# -- toy 2-D sets (decision-boundary plots) ---------------------------------------


def _toy_check(n_samples: Any, noise: Any, dtype: str) -> tuple[int, float]:
    n_samples = check_positive_int(n_samples, "n_samples")
    if (
        isinstance(noise, bool)
        or not isinstance(noise, (int, float, np.integer, np.floating))
        or not np.isfinite(noise)
        or noise < 0
    ):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}")
    return n_samples, float(noise)


def _split_counts(n_samples: int, n_classes: int) -> list[int]:
    """n_samples shared out over the classes, the first ones getting the remainder."""
    return [n_samples // n_classes + (1 if k < n_samples % n_classes else 0) for k in range(n_classes)]


def _toy_finish(parts: list[np.ndarray], rng: np.random.Generator, noise: float, dtype: str):
    X = np.concatenate(parts)
    y = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(parts)])
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return X.astype(dtype), y


def moons(
    n_samples: int = 200, noise: float = 0.1, seed: int | None = None, dtype: str = "float64"
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below), as in scikit-learn.

    Parameters
    ----------
    n_samples : int >= 1
        The total; class 0 gets the extra sample when it is odd.
    noise : float >= 0
        Standard deviation of Gaussian noise added to every coordinate.
    seed : int, optional
    dtype : {"float64", "float32"}

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int64 labels 0 and 1

    Examples
    --------
    >>> X, y = moons(6, noise=0.0)
    >>> X.shape, y.tolist()
    ((6, 2), [0, 0, 0, 1, 1, 1])
    >>> X[0].tolist(), X[3].tolist()
    ([1.0, 0.0], [0.0, 0.5])
    """
    n_samples, noise = _toy_check(n_samples, noise, dtype)
    rng = np.random.default_rng(seed)
    n0, n1 = _split_counts(n_samples, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    return _toy_finish([upper, lower], rng, noise, dtype)


def circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = None, dtype: str = "float64"
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1) inside a large one (class 0), both centred at the origin.

    Parameters
    ----------
    n_samples : int >= 1
    noise : float >= 0
        Standard deviation of Gaussian noise added to every coordinate.
    factor : float in (0, 1)
        Radius of the inner circle; the outer one has radius 1.
    seed : int, optional
    dtype : {"float64", "float32"}

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int64 labels 0 (outer) and 1 (inner)

    Examples
    --------
    >>> import numpy as np
    >>> X, y = circles(8, noise=0.0, factor=0.5)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 12).tolist(), y.tolist()
    ([1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5], [0, 0, 0, 0, 1, 1, 1, 1])
    """
    n_samples, noise = _toy_check(n_samples, noise, dtype)
    factor = check_float_in(factor, "factor", 0.0, 1.0)
    if factor == 0.0:
        raise ValueError("factor must be in (0, 1): the inner circle's radius; got 0.0")
    rng = np.random.default_rng(seed)
    parts = []
    for radius, n in zip((1.0, factor), _split_counts(n_samples, 2)):
        t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
        parts.append(radius * np.column_stack([np.cos(t), np.sin(t)]))
    return _toy_finish(parts, rng, noise, dtype)


def spirals(
    n_samples: int = 200,
    noise: float = 0.1,
    n_classes: int = 2,
    turns: float = 1.5,
    seed: int | None = None,
    dtype: str = "float64",
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (TensorFlow Playground's hardest set).

    Arm k starts at the origin and turns ``turns`` times, rotated by
    ``2·pi·k / n_classes``; the radius grows from 0 to 1 along the arm.

    Parameters
    ----------
    n_samples : int >= 1
    noise : float >= 0
        Standard deviation of Gaussian noise added to every coordinate.
    n_classes : int >= 2
    turns : float > 0
    seed : int, optional
    dtype : {"float64", "float32"}

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int64 labels 0 .. n_classes - 1

    Examples
    --------
    >>> X, y = spirals(9, noise=0.0, n_classes=3)
    >>> X.shape, y.tolist()
    ((9, 2), [0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> float(abs(X).max()) <= 1.0
    True
    """
    n_samples, noise = _toy_check(n_samples, noise, dtype)
    n_classes = check_positive_int(n_classes, "n_classes")
    if n_classes < 2:
        raise ValueError(f"n_classes must be >= 2; got {n_classes}")
    if (
        isinstance(turns, bool)
        or not isinstance(turns, (int, float, np.integer, np.floating))
        or not np.isfinite(turns)
        or turns <= 0
    ):
        raise ValueError(f"turns must be a finite number > 0; got {turns!r}")
    rng = np.random.default_rng(seed)
    parts = []
    for k, n in enumerate(_split_counts(n_samples, n_classes)):
        r = np.linspace(0.0, 1.0, n)
        t = 2.0 * np.pi * (float(turns) * r + k / n_classes)
        parts.append(np.column_stack([r * np.cos(t), r * np.sin(t)]))
    return _toy_finish(parts, rng, noise, dtype)
