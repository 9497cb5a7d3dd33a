"""Worked-example files: a network, its weights, one step's data, and what a tutorial printed.

A file is JSON or TOML (by its suffix) with these tables::

    title = "Seed 003: 2-2-1 sigmoid network"      # optional
    source = "where the numbers were published"    # optional
    notes = ["anything a reader should know"]      # optional

    [network]            # the arguments of chainrule.Network
    sizes = [2, 2, 1]
    activation = "sigmoid"
    loss = "half_squared_error"
    reduction = "sum"
    bias = false

    [[layers]]           # optional: starting weights (else the network's seeded init)
    weights = [[0.1, 0.8], [0.4, 0.6]]
    [[layers]]
    weights = [[0.3, 0.9]]

    [step]
    inputs = [[0.35, 0.9]]       # (n_samples, n_inputs)
    targets = [[0.5]]            # (n_samples, n_outputs)
    learning_rate = 1.0

    [published]          # optional: trace paths -> numbers as printed (strings)
    "layers[0].z[0][0]" = "0.755"

    [annotations]        # optional: trace paths -> remarks on how a number was printed
    "layers[0].new_weights[0][1]" = "printed as '0.1 + ...' (typo): the old weight is 0.8"

TOML needs Python 3.11+ (``tomllib``) or the ``tomli`` package; JSON always works.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.network import Network
from .checker import check_example

__all__ = ["WorkedExample", "example_from_dict", "load_example"]

_TOP = ("title", "source", "notes", "network", "layers", "step", "published", "annotations")
_NETWORK = ("sizes", "activation", "output_activation", "loss", "reduction", "bias", "init", "seed")
_STEP = ("inputs", "targets", "learning_rate")


@dataclass
class WorkedExample:
    """A worked example: the network at its starting weights, one step's data, the printed numbers.

    Attributes
    ----------
    network : Network
    inputs : ndarray of shape (n_samples, n_inputs)
    targets : ndarray of shape (n_samples, n_outputs)
    learning_rate : float
    published : dict of str to str
        Trace paths to the numbers as printed.
    title, source : str
    notes : list of str
    annotations : dict of str to str
        Remarks on individual printed numbers (typos and the like).
    """

    network: Any
    inputs: np.ndarray
    targets: np.ndarray
    learning_rate: float
    published: dict[str, str] = field(default_factory=dict)
    title: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)

    def explain(self):
        """The true step as a :class:`~chainrule.teaching.trace.Trace`."""
        return self.network.explain(self.inputs, self.targets, self.learning_rate)

    def check(self):
        """The published numbers checked: a :class:`~chainrule.teaching.checker.CheckReport`."""

        report = check_example(self.network, self.inputs, self.targets, self.learning_rate, self.published)
        report.notes = list(self.notes) + [f"{path}: {text}" for path, text in self.annotations.items()]
        return report


def load_example(path: str | Path) -> WorkedExample:
    """Read a worked-example file (``.json`` or ``.toml``).

    Raises
    ------
    FileNotFoundError
        When the file does not exist (``IsADirectoryError`` for a directory,
        other ``OSError`` when it cannot be read).
    ValueError, TypeError
        When it cannot be parsed (not UTF-8, not JSON/TOML, nested too deeply)
        or a field is missing or wrong (a number too large for a float, true
        or false where numbers belong, a published value that is not a
        decimal number as printed); the message starts with the file name and
        names the field.
    MemoryError
        When the network it describes is too large to build; the message
        starts with the file name and names the sizes.

    These are the only exceptions it raises (the fuzz tests hold it to that).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ValueError(f"{path}: a worked-example file must end in .json or .toml; got {suffix or 'no suffix'!r}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {exc.start} is {raw[exc.start : exc.start + 1]!r}); save it as UTF-8"
        ) from None
    try:
        if suffix == ".json":
            data = json.loads(text)
        else:
            data = _toml().loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        raise ValueError(f"{path}: not valid {suffix[1:].upper()}: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path}: not a worked example: its tables or lists are nested too deeply") from None
    try:
        return example_from_dict(data)
    except (ValueError, TypeError, MemoryError) as exc:
        raise _with_file(exc, path) from None
    except (OverflowError, RecursionError) as exc:  # a huge integer (10**400) where a float goes; deep nesting
        raise ValueError(f"{path}: a value is too large or too deeply nested to read as numbers ({exc})") from None


def _with_file(exc: Exception, path: Path) -> Exception:
    """The same kind of error, its message starting with the file's name."""
    message = f"{path}: {exc}"
    try:
        return type(exc)(message)
    except TypeError:  # a subclass with its own arguments
        base = next(cls for cls in (ValueError, TypeError, MemoryError) if isinstance(exc, cls))
        return base(message)


