"""Input checks done once, where a value enters the library.

Every message names the argument, what was expected and what came, so a
user can fix the call without reading the source. The numerical core
trusts what passes these checks.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np


def lookup(table: Mapping[str, Any], name: Any, argument: str) -> Any:
    """Return ``table[name]``; an unknown name lists the valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be a name (str), one of {sorted(table)}; got {type(name).__name__} {name!r}")
    key = name.strip().lower()
    if key not in table:
        raise ValueError(f"unknown {argument} {name!r}; valid names are: {', '.join(sorted(table))}")
    return table[key]


def check_positive_int(value: Any, argument: str, minimum: int = 1) -> int:
    """An int >= ``minimum`` (bools are refused: ``True`` is not a size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument} must be an integer >= {minimum}; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{argument} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_positive_float(value: Any, argument: str, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{argument} must be a finite number {bound}; got {value!r}")
    return value


def check_float_in(value: Any, argument: str, low: float, high: float, *, high_open: bool = True) -> float:
    """A real number in ``[low, high)`` (or ``[low, high]``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    ok = low <= value < high if high_open else low <= value <= high
    if not ok:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{argument} must be in [{low}, {high}{bracket}; got {value!r}")
    return value


def as_float_array(
    data: Any,
    argument: str,
    dtype: np.dtype,
    *,
    ndim: int | None = 2,
    allow_bool: bool = True,
    finite: bool = True,
    keep_integers: bool = False,
) -> np.ndarray:
    """Convert ``data`` to a finite array of ``dtype`` with ``ndim`` dimensions.

    ``finite=False`` leaves out the check for NaN and inf, for a caller that makes it another way.
    ``keep_integers=True`` returns an integer array (not bool) in its own dtype, unconverted and
    unchecked for NaN (it has none): what a network with an input scale reads.

    Refuses non-numeric data (and, without ``allow_bool``, true/false),
    SciPy sparse and masked arrays, dates and durations, NaN and inf, empty
    arrays and the wrong number of dimensions. The caller's array is never modified; a new array is
    returned only when a conversion is needed.
    """
    if _is_sparse(data):
        raise TypeError(
            f"{argument} is a SciPy sparse {type(data).__name__}; chainrule trains on dense arrays: "
            f"pass {argument}.toarray()"
        )
    if isinstance(data, np.ma.MaskedArray) and np.ma.getmaskarray(data).any():
        raise TypeError(
            f"{argument} is a masked array with {int(np.ma.getmaskarray(data).sum())} masked values, and a mask "
            f"would be ignored: fill them ({argument}.filled(value)) or drop those rows"
        )
    try:
        array = np.asarray(data)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{argument} must be a numeric array; could not convert it: {exc}") from None
    if array.dtype.kind in "mM":
        raise TypeError(
            f"{argument} must hold numbers; got {array.dtype} (dates or durations): convert them to numbers "
            f"first, e.g. {argument} / np.timedelta64(1, 's') for seconds"
        )
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)):
        raise TypeError(f"{argument} must hold numbers; got an array of dtype {array.dtype}")
    if not allow_bool and array.dtype == np.bool_:
        raise TypeError(f"{argument} must hold numbers, not true/false; got an array of dtype bool")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{argument} must hold real numbers; got complex dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        hint = ""
        if ndim == 2 and array.ndim == 1:
            hint = (  # named after the argument: a 1-D Y must not be told to reshape X
                f"; a single sample needs shape (1, n_columns): use {argument}.reshape(1, -1), "
                f"and one column per sample {argument}.reshape(-1, 1)"
            )
        raise ValueError(f"{argument} must be a {ndim}-D array; got shape {array.shape}{hint}")
    if array.size == 0:
        raise ValueError(f"{argument} must not be empty; got shape {array.shape}")
    if keep_integers and array.dtype.kind in "iu":
        return array
    array = array.astype(dtype, copy=False)
    if finite and not _all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"{argument} must be finite; found {array[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return array


def _is_sparse(data: Any) -> bool:
    """Whether ``data`` is a SciPy sparse matrix or array (recognised without importing SciPy)."""
    return type(data).__module__.startswith("scipy.sparse") and hasattr(data, "toarray")


def _all_finite(array: np.ndarray) -> bool:
    """Whether every element is finite.

    For large arrays (a data set) one reduction answers first: it is NaN or
    inf when an element is, and it needs no boolean copy of the whole array
    (47 MB for Fashion-MNIST's images); only when it is not finite (or
    overflows) are the elements looked at one by one. For a contiguous
    float32 or float64 array that is the BLAS dot product x·x in the array's
    own dtype (18 ms on Fashion-MNIST's float32 images, against 46 ms for a
    float64 sum, which must convert every element); else a float64 sum.
    """
    if array.size > 1_000_000:
        with np.errstate(over="ignore", invalid="ignore"):
            if array.dtype in _BLAS_DTYPES and array.flags.c_contiguous:
                flat = array.reshape(-1)
                total = np.dot(flat, flat)  # Σx²: overflows (to an exact check) only past ~1e19 in float32
            else:
                total = np.sum(array, dtype=np.float64)
            if np.isfinite(total):
                return True
    return bool(np.isfinite(array).all())


_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
