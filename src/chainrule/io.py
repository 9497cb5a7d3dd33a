"""Save and load networks: .npz arrays plus JSON metadata, never pickle.

A saved network is one ``.npz`` file (NumPy's zip of ``.npy`` arrays):

- ``layers.{i}.weights`` (n_out, n_in) and ``layers.{i}.bias`` (n_out,);
- ``optimizer.{j}.{name}``: the optimiser's state arrays (moments, momentum);
- ``metadata``: a 0-d unicode array holding JSON with the format name and
  version, the architecture (sizes, activations, loss, reduction, bias,
  init, dtype, seed), ``epochs_trained_``, the optimiser's config and
  counters, and the states of the network's random generators
  (``bit_generator.state`` of the shuffling and dropout generators).

Nothing is pickled and :func:`load` reads with ``allow_pickle=False``, so
loading a file can never run code. The write is atomic: a temporary file in
the same directory is written, flushed to disk and moved over ``path`` with
:func:`os.replace`, so a crash leaves the old file or the new one, never half.

After ``net = load(path)``, ``net.fit(...)`` with the same arguments
continues exactly (bit for bit) as the saved network would have.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np

from .activations import LeakyReLU

__all__ = ["save", "load", "FORMAT", "FORMAT_VERSION"]

FORMAT = "chainrule.network"
FORMAT_VERSION = 1


def _activation_spec(activation) -> Any:
    if isinstance(activation, LeakyReLU):
        return {"name": activation.name, "negative_slope": activation.negative_slope}
    return activation.name


def _activation_from_spec(spec: Any):
    from .activations import get_activation

    if isinstance(spec, dict):
        params = {k: v for k, v in spec.items() if k != "name"}
        return type(get_activation(spec["name"]))(**params)
    return get_activation(spec)


def _metadata(net) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {}
    for i, layer in enumerate(net.layers):
        arrays[f"layers.{i}.weights"] = layer.weights
        if layer.bias is not None:
            arrays[f"layers.{i}.bias"] = layer.bias
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": {
            "sizes": list(net.sizes),
            "activations": [_activation_spec(layer.activation) for layer in net.layers],
            "loss": net.loss_function.name,
            "reduction": net.reduction,
            "bias": net.bias,
            "init": net.init,
            "dtype": net.dtype.name,
        },
        "seed": int(net.seed_),
        "epochs_trained": int(net.epochs_trained_),
        "random_states": {
            "shuffle": net._shuffle_rng.bit_generator.state,
            "dropout": net._dropout_rng.bit_generator.state,
        },
        "optimizer": None,
    }
    opt = net.optimizer_
    if opt is not None:
        counters, state = opt.get_state()
        meta["optimizer"] = {"config": opt.get_config(), "counters": counters}
        for key, value in state.items():
            arrays[f"optimizer.{key}"] = value
    return meta, arrays


def save(net, path: str | os.PathLike) -> None:
    """Write ``net`` to ``path`` atomically (see the module's description of the format).

    Parameters
    ----------
    net : Network
    path : str or os.PathLike
        The file to write, kept as given (no ``.npz`` is appended).
    """
    path = os.fspath(path)
    meta, arrays = _metadata(net)
    arrays["metadata"] = np.array(json.dumps(meta))
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".chainrule-", suffix=".npz.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike):
    """Read a network written by :meth:`Network.save`; never unpickles.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Network
        With its weights, ``epochs_trained_``, optimiser (and its state) and
        random generators as they were saved.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a chainrule network (for instance a pickle, or
        an .npz holding object arrays), or has a newer format version.

    Examples
    --------
    >>> import os, tempfile, chainrule as cr
    >>> net = cr.Network([2, 3, 1], seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "xor.npz")
    >>> net.save(path)
    >>> bool((cr.load(path).predict([[0, 1]]) == net.predict([[0, 1]])).all())
    True
    """
    from .network import Network
    from .optimizers import optimizer_from_config

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path {path!r}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ValueError as exc:
        raise ValueError(
            f"path {path!r} is not a chainrule network file: it holds pickled objects, "
            f"which are never loaded (a saved network holds only numeric arrays and JSON) ({exc})"
        ) from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"path {path!r} is not a chainrule network file (.npz): {exc}") from None
    if not isinstance(arrays, dict) or "metadata" not in arrays:
        raise ValueError(f"path {path!r} is not a chainrule network file: no metadata entry")
    try:
        meta = json.loads(str(arrays.pop("metadata")))
    except json.JSONDecodeError as exc:
        raise ValueError(f"path {path!r}: the metadata is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"path {path!r} is not a chainrule network file: format is not {FORMAT!r}")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"path {path!r} has format_version {version!r}; this chainrule reads versions up to "
            f"{FORMAT_VERSION} (upgrade chainrule)"
        )
    arch = meta["architecture"]
    activations = [_activation_from_spec(spec) for spec in arch["activations"]]
    net = Network(arch["sizes"], activation=activations[:-1], output_activation=activations[-1],
                  loss=arch["loss"], reduction=arch["reduction"], bias=arch["bias"], init=arch["init"],
                  seed=meta["seed"], dtype=arch["dtype"])
    for i, layer in enumerate(net.layers):
        layer.weights = arrays[f"layers.{i}.weights"]
        if layer.bias is not None:
            layer.bias = arrays[f"layers.{i}.bias"]
    net.epochs_trained_ = int(meta["epochs_trained"])
    net._shuffle_rng.bit_generator.state = meta["random_states"]["shuffle"]
    net._dropout_rng.bit_generator.state = meta["random_states"]["dropout"]
    if meta.get("optimizer") is not None:
        opt = optimizer_from_config(meta["optimizer"]["config"])
        prefix = "optimizer."
        state = {k[len(prefix):]: v.astype(net.dtype, copy=False)
                 for k, v in arrays.items() if k.startswith(prefix)}
        opt.set_state(meta["optimizer"]["counters"], state)
        net.optimizer_ = opt
    return net