def _toml():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ValueError(
                "reading TOML needs Python 3.11+ or the tomli package; use the JSON form of the file instead"
            ) from None
    return tomllib


def example_from_dict(data: Any) -> WorkedExample:
    """Build a :class:`WorkedExample` from the parsed contents of a file."""

    _check_table(data, "the file", _TOP, required=("network", "step"))
    network = data.get("network")
    _check_table(network, "network", _NETWORK, required=("sizes",))
    step = data.get("step")
    _check_table(step, "step", _STEP, required=_STEP)
    for key, value in (("inputs", step["inputs"]), ("targets", step["targets"])):
        _check_no_bools(value, f"step.{key}")
    net = Network(**network)
    layers = data.get("layers")
    if layers is not None:
        if not isinstance(layers, list) or len(layers) != len(net.layers):
            got = len(layers) if isinstance(layers, list) else type(layers).__name__
            raise ValueError(
                f"layers must be a list of {len(net.layers)} tables (one per layer of sizes {net.sizes}); got {got}"
            )
        for i, entry in enumerate(layers):
            _check_table(entry, f"layers[{i}]", ("weights", "bias"), required=("weights",))
            for key in ("weights", "bias"):
                _check_no_bools(entry.get(key), f"layers[{i}].{key}")
            try:
                net.layers[i].weights = entry["weights"]
                if "bias" in entry:
                    net.layers[i].bias = entry["bias"]
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"layers[{i}]: {exc}") from None
            if net.layers[i].bias is not None and "bias" not in entry:
                raise ValueError(
                    f"layers[{i}] needs a bias (the network has biases; set network.bias = false for a network without)"
                )
    published = data.get("published", {})
    _check_strings(published, "published")
    for key, text in published.items():
        _check_printed_number(text, f"published[{key!r}]")
    annotations = data.get("annotations", {})
    _check_strings(annotations, "annotations")
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise TypeError(f"notes must be a list of strings; got {notes!r}")
    X = net.check_X(step["inputs"], "step.inputs")
    Y = net.check_Y(step["targets"], X.shape[0], "step.targets")
    lr = step["learning_rate"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"step.learning_rate must be a number > 0; got {lr!r:.40}")
    if lr > sys.float_info.max or not math.isfinite(float(lr)):  # an int such as 10**400 has no float
        raise ValueError(f"step.learning_rate must be a finite number > 0; got {lr!r:.40}")
    for key in ("title", "source"):
        if not isinstance(data.get(key, ""), str):
            raise TypeError(f"{key} must be a string; got {data[key]!r}")
    return WorkedExample(
        net,
        X,
        Y,
        float(lr),
        dict(published),
        data.get("title", ""),
        data.get("source", ""),
        list(notes),
        dict(annotations),
    )


#: A number as a tutorial prints it: ASCII digits, an optional sign (also U+2212) and exponent, nothing around it.
_PRINTED = re.compile(r"[+\-\u2212]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-]?[0-9]+)?", re.ASCII)


def _check_printed_number(text: str, name: str) -> None:
    """A published value: a decimal number exactly as printed, finite as a float."""
    if text != text.strip():
        raise ValueError(f"{name} must be the number alone, without spaces or line breaks around it; got {text!r:.40}")
    if not _PRINTED.fullmatch(text):
        raise ValueError(
            f"{name} must be a decimal number as printed, in ASCII digits without separators, such as '0.5866' "
            f"or '-1.2e-3'; got {text!r:.40}"
        )
    if not math.isfinite(float(text.replace("\u2212", "-"))):
        raise ValueError(f"{name} must be a number within float range; got {text!r:.40}")


def _check_no_bools(value: Any, name: str) -> None:
    """No true/false among the numbers of a (nested) list: JSON and TOML booleans are not 1 and 0."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            raise TypeError(f"{name} must hold numbers; got {item!r} (true/false) among them")
        if isinstance(item, list):
            stack.extend(item)


def _check_table(value: Any, name: str, allowed: tuple, required: tuple = ()) -> None:
    if not isinstance(value, dict):
        raise ValueError(
            f"{name} must be a table (object) with keys among {', '.join(allowed)}; got {type(value).__name__}"
        )
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise ValueError(f"{name} has unknown key {unknown[0]!r}; valid keys are: {', '.join(allowed)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise ValueError(f"{name} is missing {missing[0]!r} (needs: {', '.join(required)})")


def _check_strings(value: Any, name: str) -> None:
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a table of trace paths to strings; got {type(value).__name__}")
    for key, text in value.items():
        if not isinstance(text, str):
            raise TypeError(
                f'{name}[{key!r}] must be a string (the number as printed, e.g. "0.5866"); '
                f"got {type(text).__name__} {text!r}"
            )
