"""Save and load networks: .npz arrays plus JSON metadata, never pickle.

A saved network is one ``.npz`` file (NumPy's zip of ``.npy`` arrays):

- ``layers.{i}.weights`` (n_out, n_in) and ``layers.{i}.bias`` (n_out,);
- ``optimizer.{j}.{name}``: the optimiser's state arrays (moments, momentum);
- ``metadata``: a 0-d unicode array holding JSON with the format name and
  version, the architecture (sizes, activations, loss, reduction, bias,
  init, dtype, input_scale (null for none; files written before it had no
  such key and load as None), seed), ``epochs_trained_``, the optimiser's config and
  counters, and the states of the network's random generators
  (``bit_generator.state`` of the shuffling and dropout generators), and
  ``class_names`` when the network has them.
  ``epoch_progress``: null, or where an interrupted epoch stopped (its
  batch index, the shuffling generator's state at the epoch's start, the
  running loss and counts), so that training resumes it bit for bit.

Nothing is pickled and :func:`load` reads with ``allow_pickle=False``, so
loading a file can never run code. The write is atomic: a temporary file in
the same directory (``.chainrule-{pid}-{random}.npz.tmp``, locked while it
is written) is written, flushed to disk and moved over ``path`` with
:func:`os.replace`, so a crash leaves the old file or the new one, never
half; the next save to that directory removes what a killed save left.

After ``net = load(path)``, ``net.fit(...)`` with the same arguments
continues exactly (bit for bit) as the saved network would have.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
import struct
import time
import tokenize
import zipfile
import zlib
from typing import Any

import numpy as np

from .core.activations import LeakyReLU, get_activation
from .core.network import Network
from .errors import ModelFileError
from .training.optimizers import optimizer_from_config

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, no clean-up of orphans
    fcntl = None  # type: ignore[assignment]

__all__ = ["FORMAT", "FORMAT_VERSION", "check_writable", "load", "save"]

FORMAT = "chainrule.network"
FORMAT_VERSION = 1


def _activation_spec(activation) -> Any:
    if isinstance(activation, LeakyReLU):
        return {"name": activation.name, "negative_slope": activation.negative_slope}
    return activation.name


def _activation_from_spec(spec: Any):

    if isinstance(spec, dict):
        params = {k: v for k, v in spec.items() if k != "name"}
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in params.values()):
            raise ValueError(f"activation parameters must be numbers; got {params!r:.80}")
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
            "input_scale": net.input_scale,
        },
        "seed": int(net.seed_),
        "epochs_trained": int(net.epochs_trained_),
        "random_states": {
            "shuffle": net.shuffle_rng.bit_generator.state,
            "dropout": net.dropout_rng.bit_generator.state,
        },
        "optimizer": None,
        "epoch_progress": net.epoch_progress_,
    }
    if net.class_names is not None:
        meta["class_names"] = net.class_names
    opt = net.optimizer_
    if opt is not None:
        counters, state = opt.get_state()
        meta["optimizer"] = {"config": opt.get_config(), "counters": counters}
        for key, value in state.items():
            arrays[f"optimizer.{key}"] = value
    return meta, arrays


def save(net, path: str | os.PathLike) -> None:
    """Write ``net`` to ``path`` atomically (see the module's description of the format).

    The file is written beside ``path`` under a temporary name and moved
    over it once complete, so a failure or a crash leaves the old file (or
    none) in place, never half a file. A new file gets the permissions the
    umask gives (as ``open`` would); a replaced file keeps its own. A
    symbolic link is followed: the file it points to is replaced, the link
    stays. Temporary files that a killed save left in that directory are
    removed.

    Parameters
    ----------
    net : Network
    path : str or os.PathLike
        The file to write, kept as given (no ``.npz`` is appended).

    Raises
    ------
    TypeError
        When ``path`` is not a str or os.PathLike of str.
    ValueError
        When ``path`` is empty.
    OSError
        When the file cannot be written (no such directory, a directory at
        ``path``, no permission, a full disk); ``filename`` is ``path`` and
        the message says what to change. The old file is then untouched.
    """
    target = _target(path)
    shown = os.fspath(path)
    meta, arrays = _metadata(net)
    arrays["metadata"] = np.array(json.dumps(meta))
    directory = os.path.dirname(target)
    _remove_orphans(directory)
    fd, tmp_name = _create_temporary(shown, target)
    tmp: str | None = tmp_name
    try:
        with os.fdopen(os.dup(fd), "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
        tmp = None
        _sync_directory(directory)
    except OSError as exc:
        raise _save_failed(shown, exc) from None
    finally:
        os.close(fd)  # releases the lock that marks the temporary file as in use
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)


def check_writable(path: str | os.PathLike) -> str:
    """Check, before any work is done, that :func:`save` can write ``path``; returns the file it would write.

    The checks are those of :func:`save` (a str path, not empty, not a
    directory, in a directory that exists and takes new files), made by
    creating and removing a temporary file there, so permissions, read-only
    file systems and the like are found as a save would find them. The
    command line runs it on ``--save`` and ``--checkpoint`` before training.

    Returns
    -------
    str
        The file a save would write: ``path`` with symbolic links followed.

    Raises
    ------
    TypeError, ValueError, OSError
        As :func:`save` does, with ``path`` as the ``filename``.
    """
    target = _target(path)
    fd, tmp = _create_temporary(os.fspath(path), target)
    os.close(fd)
    os.unlink(tmp)
    return target


#: Temporary files of a save in progress: ``.chainrule-{pid}-{random}.npz.tmp`` beside the target.
_TEMPORARY = re.compile(r"\.chainrule-(?:(\d+)-)?[A-Za-z0-9_]+\.npz\.tmp")


def _target(path: Any) -> str:
    """The file a save to ``path`` writes (symbolic links followed), after checking ``path`` and its directory."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
        raise TypeError(
            f"path must be a str or os.PathLike naming the file to write; got {type(path).__name__} {path!r}"
        )
    shown = os.fspath(path)
    if not shown:
        raise ValueError("path must name the file to write, such as 'model.npz'; got an empty string")
    target = os.path.realpath(shown)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "is a directory; name a file in it, such as DIR/model.npz", shown)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise NotADirectoryError(errno.ENOTDIR, f"{directory!r} is not a directory", shown)
        raise FileNotFoundError(
            errno.ENOENT, f"no such directory {directory!r}; create it first (mkdir -p) or save elsewhere", shown
        )
    return target


