"""Data sets: the seeds' tiny examples first.

Samples are rows, as everywhere in chainrule.
"""

from __future__ import annotations

import numpy as np

__all__ = ["xor"]


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
