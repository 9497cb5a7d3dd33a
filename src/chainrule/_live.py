"""The live view of training: a 2-D decision boundary and the loss curve over the epochs, played with a slider.

A floor module (it imports nothing of chainrule), like :mod:`chainrule._svg`:
the training layer's :class:`~chainrule.training.callbacks.Snapshots` shows
itself in Jupyter with :func:`live_html`, and the report page
(:func:`chainrule.web.explainer.report_html`) puts the same view in with
:func:`live_parts`, its style and script then allowed by their hashes.

The view's numbers come from the snapshots, formatted here: the script
draws the recorded surface (a canvas; the boundary is the recorded surface's
contour at the threshold) and looks numbers up; it never evaluates the
network. Its CSS and JavaScript are package data (``web/assets/live.css``,
``web/assets/live.js``), read once at import.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["LIVE_CSS", "LIVE_JS", "live_data", "live_html", "live_parts"]


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("web", "assets", name).read_text(encoding="utf-8")


#: The view's style sheet (every rule scoped to ``.chainrule-live``).
LIVE_CSS = _asset("live.css")
#: The view's script: it starts every ``.chainrule-live`` element on the page not started yet.
LIVE_JS = _asset("live.js")


def _script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (``<``, ``>``, ``&``, U+2028/9 escaped)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _g(value: float) -> str:
    """A number as the view shows it: 4 significant digits (``-0`` as ``0``)."""
    text = f"{float(value):.4g}"
    return "0" if text in ("-0", "+0") else text


def _finite(array: np.ndarray, decimals: int) -> list:
    """Rounded values as a flat list, NaN and inf as None (JSON has neither)."""
    flat = np.round(np.asarray(array, dtype=np.float64).ravel(), decimals)
    return [float(v) if np.isfinite(v) else None for v in flat]


def live_data(snapshots) -> dict[str, Any]:
    """What the view's script reads, from a :class:`~chainrule.training.callbacks.Snapshots`.

    ``kind`` is ``"binary"`` (one output, or two: the second is drawn) with
    the boundary at ``threshold`` (the midpoint of the targets, 0.5 without
    them), or ``"classes"`` (three outputs or more: each cell's most likely
    class; the boundaries where it changes).
    """
    if not len(snapshots):
        raise ValueError("these Snapshots hold nothing yet: pass them to fit(..., callbacks=[snapshots]) first")
    n_out = snapshots.surface[0].shape[-1]
    kind = "binary" if n_out <= 2 else "classes"
    y = snapshots.y
    labels = None
    threshold = 0.5
    if y is not None:
        if y.ndim == 2 and y.shape[1] > 1:
            labels = np.argmax(y, axis=1)
        else:
            values = y.ravel()
            if n_out == 1:  # a point's colour: which side of the midpoint of the targets it is on
                threshold = float(values.min() + values.max()) / 2
                labels = (values >= threshold).astype(np.int64) if values.max() > values.min() else None
            else:
                labels = values.astype(np.int64)
    if kind == "binary":
        channel = n_out - 1  # one output: it; two (softmax): the second class's probability
        surfaces = [_finite(s[..., channel], 4) for s in snapshots.surface]
    else:
        surfaces = [_finite(s, 4) for s in snapshots.surface]
    names = list(snapshots.parameter_names)

    def param(values: np.ndarray) -> list:
        return [[_g(v) for v in row] for row in np.atleast_2d(values)]

    frames = []
    for k, epoch in enumerate(snapshots.epochs):
        logs = snapshots.logs[k]
        frames.append(
            {
                "epoch": int(epoch),
                "logs": {name: _g(value) for name, value in logs.items()},
                "predictions": [", ".join(_g(v) for v in row) for row in snapshots.predictions[k]],
                "parameters": [param(p) for p in snapshots.parameters[k]],
            }
        )
    return {
        "kind": kind,
        "n_outputs": int(n_out),
        "threshold": threshold,
        "grid": int(snapshots.grid),
        "xs": [float(v) for v in snapshots.xs],
        "ys": [float(v) for v in snapshots.ys],
        "points": [[float(a), float(b)] for a, b in snapshots.X],
        "labels": None if labels is None else [int(v) for v in labels],
        "targets": None if y is None else [", ".join(_g(v) for v in np.atleast_1d(row)) for row in y],
        "names": names,
        "curve": _finite(snapshots.curve, 8),
        "surfaces": surfaces,
        "frames": frames,
    }


def live_parts(snapshots, title: str = "Training, epoch by epoch") -> str:
    """The view's markup (its data inside, as JSON); the page adds :data:`LIVE_CSS` and :data:`LIVE_JS`."""
    data = live_data(snapshots)
    last = len(data["frames"]) - 1
    return (
        f'<div class="chainrule-live" role="group" aria-label="{html.escape(title, quote=True)}">\n'
        f'<script type="application/json" class="live-data">{_script_json(data)}</script>\n'
        '<div class="live-controls">'
        '<button type="button" class="live-play" aria-label="play">▶ Play</button>'
        f'<input type="range" class="live-slider" min="0" max="{last}" value="{last}" step="1" '
        'aria-label="snapshot">'
        '<span class="live-status" aria-live="polite"></span></div>\n'
        '<div class="live-panels">'
        '<div class="live-map"><canvas class="live-canvas" width="360" height="360"></canvas>'
        '<svg class="live-overlay" xmlns="http://www.w3.org/2000/svg" width="360" height="360" '
        'viewBox="0 0 360 360"></svg></div>'
        '<svg class="live-curve" xmlns="http://www.w3.org/2000/svg" width="380" height="240" '
        'viewBox="0 0 380 240"></svg></div>\n'
        '<div class="live-info"><p class="live-point">Click a point for its prediction, '
        "or anywhere on the map for the output there.</p>"
        '<details class="live-params"><summary>Weights and biases at this snapshot</summary>'
        '<div class="live-weights"></div></details></div>\n'
        "<noscript><p>The live view needs JavaScript.</p></noscript>\n</div>\n"
    )


def live_html(snapshots) -> str:
    """The view as one HTML fragment (style and script inline): a notebook's rich output."""
    return f"<style>{LIVE_CSS}</style>\n{live_parts(snapshots)}<script>{LIVE_JS}</script>\n"
