"""One explained step as a list of sections: built once, then rendered as text, Markdown or HTML.

:func:`build_sections` turns a :class:`~chainrule.teaching.trace.Trace` into
a list of :class:`Section` objects, each with a stable key:

``"header"``
    The title, the description of the network and the notes.
``"inputs"``
    x and y.
``"forward"``, then ``"forward-<l>"`` for every layer l
    The forward pass: z = W·in + b and a = f(z), neuron by neuron.
``"loss"``
    L.
``"backward-<l>"`` for l from the output layer down to 0
    The error δ = ∂L/∂z of layer l; the output layer's section opens with
    two paragraphs on that sign convention (some textbooks use δ = −∂L/∂z).
``"update"``, then ``"update-<l>"`` from the output layer down
    The gradients of layer l's weights and biases (lines with role
    ``"gradient"``) and the new values (role ``"update"``).

A section's lines are data, not text: an :class:`Equation` is a list of
parts, each a ``str`` (written as is), a :class:`~.notation.Tex` (notation
in its text and LaTeX spellings) or a :class:`Num` (a number, formatted
only when rendered, with the digits the renderer is asked for); a
:class:`Matrix` holds its array; :class:`Prose` is a paragraph made of
the same parts. :mod:`.render` writes the list out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .notation import ARROW, MUL, Tex, activation_symbol, loss_formula, sym

if TYPE_CHECKING:
    from .trace import Trace

__all__ = ["Equation", "Line", "Matrix", "Num", "Part", "Prose", "Section", "build_sections"]


@dataclass(frozen=True)
class Num:
    """A number in a formula; ``paren``: put in parentheses when negative (a factor after ``·`` or ``-``)."""

    value: float
    paren: bool = False


#: One piece of a formula line.
Part = str | Tex | Num


@dataclass(frozen=True)
class Equation:
    """A formula line with its numbers substituted, e.g. ``z[0] = 0.1·0.35 + 0.8·0.9 = 0.755``.

    ``role`` tells the lines of an ``"update-<l>"`` section apart: ``"gradient"`` or ``"update"``.
    """

    parts: tuple[Part, ...]
    role: str = ""


@dataclass(frozen=True)
class Matrix:
    """A named array shown whole (``values``: ndarray of shape (rows, cols) or (n,)); ``role`` as for Equation."""

    name: Tex
    values: np.ndarray
    role: str = ""


@dataclass(frozen=True)
class Prose:
    """A paragraph (the header's description and notes, the sign of δ), made of the same parts as an equation."""

    parts: tuple[Part, ...]


Line = Equation | Matrix | Prose


@dataclass
class Section:
    """One part of the explained step.

    Attributes
    ----------
    key : str
        Stable name: ``"header"``, ``"inputs"``, ``"forward"``, ``"forward-<l>"``, ``"loss"``,
        ``"backward-<l>"``, ``"update"``, ``"update-<l>"``.
    heading : Tex or None
        The heading (``None`` for the inputs).
    level : int
        0 for the title, 1 for a part of the step, 2 for a layer within one.
    lines : list of Equation, Matrix or Prose
    """

    key: str
    heading: Tex | None
    level: int
    lines: list[Line] = field(default_factory=list)


def _n(value) -> Num:
    return Num(float(value))


def _p(value) -> Num:
    return Num(float(value), paren=True)


def build_sections(trace: Trace, max_neurons: int = 8, max_samples: int = 4) -> list[Section]:
    """The step of ``trace`` as sections, in reading order (see the module docstring for the keys).

    Parameters
    ----------
    trace : Trace
        A network of L layers, recorded on n samples.
    max_neurons, max_samples : int >= 1
        A layer with at most ``max_neurons`` inputs and neurons, for at most
        ``max_samples`` samples, is written neuron by neuron; a larger one
        as matrices, with the shapes ((n, n_out) for z, a and δ; (n_out,
        n_in) for W and ∂L/∂W).

    Returns
    -------
    list of Section
        ``"header"``, ``"inputs"``, ``"forward"``, L ``"forward-<l>"``,
        ``"loss"``, L ``"backward-<l>"``, ``"update"``, L ``"update-<l>"``.
    """
    n = trace.n_samples
    batch = n > 1
    L = len(trace.layers)
    lr = trace.learning_rate

    def idx(s: int, j: int) -> tuple[int, ...]:
        return (s, j) if batch else (j,)

    def small(l: int) -> bool:
        n_out, n_in = trace.layers[l].weights.shape
        return n_out <= max_neurons and n_in <= max_neurons and n <= max_samples

    def in_value(l: int) -> np.ndarray:
        return trace.inputs if l == 0 else trace.layers[l - 1].a

    def sum_of_products(pairs) -> list[Part]:
        parts: list[Part] = []
        for k, (u, v) in enumerate(pairs):
            if k:
                parts.append(" + ")
            parts += [_n(u) if k == 0 else _p(u), MUL, _p(v)]
        return parts

    sections = [
        _header(trace),
        _inputs(trace, max_neurons, max_samples),
        Section("forward", Tex("Forward pass", "Forward pass"), 1),
    ]

    # -- forward ------------------------------------------------------------
    for l, layer in enumerate(trace.layers):
        n_out, n_in = layer.weights.shape
        f = activation_symbol(layer.activation)
        src = "x" if l == 0 else f"layers[{l - 1}].a"
        kind = "output" if l == L - 1 else "hidden"
        heading = f"layers[{l}] ({kind}, {layer.activation}, {n_in} → {n_out}; in = {src})"
        lines: list[Line] = []
        if small(l):
            for s in range(n):
                for j in range(n_out):
                    parts: list[Part] = [sym("z", idx(s, j)), " = "]
                    parts += sum_of_products([(layer.weights[j, i], in_value(l)[s, i]) for i in range(n_in)])
                    if layer.bias is not None:
                        parts += [" + ", _p(layer.bias[j])]
                    parts += [" = ", _n(layer.z[s, j])]
                    lines.append(Equation(tuple(parts)))
            for s in range(n):
                for j in range(n_out):
                    if layer.activation == "softmax":
                        applied = Tex(f"softmax(z[{s}])[{j}]", rf"\mathrm{{softmax}}(z_{{{s}}})_{{{j}}}")
                        parts = [sym("a", idx(s, j)), " = ", applied, " = ", _n(layer.a[s, j])]
                    else:
                        parts = [sym("a", idx(s, j)), " = ", f, "(", _n(layer.z[s, j]), ") = ", _n(layer.a[s, j])]
                    lines.append(Equation(tuple(parts)))
        else:
            shape_b = f" + ({n_out},)" if layer.bias is not None else ""
            product = Tex("z = in·Wᵀ", r"z = \mathrm{in} \cdot W^\top") if l else Tex("z = x·Wᵀ", r"z = x \cdot W^\top")
            shape = Tex(
                f"    shape ({n}, {n_out}) = ({n}, {n_in})·({n_in}, {n_out}){shape_b}",
                rf"\quad ({n}, {n_out}) = ({n}, {n_in}) \cdot ({n_in}, {n_out}){shape_b}",
            )
            lines.append(Equation((product, " + b" if layer.bias is not None else "", shape)))
            lines.append(Matrix(Tex("z", "z"), layer.z))
            lines.append(Equation(("a = ", f, "(z)")))
            lines.append(Matrix(Tex("a", "a"), layer.a))
        sections.append(Section(f"forward-{l}", Tex(heading, heading), 2, lines))

    sections.append(_loss(trace))

    # -- output and hidden errors ------------------------------------------
    scale = 1.0 / n if trace.reduction == "mean" else 1.0
    for l in range(L - 1, -1, -1):
        layer = trace.layers[l]
        n_out = layer.weights.shape[0]
        f = activation_symbol(layer.activation)
        if l == L - 1:
            heading = Tex(f"Output error: layers[{l}]", f"Output error: layers[{l}]")
        else:
            heading = Tex(
                f"Hidden error: layers[{l}] (δ' and w' are layers[{l + 1}]'s)",
                f"Hidden error: layers[{l}] ($\\delta'$ and $w'$ are layers[{l + 1}]'s)",
            )
        lines = [*_sign_convention()] if l == L - 1 else []
        sections.append(Section(f"backward-{l}", heading, 1, lines))
        if not small(l):
            shape = Tex(f"    shape ({n}, {n_out})", rf"\quad ({n}, {n_out})")
            if l == L - 1:
                lines.append(Equation((Tex("δ = ∂L/∂z", r"\delta = \partial L / \partial z"), shape)))
            else:
                chain = Tex("∂L/∂a = δ'·W'", r"\partial L/\partial a = \delta' \cdot W'")
                local = Tex("    δ = ∂L/∂a ⊙ f'(z)", r"\qquad \delta = \partial L/\partial a \odot f'(z)")
                lines.append(Equation((chain, local, shape)))
            lines.append(Matrix(Tex("δ", r"\delta"), layer.delta))
            continue
        for s in range(n):
            for j in range(n_out):
                ga = sym("∂L/∂a", idx(s, j), r"\partial L/\partial a")
                d = sym("δ", idx(s, j), r"\delta")
                a = layer.a[s, j]
                if l == L - 1 and layer.grad_a is None:  # fused with the loss: δ = (a - y)·scale
                    y = trace.targets[s, j]
                    if scale != 1.0:
                        parts = [d, " = ", Tex(f"(a - y)/{n}", rf"(a - y)/{n}"), " = "]
                        parts += ["(", _n(a), " - ", _p(y), f")/{n}"]
                    else:
                        parts = [d, " = ", Tex("a - y", "a - y"), " = ", _n(a), " - ", _p(y)]
                    lines.append(Equation((*parts, " = ", _n(layer.delta[s, j]))))
                    continue
                if l == L - 1:
                    parts = [ga, " = ", *_loss_gradient_parts(trace, s, j, scale)]
                else:
                    nxt = trace.layers[l + 1]
                    chain = Tex(
                        f"Σ_k δ'[k]·w'[k,{j}]" if not batch else f"Σ_k δ'[{s},k]·w'[k,{j}]",
                        rf"\sum_k \delta'_{{k}} w'_{{k,{j}}}"
                        if not batch
                        else rf"\sum_k \delta'_{{{s},k}} w'_{{k,{j}}}",
                    )
                    parts = [ga, " = ", chain, " = "]
                    parts += sum_of_products([(nxt.delta[s, k], nxt.weights[k, j]) for k in range(nxt.delta.shape[1])])
                    parts += [" = ", _n(layer.grad_a[s, j])]
                lines.append(Equation(tuple(parts)))
                if layer.derivative is not None:
                    at = ",".join(map(str, idx(s, j)))
                    fp = Tex(f"{f.text}'(z{sym('', idx(s, j)).text})", rf"{f.latex}'(z_{{{at}}})")
                    parts = [fp, " = ", *_derivative_parts(layer.activation, a)]
                    parts += [" = ", _n(layer.derivative[s, j])] if len(parts) > 2 else [_n(layer.derivative[s, j])]
                    lines.append(Equation(tuple(parts)))
                    local = Tex("∂L/∂a·" + f.text + "'(z)", r"\frac{\partial L}{\partial a} " + f.latex + "'(z)")
                    parts = [d, " = ", local, " = ", _n(layer.grad_a[s, j]), MUL, _p(layer.derivative[s, j])]
                    lines.append(Equation((*parts, " = ", _n(layer.delta[s, j]))))
                else:
                    jacobian = Tex("(∂L/∂a)·J_softmax", r"\frac{\partial L}{\partial a} J_{\mathrm{softmax}}")
                    lines.append(Equation((d, " = ", jacobian, " = ", _n(layer.delta[s, j]))))

    # -- updates ------------------------------------------------------------
    sections.append(
        Section(
            "update",
            Tex(
                "Updates (w ← w - η·∂L/∂w, b ← b - η·∂L/∂b)",
                r"Updates ($w \leftarrow w - \eta\,\partial L/\partial w$)",
            ),
            1,
        )
    )
    for l in range(L - 1, -1, -1):
        layer = trace.layers[l]
        n_out, n_in = layer.weights.shape
        src = "x" if l == 0 else f"layers[{l - 1}].a"
        heading = f"layers[{l}] (in = {src})"
        lines = []
        sections.append(Section(f"update-{l}", Tex(heading, heading), 2, lines))
        inp = in_value(l)
        iname = Tex("x", "x") if l == 0 else Tex("in", r"\mathrm{in}")
        if not small(l):
            grad_w = Tex("∂L/∂W = δᵀ·in", r"\partial L/\partial W = \delta^\top \cdot \mathrm{in}")
            shape = Tex(f"    shape ({n_out}, {n_in})", rf"\quad ({n_out}, {n_in})")
            lines.append(Equation((grad_w, shape), "gradient"))
            lines.append(Matrix(Tex("∂L/∂W", r"\partial L/\partial W"), layer.grad_weights, "gradient"))
            lines.append(
                Equation((Tex("W ← W - η·∂L/∂W", r"W \leftarrow W - \eta \, \partial L/\partial W"),), "update")
            )
            lines.append(Matrix(Tex("W", "W"), layer.new_weights, "update"))
            if layer.bias is not None:
                grad_b = Tex("∂L/∂b = Σ_s δ[s]", r"\partial L/\partial b = \sum_s \delta_{s}")
                lines.append(Equation((grad_b,), "gradient"))
                lines.append(Matrix(Tex("∂L/∂b", r"\partial L/\partial b"), layer.grad_bias, "gradient"))
                lines.append(Matrix(Tex("b", "b"), layer.new_bias, "update"))
            continue
        for j in range(n_out):
            for i in range(n_in):
                g = sym("∂L/∂w", (j, i), r"\partial L/\partial w")
                chain = Tex(
                    f"δ[{j}]·{iname.text}[{i}]" if not batch else f"Σ_s δ[s,{j}]·{iname.text}[s,{i}]",
                    rf"\delta_{{{j}}} {iname.latex}_{{{i}}}"
                    if not batch
                    else rf"\sum_s \delta_{{s,{j}}} {iname.latex}_{{s,{i}}}",
                )
                parts = [g, " = ", chain, " = "]
                parts += sum_of_products([(layer.delta[s, j], inp[s, i]) for s in range(n)])
                lines.append(Equation((*parts, " = ", _n(layer.grad_weights[j, i])), "gradient"))
                step = [_n(layer.weights[j, i]), " - ", _p(lr), MUL, _p(layer.grad_weights[j, i])]
                lines.append(Equation((sym("w", (j, i)), ARROW, *step, " = ", _n(layer.new_weights[j, i])), "update"))
        if layer.bias is not None:
            for j in range(n_out):
                g = sym("∂L/∂b", (j,), r"\partial L/\partial b")
                total = Tex(
                    f"δ[{j}]" if not batch else f"Σ_s δ[s,{j}]",
                    rf"\delta_{{{j}}}" if not batch else rf"\sum_s \delta_{{s,{j}}}",
                )
                parts = [g, " = ", total]
                if batch:
                    parts += [" = "]
                    for s in range(n):
                        parts += [" + " if s else "", _p(layer.delta[s, j]) if s else _n(layer.delta[s, j])]
                lines.append(Equation((*parts, " = ", _n(layer.grad_bias[j])), "gradient"))
                step = [_n(layer.bias[j]), " - ", _p(lr), MUL, _p(layer.grad_bias[j])]
                lines.append(Equation((sym("b", (j,)), ARROW, *step, " = ", _n(layer.new_bias[j])), "update"))
    return sections


def _header(trace: Trace) -> Section:
    """The title, the one-line description of the network and the notes."""
    n = trace.n_samples
    names = [layer.activation for layer in trace.layers]
    acts = sorted(set(names), key=names.index)
    loss = loss_formula(trace.loss_name)
    desc: tuple[Part, ...] = (
        f"network {trace.sizes}, activations {', '.join(acts)}; loss {trace.loss_name} (",
        Tex(loss.text, f"${loss.latex}$"),
        f"), reduction {trace.reduction}; learning rate ",
        Tex("η", "$\\eta$"),
        " = ",
        _n(trace.learning_rate),
        f"; {n} sample{'s' if n != 1 else ''}.",
    )
    if loss.text == trace.loss_name:  # a loss without a formula: its name stands for it, in math in Markdown
        desc = (Tex(desc[0], desc[0].replace(loss.text, f"${loss.text}$")), *desc[1:])
    indices = Tex(
        "Indices are 0-based, as in trace paths: layers[l].z[sample][neuron], layers[l].weights[neuron][input].",
        "Indices are 0-based, as in trace paths: `layers[l].z[sample][neuron]`, `layers[l].weights[neuron][input]`.",
    )
    lines: list[Line] = [Prose(desc), Prose((indices,))]
    lines += [Prose((f"Note: {note}{'' if note.endswith(('.', '!', '?')) else '.'}",)) for note in trace.notes]
    title = "One training step, explained"
    return Section("header", Tex(title, title), 0, lines)


def _sign_convention() -> list[Line]:
    """What δ means here, and the opposite sign some textbooks give it (the output error's first lines)."""
    here = Tex(
        "δ = ∂L/∂z here: how much the loss changes with a neuron's z; the update is w ← w - η·∂L/∂w.",
        r"$\delta = \partial L/\partial z$ here: how much the loss changes with a neuron's $z$; "
        r"the update is $w \leftarrow w - \eta\,\partial L/\partial w$.",
    )
    other = Tex(
        "Some textbooks define δ = -∂L/∂z instead, writing the output error as target - output (y - a), "
        "and update w ← w + η·δ·in: the same step, with δ of the opposite sign.",
        r"Some textbooks define $\delta = -\partial L/\partial z$ instead, writing the output error as "
        r"target − output ($y - a$), and update $w \leftarrow w + \eta\,\delta\,\mathrm{in}$: "
        r"the same step, with $\delta$ of the opposite sign.",
    )
    return [Prose((here,)), Prose((other,))]


def _inputs(trace: Trace, max_neurons: int, max_samples: int) -> Section:
    """x and y, sample by sample, or as matrices for a large batch."""
    n = trace.n_samples
    lines: list[Line] = []
    if n <= max_samples and trace.inputs.shape[1] <= max_neurons and trace.targets.shape[1] <= max_neurons:
        for s in range(n):
            parts: list[Part] = []
            for i, v in enumerate(trace.inputs[s]):
                parts += [", " if i else "", sym("x", (s, i) if n > 1 else (i,)), " = ", _n(v)]
            parts.append(Tex("; ", r";\quad "))
            for k, v in enumerate(trace.targets[s]):
                parts += [", " if k else "", sym("y", (s, k) if n > 1 else (k,)), " = ", _n(v)]
            lines.append(Equation(tuple(parts)))
    else:
        lines += [Matrix(Tex("x", "x"), trace.inputs), Matrix(Tex("y", "y"), trace.targets)]
    return Section("inputs", None, 1, lines)


def _loss(trace: Trace) -> Section:
    """L, with the numbers substituted for a squared error of at most 4 terms."""
    n = trace.n_samples
    last = trace.layers[-1]
    k_out = last.a.shape[1]
    prefactors = {  # the squared errors' constant in front of Σ(a - y)²
        "half_squared_error": Tex("½·", r"\tfrac{1}{2} "),
        "squared_error": Tex("", ""),
        "mse": Tex(f"(1/{k_out})·", rf"\tfrac{{1}}{{{k_out}}} "),
    }
    if trace.loss_name in prefactors and n * k_out <= 4:
        parts: list[Part] = ["L = "]
        if trace.reduction == "mean" and n > 1:
            parts.append(Tex(f"(1/{n})·[", rf"\tfrac{{1}}{{{n}}}\Big["))
        for s in range(n):
            if s:
                parts.append(" + ")
            parts.append(prefactors[trace.loss_name])
            if k_out > 1:
                parts.append(Tex("[", r"\big["))
            for k in range(k_out):
                if k:
                    parts.append(" + ")
                parts += ["(", _n(last.a[s, k]), " - ", _p(trace.targets[s, k]), ")", Tex("²", "^2")]
            if k_out > 1:
                parts.append(Tex("]", r"\big]"))
        if trace.reduction == "mean" and n > 1:
            parts.append(Tex("]", r"\Big]"))
        parts += [" = ", _n(trace.loss)]
    else:
        reduce = f", {'mean' if trace.reduction == 'mean' else 'sum'} over {n} samples" if n > 1 else ""
        over = Tex(reduce, rf"\quad\text{{{reduce.lstrip(', ')}}}" if reduce else "")
        parts = [loss_formula(trace.loss_name), over, " = ", _n(trace.loss)]
    return Section("loss", Tex("Loss", "Loss"), 1, [Equation(tuple(parts))])


def _loss_gradient_parts(trace: Trace, s: int, j: int, scale: float) -> list[Part]:
    """∂L/∂a of the output, with the numbers substituted where the loss is a squared error."""
    layer = trace.layers[-1]
    a, y, value = layer.a[s, j], trace.targets[s, j], layer.grad_a[s, j]
    k_out = layer.a.shape[1]
    factor = {"half_squared_error": 1.0, "squared_error": 2.0, "mse": 2.0 / k_out}.get(trace.loss_name)
    if factor is None:
        return [Tex("∂L/∂a", r"\partial L/\partial a"), " = ", _n(value)]
    c = factor * scale
    label = Tex("a - y", "a - y") if c == 1.0 else Tex(f"{c:g}·(a - y)", rf"{c:g} (a - y)")
    parts: list[Part] = [label, " = "]
    if c == 1.0:
        parts += [_n(a), " - ", _p(y)]
    else:
        parts += [_n(c), MUL, "(", _n(a), " - ", _p(y), ")"]
    return parts + [" = ", _n(value)]


def _derivative_parts(activation: str, a: float) -> list[Part]:
    """f'(z) written through a, for the activations whose derivative is a function of a."""
    if activation == "sigmoid":
        return [Tex("a·(1 - a)", r"a (1 - a)"), " = ", _n(a), MUL, "(1 - ", _p(a), ")"]
    if activation == "tanh":
        return [Tex("1 - a²", "1 - a^2"), " = 1 - ", _p(a), Tex("²", "^2")]
    return []
