"""The library's own exceptions, types a caller can catch.

Bad input is a ``ValueError`` or ``TypeError`` (or a subclass of one), so
code written against NumPy and scikit-learn catches it as it expects:

- :class:`ModelFileError` (a ``ValueError``): a file given to
  :func:`chainrule.load` is not a readable chainrule network (truncated,
  corrupted, another format, a pickle); the message names the file.

Numerical failure during training has one type of its own:

- :class:`TrainingDiverged` (a ``RuntimeError``): the loss became NaN or
  infinite; the message names the epoch and the batch and suggests a fix.

Training that runs but is going badly warns, with one warning class:

- :class:`TrainingWarning` (a ``UserWarning``): ``fit`` noticed inputs far
  from unit scale, a loss that grew over the first epochs, or a default
  full batch on a large data set; the message says what to change. Silence
  it with ``warnings.filterwarnings("ignore", category=cr.TrainingWarning)``
  or ``fit(..., warn=False)``.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

__all__ = ["ModelFileError", "TrainingDiverged", "TrainingWarning"]


class ModelFileError(ValueError):
    """A file that is not a readable chainrule network; ``path`` names it.

    Parameters
    ----------
    path : str or os.PathLike
        The file given to :func:`chainrule.load`.
    reason : str
        What is wrong with it, in words (the message is ``path '...': reason``).

    Examples
    --------
    >>> from chainrule.errors import ModelFileError
    >>> print(ModelFileError("model.npz", "truncated or corrupted (Bad CRC-32)"))
    path 'model.npz': truncated or corrupted (Bad CRC-32)
    """

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"path {self.path!r}: {reason}")

    def __reduce__(self):  # picklable (multiprocessing, joblib) despite the two-argument init
        return type(self), (self.path, self.reason)


class TrainingDiverged(RuntimeError):
    """The training loss, or an update, became NaN or infinite.

    The fit loop raises it after putting the weights (and the optimiser's
    state) back to their last finite values, so the network can be saved,
    inspected or trained again with a lower learning rate.

    Attributes
    ----------
    epoch : int
        The network's epoch index (0-based, counting earlier ``fit`` calls).
    batch : int
        The batch within that epoch (0-based; 0 for full-batch training).
    loss : float
        The batch's loss: ``nan``, ``inf`` or ``-inf``, except for the
        ``"update"`` cause (the finite loss before the update that overflowed).
    learning_rate : float or None
        The learning rate in use when it diverged.
    cause : str
        ``"loss"``: a batch's loss or gradient was not finite (its update was
        not applied); ``"update"``: an update made the parameters or the
        optimiser's state non-finite; ``"last_step"``: the loss on the
        weights of the last update was not finite (in both cases the network
        went back to the start of that epoch); ``"data"``: the loss was not
        finite before any update of the fit, so the data (or the starting
        weights) are too large, not the learning rate.

    Examples
    --------
    >>> from chainrule.errors import TrainingDiverged
    >>> diverged = TrainingDiverged(epoch=3, batch=7, loss=float("nan"), learning_rate=10.0)
    >>> print(diverged)  # doctest: +NORMALIZE_WHITESPACE
    training diverged: the loss became nan at epoch 3, batch 7 (learning rate 10); the weights were restored
    to their last finite values. Try a lower learning rate (e.g. 1), standardised inputs or
    gradient-friendlier initialisation.
    """

    _WHAT: ClassVar[dict[str, str]] = {
        "loss": "the loss became {loss}",
        "update": "the update made the parameters or the optimiser's state overflow (the loss before it was {loss})",
        "last_step": "the loss on the weights after the last update became {loss}",
        "data": "the loss became {loss} before any update",
    }
    _RESTORED: ClassVar[dict[str, str]] = {
        "loss": "the weights were restored to their last finite values",
        "update": "the weights and the optimiser's state were put back as they were at the start of that epoch",
        "last_step": "the weights and the optimiser's state were put back as they were at the start of that epoch",
        "data": "the weights are unchanged",
    }

    def __init__(
        self,
        epoch: int,
        batch: int,
        loss: float,
        learning_rate: float | None = None,
        cause: str = "loss",
        hint: str | None = None,
    ):
        if cause not in self._WHAT:
            raise ValueError(f"cause must be one of {', '.join(self._WHAT)}; got {cause!r}")
        self.epoch = int(epoch)
        self.batch = int(batch)
        self.loss = float(loss)
        self.learning_rate = learning_rate
        self.cause = cause
        self.hint = hint
        #: The History of the epochs completed before the divergence (set by ``fit``).
        self.history: Any = None
        rate = "" if learning_rate is None else f" (learning rate {learning_rate:g})"
        lower = "" if learning_rate is None else f" (e.g. {learning_rate / 10:g})"
        advice = (
            f"Try a lower learning rate{lower}, standardised inputs or gradient-friendlier initialisation."
            if hint is None
            else hint[:1].upper() + hint[1:] + "."
        )
        what = self._WHAT[cause].format(loss=self.loss)
        super().__init__(
            f"training diverged: {what} at epoch {self.epoch}, batch {self.batch}{rate}; "
            f"{self._RESTORED[cause]}. {advice}"
        )

    def __reduce__(self):
        return type(self), (self.epoch, self.batch, self.loss, self.learning_rate, self.cause, self.hint)


class TrainingWarning(UserWarning):
    """Training runs, but a setting looks wrong for the data; the message says what to change.

    Issued by ``fit`` (see :meth:`chainrule.Network.fit`, argument ``warn``)
    and printed as one line on standard error by ``chainrule train``.

    Examples
    --------
    >>> import warnings
    >>> from chainrule.errors import TrainingWarning
    >>> issubclass(TrainingWarning, UserWarning)
    True
    """