def _create_temporary(shown: str, target: str) -> tuple[int, str]:
    """A new temporary file beside ``target``, locked, with the mode the saved file should have; (fd, name)."""
    directory = os.path.dirname(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".chainrule-{os.getpid()}-{secrets.token_hex(6)}.npz.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as it would to open(path, "wb")
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _save_failed(shown, exc) from None
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise FileExistsError(errno.EEXIST, "could not create a temporary file beside it", shown)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            mode = None  # a new file: the umask's mode, already set
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # a replaced file keeps its permissions
    except OSError as exc:
        os.close(fd)
        os.unlink(tmp)
        raise _save_failed(shown, exc) from None
    return fd, tmp


def _save_failed(shown: str, exc: OSError) -> OSError:
    """The error of a failed save: the user's path as ``filename``, never the temporary file's name."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason += "; save in a directory you can write to"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        reason += "; free some space or save elsewhere"
    message = f"could not save the network ({reason}); the file there, if any, is unchanged"
    cls = type(exc) if exc.errno is not None else OSError
    try:
        return cls(exc.errno, message, shown)
    except TypeError:  # an OSError subclass with its own signature
        return OSError(exc.errno, message, shown)


def _remove_orphans(directory: str) -> None:
    """Delete the temporary files of saves killed before they finished (their process is gone, nobody holds them)."""
    if fcntl is None:
        return
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match is None or (match.group(1) is None and not _older_than(entry, 3600.0)):
            continue  # a name of an older chainrule (no process id): removed only when an hour old
        if match.group(1) is not None and _process_alive(int(match.group(1))):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held by a live save (on another machine, say): keep
            os.unlink(entry.path)
        except OSError:
            pass
        finally:
            os.close(fd)


def _older_than(entry: os.DirEntry, seconds: float) -> bool:
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > seconds
    except OSError:
        return False


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's live process
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _sync_directory(directory: str) -> None:
    """Flush the directory entry of a replaced file to disk (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path: str | os.PathLike):
    """Read a network written by :meth:`Network.save`; never unpickles.

    Everything in the file is checked before a network is built from it:
    the container (a zip of ``.npy`` members, each with a numeric dtype and
    exactly as many bytes as its header announces; no object arrays), the
    metadata (format name and version, and the type of every field), and
    every array's name, shape, dtype and finiteness against the
    architecture. Any failure is a :class:`~chainrule.errors.ModelFileError`
    naming the file.

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
    chainrule.errors.ModelFileError
        (a ``ValueError``) When the file is not a chainrule network: empty,
        truncated or corrupted, a pickle, an .npz holding object arrays or
        other entries, inconsistent metadata, or a newer format version.
    TypeError
        When ``path`` is not a str or os.PathLike.

    Examples
    --------
    >>> import os, tempfile, chainrule as cr
    >>> net = cr.Network([2, 3, 1], seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "xor.npz")
    >>> net.save(path)
    >>> bool((cr.load(path).predict([[0, 1]]) == net.predict([[0, 1]])).all())
    True
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike naming a saved network; got {type(path).__name__} {path!r}")
    path = os.fspath(path)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path {path!r}: no such file")
    if os.path.isdir(path):
        raise ModelFileError(path, "is a directory, not a saved network file")
    arrays = _read_arrays(path)
    meta = _read_metadata(path, arrays)
    try:
        return _build(path, meta, arrays)
    except ModelFileError:
        raise
    except (ValueError, TypeError, KeyError, OverflowError) as exc:  # refused by a constructor
        raise ModelFileError(path, f"not a valid chainrule network: {exc}") from None


#: What goes wrong when reading a damaged zip of .npy members.
_CONTAINER_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    UnicodeDecodeError,
    OverflowError,
    SyntaxError,
    TypeError,
    tokenize.TokenError,
)  # NumPy's fallback parser of an .npy header that is not a literal
_MAX_MEMBERS = 100_000


def _read_arrays(path: str) -> dict[str, np.ndarray]:
    """Every member of the .npz as an array, each checked before it is read."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise ModelFileError(path, "not a chainrule network file: the file is empty")
    if head[:1] == b"\x80":
        raise ModelFileError(
            path,
            "not a chainrule network file: it is a pickle, and it holds pickled objects, which are "
            "never loaded (a saved network is an .npz of numeric arrays and JSON)",
        )
    if head[:6] == np.lib.format.MAGIC_PREFIX:
        raise ModelFileError(path, "not a chainrule network file: it is a single .npy array, not an .npz")
    if head[:2] != b"PK":
        raise ModelFileError(path, "not a chainrule network file: not an .npz (zip) file")
    try:
        arrays: dict[str, np.ndarray] = {}
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > _MAX_MEMBERS:
                raise ModelFileError(path, f"not a chainrule network file: {len(members)} entries")
            for info in members:
                key = _member_key(path, info)
                if key in arrays:
                    raise ModelFileError(path, f"corrupted: the entry {key!r} appears twice")
                arrays[key] = _read_member(path, archive, info)
        return arrays
    except ModelFileError:
        raise
    except _CONTAINER_ERRORS as exc:
        raise ModelFileError(path, f"truncated or corrupted ({type(exc).__name__}: {exc})") from None


def _member_key(path: str, info: zipfile.ZipInfo) -> str:
    if not info.filename.endswith(".npy"):
        raise ModelFileError(path, f"not a chainrule network file: it holds {info.filename!r}, not only .npy arrays")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ModelFileError(path, f"corrupted: entry {info.filename!r} has compression method {info.compress_type}")
    if info.file_size > 1100 * info.compress_size + 1024:  # deflate expands at most ~1032 times
        raise ModelFileError(
            path, f"corrupted: entry {info.filename!r} announces {info.file_size} bytes from {info.compress_size}"
        )
    return info.filename[:-4]


def _read_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One .npy member: header checked (numeric or text dtype, size that matches) before the data is read."""
    fmt = np.lib.format
    with archive.open(info) as fp:
        version = fmt.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fp)
        else:
            raise ModelFileError(path, f"corrupted: entry {info.filename!r} has .npy version {version}")
        name = info.filename[:-4]
        if dtype.hasobject:
            raise ModelFileError(
                path,
                f"not a chainrule network file: entry {name!r} holds pickled objects, which are never "
                f"loaded (a saved network holds only numeric arrays and JSON)",
            )
        if dtype.kind not in "fU" or dtype.fields is not None or dtype.subdtype is not None:
            raise ModelFileError(
                path,
                f"not a chainrule network file: entry {name!r} has dtype {dtype}; "
                f"a saved network holds float arrays and JSON text",
            )
        count = 1
        for n in shape:
            count *= int(n)
        n_bytes = count * dtype.itemsize
        header = fp.tell()
        if header + n_bytes != info.file_size:
            raise ModelFileError(
                path,
                f"corrupted: entry {name!r} announces shape {shape} of {dtype} "
                f"({n_bytes} bytes) but holds {info.file_size - header}",
            )
        data = fp.read(n_bytes)  # reading to the end checks the CRC
        if len(data) != n_bytes or fp.read(1):
            raise ModelFileError(path, f"truncated: entry {name!r} holds {len(data)} of {n_bytes} bytes")
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")


def _read_metadata(path: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The metadata's JSON, with the type of every field checked."""
    if "metadata" not in arrays:
        raise ModelFileError(path, "not a chainrule network file: no metadata entry")
    raw = arrays.pop("metadata")
    if raw.dtype.kind != "U" or raw.ndim != 0:
        raise ModelFileError(
            path,
            f"not a chainrule network file: the metadata is not JSON text "
            f"(an array of dtype {raw.dtype}, shape {raw.shape})",
        )
    try:
        meta = json.loads(str(raw))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ModelFileError(path, f"corrupted: the metadata is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(path, f"not a chainrule network file: format is not {FORMAT!r}")
    version = meta.get("format_version")
    if not _is_int(version) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(
            path,
            f"has format_version {version!r}; this chainrule reads versions up to {FORMAT_VERSION} (upgrade chainrule)",
        )

    def need(mapping: Any, key: str, kinds: Any, where: str) -> Any:
        value = mapping.get(key) if isinstance(mapping, dict) else None
        ok = _is_int(value) if kinds is int else isinstance(value, kinds)
        if not ok:
            raise ModelFileError(
                path,
                f"corrupted metadata: {where}{key} must be {_kind_name(kinds)}; "
                f"got {type(value).__name__} {value!r:.80}",
            )
        return value

    arch = need(meta, "architecture", dict, "")
    sizes = need(arch, "sizes", list, "architecture.")
    if len(sizes) < 2 or not all(_is_int(n) and n >= 1 for n in sizes):
        raise ModelFileError(path, f"corrupted metadata: architecture.sizes must be >= 2 ints >= 1; got {sizes!r:.80}")
    activations = need(arch, "activations", list, "architecture.")
    if len(activations) != len(sizes) - 1:
        raise ModelFileError(path, f"corrupted metadata: {len(activations)} activations for {len(sizes) - 1} layers")
    for spec in activations:
        if not (isinstance(spec, str) or (isinstance(spec, dict) and isinstance(spec.get("name"), str))):
            raise ModelFileError(path, f"corrupted metadata: an activation must be a name; got {spec!r:.80}")
    for key in ("loss", "reduction", "init", "dtype"):
        need(arch, key, str, "architecture.")
    need(arch, "bias", bool, "architecture.")
    scale = arch.get("input_scale")  # absent from files saved before input_scale: None
    if scale is not None and (
        isinstance(scale, bool) or not isinstance(scale, (int, float)) or not np.isfinite(scale) or scale <= 0
    ):
        raise ModelFileError(
            path, f"corrupted metadata: architecture.input_scale must be null or a number > 0; got {scale!r:.80}"
        )
    if need(meta, "seed", int, "") < 0 or need(meta, "epochs_trained", int, "") < 0:
        raise ModelFileError(path, "corrupted metadata: seed and epochs_trained must be >= 0")
    states = need(meta, "random_states", dict, "")
    for key in ("shuffle", "dropout"):
        state = need(states, key, dict, "random_states.")
        if state.get("bit_generator") != "PCG64":
            raise ModelFileError(path, f"corrupted metadata: random_states.{key} is not a PCG64 state")
    progress = meta.get("epoch_progress")
    if progress is not None:
        need(meta, "epoch_progress", dict, "")
        for key in ("epoch", "batch", "n_samples", "batch_size"):
            if need(progress, key, int, "epoch_progress.") < 0:
                raise ModelFileError(path, f"corrupted metadata: epoch_progress.{key} is negative")
        need(progress, "shuffle", bool, "epoch_progress.")
        for key in ("loss", "correct", "seen"):
            value = need(progress, key, (int, float), "epoch_progress.")
            if isinstance(value, bool) or not np.isfinite(value):
                raise ModelFileError(path, f"corrupted metadata: epoch_progress.{key} must be a finite number")
        state = progress.get("shuffle_state")
        if state is not None and not (isinstance(state, dict) and state.get("bit_generator") == "PCG64"):
            raise ModelFileError(path, "corrupted metadata: epoch_progress.shuffle_state is not a PCG64 state")
        if set(progress) != _PROGRESS_KEYS:
            raise ModelFileError(path, f"corrupted metadata: epoch_progress has keys {sorted(progress)}")
    opt = meta.get("optimizer")
    if opt is not None:
        need(need(meta, "optimizer", dict, ""), "config", dict, "optimizer.")
        counters = need(opt, "counters", dict, "optimizer.")
        for key in ("iterations", "epochs", "n_params"):
            if need(counters, key, int, "optimizer.counters.") < 0:
                raise ModelFileError(path, f"corrupted metadata: optimizer.counters.{key} is negative")
        lr = need(counters, "lr", (int, float), "optimizer.counters.")
        if isinstance(lr, bool) or not np.isfinite(lr) or lr < 0:
            raise ModelFileError(path, f"corrupted metadata: optimizer.counters.lr must be finite and >= 0; got {lr!r}")
    names = meta.get("class_names")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ModelFileError(path, f"corrupted metadata: class_names must be a list of strings; got {names!r:.80}")
    return meta


_PROGRESS_KEYS = {"epoch", "batch", "n_samples", "batch_size", "shuffle", "shuffle_state", "loss", "correct", "seen"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind_name(kinds: Any) -> str:
    names = {int: "an int", bool: "true or false", str: "a string", list: "a list", dict: "an object"}
    return names.get(kinds, "a number")


def _build(path: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]):
    """The network the checked metadata and arrays describe, every array checked against it."""

    arch = meta["architecture"]
    sizes = arch["sizes"]
    dtype = arch["dtype"]
    expected = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        expected[f"layers.{i}.weights"] = (n_out, n_in)
        if arch["bias"]:
            expected[f"layers.{i}.bias"] = (n_out,)
    n_parameters = sum(int(np.prod(shape)) for shape in expected.values())
    opt_meta = meta.get("optimizer")
    optimizer = None
    if opt_meta is not None:
        n_params = opt_meta["counters"]["n_params"]
        if n_params > 1:
            raise ModelFileError(
                path, f"corrupted metadata: the optimiser has state for {n_params} vectors; a network has one"
            )
        optimizer = optimizer_from_config(opt_meta["config"])
        names = optimizer.state_names  # the arrays it keeps once it has stepped
        for index in range(n_params):  # after a step every state array exists
            for name in names:
                expected[f"optimizer.{index}.{name}"] = (n_parameters,)
    for key, array in arrays.items():
        if key not in expected:
            raise ModelFileError(path, f"not a chainrule network file: unexpected entry {key!r}")
        if array.shape != expected[key]:
            raise ModelFileError(
                path, f"corrupted: {key} has shape {array.shape}; the architecture {sizes} needs {expected[key]}"
            )
        if array.dtype.name != dtype:
            raise ModelFileError(path, f"corrupted: {key} has dtype {array.dtype}; the architecture says {dtype!r}")
        if not np.isfinite(array).all():
            raise ModelFileError(path, f"corrupted: {key} holds NaN or infinite values")
    missing = [key for key in expected if key not in arrays]
    if missing:
        raise ModelFileError(path, f"truncated: no {', '.join(missing)}")

    activations = [_activation_from_spec(spec) for spec in arch["activations"]]
    net = Network(
        sizes,
        activation=activations[:-1],
        output_activation=activations[-1],
        loss=arch["loss"],
        reduction=arch["reduction"],
        bias=arch["bias"],
        init=arch["init"],
        seed=meta["seed"],
        dtype=dtype,
        input_scale=arch.get("input_scale"),  # None in files saved before input_scale existed
    )
    for i, layer in enumerate(net.layers):
        layer.weights = arrays[f"layers.{i}.weights"]
        if layer.bias is not None:
            layer.bias = arrays[f"layers.{i}.bias"]
    net.epochs_trained_ = meta["epochs_trained"]
    net.shuffle_rng.bit_generator.state = meta["random_states"]["shuffle"]
    net.dropout_rng.bit_generator.state = meta["random_states"]["dropout"]
    progress = meta.get("epoch_progress")
    if progress is not None and progress["shuffle_state"] is not None:
        np.random.PCG64().state = progress["shuffle_state"]  # checked here, used by the next fit
    net.epoch_progress_ = progress
    if optimizer is not None:
        prefix = "optimizer."
        state = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        optimizer.set_state(opt_meta["counters"], state)
        net.optimizer_ = optimizer
    if meta.get("class_names") is not None:
        try:
            net.class_names = meta["class_names"]
        except ValueError as exc:
            raise ModelFileError(path, f"corrupted metadata: {exc}") from None
    return net
