"""Line curves as an inline SVG string: the one drawing the training report and ``History``'s notebook view share.

A floor module (it imports nothing of chainrule), so that ``History`` in
the training layer can draw its own curves in Jupyter without reaching up
to :mod:`chainrule.web`, and the report page draws the same picture.
"""

from __future__ import annotations

import html
import math

__all__ = ["svg_curves"]


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _ticks(low: float, high: float, n: int = 5) -> list[float]:
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / n
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * step:
            step *= m
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


_COLOURS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea")


def svg_curves(series: dict[str, list[float]], title: str, ylabel: str, width: int = 560, height: int = 300) -> str:
    """Line curves against the epoch as an inline SVG string (no matplotlib needed; styled by its own attributes).

    Parameters
    ----------
    series : dict of str to list of float
        Name to values, one per epoch (epoch 1 first); empty lists are left out.
    title, ylabel : str
    """
    series = {name: [float(v) for v in values] for name, values in series.items() if len(values)}
    left, right, top, bottom = 62, 14, 30, 44
    pw, ph = width - left - right, height - top - bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="curves" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_esc(title)}" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f'<text x="{width / 2}" y="18" text-anchor="middle" class="ttl" font-size="13" font-weight="600">'
        f"{_esc(title)}</text>",
    ]
    finite = [v for values in series.values() for v in values if math.isfinite(v)]
    n = max((len(v) for v in series.values()), default=0)
    if not finite:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no data</text></svg>')
        return "".join(out)
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - (abs(lo) * 0.1 or 1.0), hi + (abs(hi) * 0.1 or 1.0)
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad

    def X(i):  # epoch index 0.. -> pixels (epochs numbered from 1)
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def Y(v):
        return top + ph * (hi - v) / (hi - lo)

    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="frame" fill="none" stroke="#9ca3af"/>')
    for t in _ticks(lo, hi):
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{Y(t):.1f}" y2="{Y(t):.1f}" class="grid" stroke="#f3f4f6"/>'
            f'<text x="{left - 6}" y="{Y(t) + 4:.1f}" text-anchor="end">{t:.4g}</text>'
        )
    for t in _ticks(1, n, 6) if n > 1 else [1]:
        if abs(t - round(t)) > 1e-9:
            continue
        out.append(f'<text x="{X(t - 1):.1f}" y="{top + ph + 16}" text-anchor="middle">{int(round(t))}</text>')
    out.append(
        f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle">epoch</text>'
        f'<text x="14" y="{top + ph / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + ph / 2})">{_esc(ylabel)}</text>'
    )
    for c, (name, values) in enumerate(series.items()):
        colour = _COLOURS[c % len(_COLOURS)]
        points = " ".join(f"{X(i):.1f},{Y(v):.1f}" for i, v in enumerate(values) if math.isfinite(v))
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2" data-series="{_esc(name)}"/>'
        )
        if len(values) == 1:
            out.append(f'<circle cx="{X(0):.1f}" cy="{Y(values[0]):.1f}" r="3" fill="{colour}"/>')
        ly = top + 14 + 16 * c
        out.append(
            f'<line x1="{left + pw - 110}" x2="{left + pw - 88}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"/><text x="{left + pw - 82}" y="{ly}">'
            f"{_esc(name)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
