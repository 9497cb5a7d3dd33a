"""The files the ``chainrule`` command writes beside a training run, and reads back.

``chainrule train --plot DIR`` writes DIR/history.json and the training PNGs
(:func:`write_training_plots`); ``--html-report DIR`` writes DIR/report.html
(:func:`write_html_report`); ``chainrule plot history`` reads a history.json
back (:func:`read_history`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..plotting import save_training_plots
from ..training.loop import History
from ..web.explainer import report_html

__all__ = ["HISTORY_FIELDS", "read_history", "write_html_report", "write_training_plots"]

#: The lists of a history.json, one value per epoch each.
HISTORY_FIELDS: tuple[str, ...] = ("epochs", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")


def write_training_plots(net, history, directory: str, X: Any = None, y: Any = None) -> list[Path]:
    """``chainrule train --plot DIR``: history.json and the PNGs of :func:`chainrule.plotting.save_training_plots`.

    ``X`` (n_samples, n_inputs) and integer labels ``y`` (n_samples,) add the
    data plots (decision boundary, confusion matrix); the history's lists are
    one value per epoch. Returns the paths written, history.json first.
    """

    directory_path = Path(directory)
    directory_path.mkdir(parents=True, exist_ok=True)
    record = {
        name: [float(v) if name != "epochs" else int(v) for v in getattr(history, name)] for name in HISTORY_FIELDS
    }
    (directory_path / "history.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return [directory_path / "history.json"] + save_training_plots(net, history, directory_path, X, y)


def write_html_report(
    net,
    history,
    directory: str,
    title: str = "Training report",
    settings: dict[str, Any] | None = None,
    snapshots=None,
) -> Path:
    """``chainrule train --html-report DIR``: DIR/report.html (no matplotlib needed); returns its path.

    ``snapshots`` (a ``callbacks.Snapshots``, for a 2-D problem) adds the live view of the training.
    """

    directory_path = Path(directory)
    directory_path.mkdir(parents=True, exist_ok=True)
    path = directory_path / "report.html"
    path.write_text(report_html(net, history, title=title, settings=settings, snapshots=snapshots), encoding="utf-8")
    return path


def read_history(path: str) -> History:
    """The :class:`~chainrule.training.loop.History` of a history.json written by :func:`write_training_plots`.

    Each of :data:`HISTORY_FIELDS` is a list of one value per epoch (missing
    lists are empty). Raises ``ValueError`` when the file is not a JSON object
    with a ``loss`` list, ``OSError`` when it cannot be read.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "loss" not in data:
        raise ValueError(f"{path}: not a history file (a JSON object with a 'loss' list)")
    return History(**{name: list(data.get(name, [])) for name in HISTORY_FIELDS})
