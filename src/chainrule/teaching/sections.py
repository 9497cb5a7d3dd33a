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

__all__ = [
    "Equation",
    "Line",
    "Matrix",
    "Num",
    "Part",
    "Prose",
    "Section",
    "build_sections",
    "build_steps_sections",
    "optimizer_description",
]


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

    def idx(s: int, j: int) -> tuple[int, ...]:
        return (s, j) if batch else (j,)

    def small(l: int) -> bool:
        n_out, n_in = trace.layers[l].weights.shape
        return n_out <= max_neurons and n_in <= max_neurons and n <= max_samples

    def in_value(l: int) -> np.ndarray:
        if l == 0:
            return trace.inputs
        before = trace.layers[l - 1]
        return before.a if before.a_masked is None else before.a_masked  # with dropout: a ⊙ m

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
        src = "x" if l == 0 else f"layers[{l - 1}].a" + ("·m" if trace.layers[l - 1].mask is not None else "")
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
            if layer.mask is not None and layer.a_masked is not None:
                for s in range(n):
                    for j in range(n_out):
                        am = sym("a·m", idx(s, j), r"a m")
                        kept = "kept" if layer.mask[s, j] else "dropped"
                        parts = [am, " = ", _n(layer.a[s, j]), MUL, _p(layer.mask[s, j])]
                        parts += [" = ", _n(layer.a_masked[s, j]), Tex(f"  ({kept})", rf"\quad\text{{({kept})}}")]
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
            if layer.mask is not None and layer.a_masked is not None:
                lines.append(Matrix(Tex("m", "m"), layer.mask))
                lines.append(Matrix(Tex("a·m", r"a \odot m"), layer.a_masked))
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
        lines = [*_sign_convention(trace.optimizer.plain)] if l == L - 1 else []
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
                    terms = sum_of_products([(nxt.delta[s, k], nxt.weights[k, j]) for k in range(nxt.delta.shape[1])])
                    if layer.mask is not None:  # dropout: the error reaches only the outputs that were kept
                        m = sym("m", idx(s, j))
                        chain = Tex(f"{m.text}·{chain.text}", f"{m.latex} {chain.latex}")
                        terms = [_n(layer.mask[s, j]), MUL, "(", *terms, ")"]
                    parts = [ga, " = ", chain, " = ", *terms, " = ", _n(layer.grad_a[s, j])]
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
    sections.append(Section("update", _update_heading(trace), 1))
    for l in range(L - 1, -1, -1):
        layer = trace.layers[l]
        n_out, n_in = layer.weights.shape
        src = "x" if l == 0 else f"layers[{l - 1}].a" + ("·m" if trace.layers[l - 1].mask is not None else "")
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
            lines += _matrix_update_lines(trace, layer, "weights")
            if layer.bias is not None:
                grad_b = Tex("∂L/∂b = Σ_s δ[s]", r"\partial L/\partial b = \sum_s \delta_{s}")
                lines.append(Equation((grad_b,), "gradient"))
                lines.append(Matrix(Tex("∂L/∂b", r"\partial L/\partial b"), layer.grad_bias, "gradient"))
                lines += _matrix_update_lines(trace, layer, "bias")
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
                lines += _update_lines(trace, layer, "weights", (j, i))
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
                lines += _update_lines(trace, layer, "bias", (j,))
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
    if not trace.optimizer.plain:
        described = optimizer_description(trace, step=False)
        lines.append(
            Prose(
                (
                    Tex(f"Optimizer: {described}.", f"Optimizer: {described}."),
                    _state_sentence(trace),
                )
            )
        )
    if trace.dropout:
        p = trace.dropout
        keep = 1.0 / (1.0 - p)
        lines.append(
            Prose(
                (
                    f"Dropout p = {p:g} on the hidden layers' outputs: each is multiplied by its mask m, "
                    f"0 (dropped) or 1/(1 - p) = {keep:.4g} (kept), drawn from the network's seed as fit draws it; "
                    "the next layer is fed a·m.",
                )
            )
        )
    lines += [Prose((f"Note: {note}{'' if note.endswith(('.', '!', '?')) else '.'}",)) for note in trace.notes]
    title = "One training step, explained"
    return Section("header", Tex(title, title), 0, lines)


def _sign_convention(plain: bool = True) -> list[Line]:
    """What δ means here, and the opposite sign some textbooks give it (the output error's first lines).

    ``plain``: the step is plain gradient descent, whose update the lines
    state; another optimiser's update goes through its state (its section says how).
    """
    if plain:
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
    else:
        here = Tex(
            "δ = ∂L/∂z here: how much the loss changes with a neuron's z; the optimiser's update uses ∂L/∂w.",
            r"$\delta = \partial L/\partial z$ here: how much the loss changes with a neuron's $z$; "
            r"the optimiser's update uses $\partial L/\partial w$.",
        )
        other = Tex(
            "Some textbooks define δ = -∂L/∂z instead, writing the output error as target - output (y - a): "
            "the same step, with δ of the opposite sign.",
            r"Some textbooks define $\delta = -\partial L/\partial z$ instead, writing the output error as "
            r"target − output ($y - a$): the same step, with $\delta$ of the opposite sign.",
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


# -- the optimiser's update ---------------------------------------------------
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power(base: float, t: int) -> list[Part]:
    """``0.9¹`` / ``0.9^{1}``: a base raised to the step count t."""
    return [_n(base), Tex(str(t).translate(_SUPERSCRIPTS), f"^{{{t}}}")]


def _root(value: float) -> list[Part]:
    """``√0.25`` / ``\\sqrt{0.25}``."""
    return [Tex("√", r"\sqrt{"), _n(value), Tex("", "}")]


def _state_symbol(name: str, base: str, index: tuple[int, ...], latex: str | None = None) -> Tex:
    """The optimiser state of one parameter: ``m_w[0,1]`` / ``m^{w}_{0,1}``."""
    idx = ",".join(map(str, index))
    return Tex(f"{name}_{base}[{idx}]", f"{latex or name}^{{{base}}}_{{{idx}}}")


def optimizer_description(trace: Trace, step: bool = True) -> str:
    """``Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-08), step t = 1``: the step's optimiser in words (headings, pages)."""
    opt = trace.optimizer
    wd = opt.setting("weight_decay", 0.0)
    settings: list[str] = []
    if opt.name == "sgd":
        name = "SGD"
        if opt.setting("momentum"):
            name += " with Nesterov momentum" if opt.setting("nesterov") else " with momentum"
            settings.append(f"μ = {opt.setting('momentum'):g}")
    elif opt.name in ("adam", "adamw"):
        name = "AdamW" if opt.name == "adamw" or opt.setting("decoupled_weight_decay") else "Adam"
        settings += [
            f"β₁ = {opt.setting('beta1'):g}",
            f"β₂ = {opt.setting('beta2'):g}",
            f"ε = {opt.setting('epsilon'):g}",
        ]
    elif opt.name == "rmsprop":
        name = "RMSProp"
        settings += [f"ρ = {opt.setting('rho'):g}", f"ε = {opt.setting('epsilon'):g}"]
    else:
        name = opt.name
    if wd:
        where = " on the weights only" if opt.setting("weight_decay_on", "all") == "weights" else ""
        kind = "decoupled weight decay" if name == "AdamW" else "L2 weight decay"
        settings.append(f"{kind} λ = {wd:g}{where}")
    described = f"{name} ({', '.join(settings)})" if settings else name
    return f"{described}, step t = {opt.t}" if step else described


def _state_sentence(trace: Trace) -> str:
    """What the optimiser's state is, for the header (empty for a stateless one)."""
    opt = trace.optimizer
    start = {
        "adam": "m and v, the moving averages of g and g², start at 0",
        "adamw": "m and v, the moving averages of g and g², start at 0",
        "rmsprop": "s, the moving average of g², starts at 0",
    }.get(opt.name)
    if opt.name == "sgd" and opt.setting("momentum"):
        start = "the momentum buffer v starts at g"
    if start is None:
        return ""
    return (
        f" Its state holds one value per weight and bias: {start} before the optimiser's first step; "
        "each step starts from the state the step before left."
    )


def _update_heading(trace: Trace) -> Tex:
    if trace.optimizer.plain:
        return Tex(
            "Updates (w ← w - η·∂L/∂w, b ← b - η·∂L/∂b)",
            r"Updates ($w \leftarrow w - \eta\,\partial L/\partial w$)",
        )
    text = f"Updates: {optimizer_description(trace)}; η = {trace.learning_rate:g}, g = ∂L/∂w"
    if trace.optimizer.setting("weight_decay") and not _decoupled(trace):
        text += " + λ·w"
    return Tex(text, text.replace("∂L/∂w", r"$\partial L/\partial w$"))


def _decoupled(trace: Trace) -> bool:
    opt = trace.optimizer
    return opt.name == "adamw" or bool(opt.setting("decoupled_weight_decay"))


def _decays(trace: Trace, kind: str) -> bool:
    """Whether weight decay applies to a layer's ``kind`` ("weights" or "bias")."""
    opt = trace.optimizer
    return bool(opt.setting("weight_decay")) and (kind == "weights" or opt.setting("weight_decay_on", "all") == "all")


def _update_lines(trace: Trace, layer, kind: str, index: tuple[int, ...]) -> list[Line]:
    """The update of one weight (``kind="weights"``, index (j, i)) or bias ((j,)), numbers substituted.

    The gradient, the old and new values and the optimiser's state before
    and after are the trace's (recorded from the step); m̂ and v̂, which
    the optimiser folds into its constants, and λ·w are worked out here,
    for the reader, from those recorded values.
    """
    opt = trace.optimizer
    lr = trace.learning_rate
    base = "w" if kind == "weights" else "b"
    old = float((layer.weights if kind == "weights" else layer.bias)[index])
    new = float((layer.new_weights if kind == "weights" else layer.new_bias)[index])
    grad = float((layer.grad_weights if kind == "weights" else layer.grad_bias)[index])
    target = sym(base, index)
    if opt.plain:
        return [Equation((target, ARROW, _n(old), " - ", _p(lr), MUL, _p(grad), " = ", _n(new)), "update")]

    def state(name: str) -> tuple[float | None, float | None]:
        before, after = layer.state.get(f"{name}_{kind}"), layer.new_state.get(f"{name}_{kind}")
        return (None if before is None else float(before[index])), (None if after is None else float(after[index]))

    lines: list[Line] = []
    parts: list[Part]
    g, current = grad, old
    wd = float(opt.setting("weight_decay", 0.0))
    if _decays(trace, kind) and _decoupled(trace):  # AdamW: p ← p − η·λ·p, before the moments
        current = old - (old * wd) * lr
        parts = [target, ARROW, Tex(f"{base} - η·λ·{base}", rf"{base} - \eta \lambda {base}"), " = "]
        parts += [_n(old), " - ", _p(lr), MUL, _p(wd), MUL, _p(old), " = ", _n(current)]
        lines.append(Equation(tuple(parts), "update"))
    elif _decays(trace, kind):  # L2: g ← ∂L/∂p + λ·p
        g = grad + old * wd
        gsym = _state_symbol("g", base, index)
        formula = Tex(f"∂L/∂{base} + λ·{base}", rf"\partial L/\partial {base} + \lambda {base}")
        parts = [gsym, " = ", formula, " = ", _n(grad), " + ", _p(wd), MUL, _p(old), " = ", _n(g)]
        lines.append(Equation(tuple(parts), "update"))
    if opt.name == "sgd":
        mu = float(opt.setting("momentum", 0.0))
        if not mu:
            step = Tex(f"{base} - η·g", rf"{base} - \eta g")
            parts = [target, ARROW, step, " = ", _n(current), " - ", _p(lr), MUL, _p(g), " = ", _n(new)]
            return lines + [Equation(tuple(parts), "update")]
        before, after = state("momentum_buffer")
        v = _state_symbol("v", base, index)
        if before is None:
            first = Tex("  (first step: the buffer starts at g)", r"\quad\text{(first step: the buffer starts at g)}")
            lines.append(Equation((v, " = g = ", _n(after or 0.0), first), "update"))
        else:
            parts = [v, ARROW, Tex("μ·v + g", r"\mu v + g"), " = ", _n(mu), MUL, _p(before), " + ", _p(g)]
            lines.append(Equation((*parts, " = ", _n(after or 0.0)), "update"))
        if opt.setting("nesterov"):
            step = Tex(f"{base} - η·(g + μ·v)", rf"{base} - \eta (g + \mu v)")
            parts = [target, ARROW, step, " = ", _n(current), " - ", _p(lr), MUL, "(", _n(g), " + "]
            parts += [_p(mu), MUL, _p(after or 0.0), ") = ", _n(new)]
        else:
            step = Tex(f"{base} - η·v", rf"{base} - \eta v")
            parts = [target, ARROW, step, " = ", _n(current), " - ", _p(lr), MUL, _p(after or 0.0), " = ", _n(new)]
        return lines + [Equation(tuple(parts), "update")]
    t = opt.t
    eps = float(opt.setting("epsilon"))
    if opt.name in ("adam", "adamw"):
        b1, b2 = float(opt.setting("beta1")), float(opt.setting("beta2"))
        m0, m1 = state("m")
        v0, v1 = state("v")
        m0, v0, m1, v1 = m0 or 0.0, v0 or 0.0, m1 or 0.0, v1 or 0.0
        m_hat, v_hat = m1 / (1.0 - b1**t), v1 / (1.0 - b2**t)
        msym, vsym = _state_symbol("m", base, index), _state_symbol("v", base, index)
        formula = Tex("β₁·m + (1 - β₁)·g", r"\beta_1 m + (1 - \beta_1) g")
        parts = [msym, ARROW, formula, " = ", _n(b1), MUL, _p(m0), " + ", _n(1.0 - b1), MUL, _p(g), " = ", _n(m1)]
        lines.append(Equation(tuple(parts), "update"))
        formula = Tex("β₂·v + (1 - β₂)·g²", r"\beta_2 v + (1 - \beta_2) g^2")
        parts = [vsym, ARROW, formula, " = ", _n(b2), MUL, _p(v0), " + ", _n(1.0 - b2), MUL, _p(g), Tex("²", "^2")]
        lines.append(Equation((*parts, " = ", _n(v1)), "update"))
        hat_m = _state_symbol("m̂", base, index, r"\hat{m}")
        hat_v = _state_symbol("v̂", base, index, r"\hat{v}")
        formula = Tex("m/(1 - β₁ᵗ)", r"m / (1 - \beta_1^t)")
        parts = [hat_m, " = ", formula, " = ", _n(m1), "/(1 - ", *_power(b1, t), ") = ", _n(m_hat)]
        lines.append(Equation(tuple(parts), "update"))
        formula = Tex("v/(1 - β₂ᵗ)", r"v / (1 - \beta_2^t)")
        parts = [hat_v, " = ", formula, " = ", _n(v1), "/(1 - ", *_power(b2, t), ") = ", _n(v_hat)]
        lines.append(Equation(tuple(parts), "update"))
        step = Tex(f"{base} - η·m̂/(√v̂ + ε)", rf"{base} - \eta \, \hat{{m}} / (\sqrt{{\hat{{v}}}} + \epsilon)")
        parts = [target, ARROW, step, " = ", _n(current), " - ", _p(lr), MUL, _p(m_hat), "/("]
        parts += [*_root(v_hat), " + ", _n(eps), ") = ", _n(new)]
        return lines + [Equation(tuple(parts), "update")]
    if opt.name == "rmsprop":
        rho = float(opt.setting("rho"))
        s0, s1 = state("square_avg")
        s0, s1 = s0 or 0.0, s1 or 0.0
        ssym = _state_symbol("s", base, index)
        formula = Tex("ρ·s + (1 - ρ)·g²", r"\rho s + (1 - \rho) g^2")
        parts = [ssym, ARROW, formula, " = ", _n(rho), MUL, _p(s0), " + ", _n(1.0 - rho), MUL, _p(g), Tex("²", "^2")]
        lines.append(Equation((*parts, " = ", _n(s1)), "update"))
        step = Tex(f"{base} - η·g/(√s + ε)", rf"{base} - \eta \, g / (\sqrt{{s}} + \epsilon)")
        parts = [target, ARROW, step, " = ", _n(current), " - ", _p(lr), MUL, _p(g), "/("]
        parts += [*_root(s1), " + ", _n(eps), ") = ", _n(new)]
        return lines + [Equation(tuple(parts), "update")]
    return lines + [Equation((target, ARROW, _n(new)), "update")]  # an optimiser this module does not know


#: The state each optimiser keeps, as the matrix form names it and updates it: (state name, symbol, text, LaTeX).
_STATE_FORMULAS: dict[str, list[tuple[str, str, str, str]]] = {
    "sgd": [("momentum_buffer", "v", "v ← μ·v + g  (v = g on the first step)", r"v \leftarrow \mu v + g")],
    "adam": [
        ("m", "m", "m ← β₁·m + (1 - β₁)·g", r"m \leftarrow \beta_1 m + (1 - \beta_1) g"),
        ("v", "v", "v ← β₂·v + (1 - β₂)·g²", r"v \leftarrow \beta_2 v + (1 - \beta_2) g^2"),
    ],
    "rmsprop": [("square_avg", "s", "s ← ρ·s + (1 - ρ)·g²", r"s \leftarrow \rho s + (1 - \rho) g^2")],
}
_STATE_FORMULAS["adamw"] = _STATE_FORMULAS["adam"]


def _matrix_update_lines(trace: Trace, layer, kind: str) -> list[Line]:
    """A large layer's update in matrix form: the rules, the new state and the new values."""
    opt = trace.optimizer
    P = "W" if kind == "weights" else "b"
    new = layer.new_weights if kind == "weights" else layer.new_bias
    if opt.plain:
        if kind == "bias":
            return [Matrix(Tex("b", "b"), new, "update")]
        rule = Tex("W ← W - η·∂L/∂W", r"W \leftarrow W - \eta \, \partial L/\partial W")
        return [Equation((rule,), "update"), Matrix(Tex("W", "W"), new, "update")]
    lines: list[Line] = []
    if _decays(trace, kind) and _decoupled(trace):
        lines.append(Equation((Tex(f"{P} ← {P} - η·λ·{P}", rf"{P} \leftarrow {P} - \eta \lambda {P}"),), "update"))
    elif _decays(trace, kind):
        rule = Tex(f"g = ∂L/∂{P} + λ·{P}", rf"g = \partial L/\partial {P} + \lambda {P}")
        lines.append(Equation((rule,), "update"))
    for name, symbol, text, latex in _STATE_FORMULAS.get(opt.name, []):
        value = layer.new_state.get(f"{name}_{kind}")
        if value is None:
            continue
        lines.append(Equation((Tex(text, latex),), "update"))
        lines.append(Matrix(Tex(f"{symbol}_{P}", f"{symbol}^{{{P}}}"), value, "update"))
    rules = {
        "sgd": (
            (f"{P} ← {P} - η·(g + μ·v)", rf"{P} \leftarrow {P} - \eta (g + \mu v)")
            if opt.setting("nesterov")
            else (f"{P} ← {P} - η·v", rf"{P} \leftarrow {P} - \eta v")
            if opt.setting("momentum")
            else (f"{P} ← {P} - η·g", rf"{P} \leftarrow {P} - \eta g")
        ),
        "adam": (
            f"{P} ← {P} - η·m̂/(√v̂ + ε),  m̂ = m/(1 - β₁ᵗ), v̂ = v/(1 - β₂ᵗ), t = {opt.t}",
            rf"{P} \leftarrow {P} - \eta \, \hat{{m}} / (\sqrt{{\hat{{v}}}} + \epsilon), \quad "
            rf"\hat{{m}} = m / (1 - \beta_1^t), \; \hat{{v}} = v / (1 - \beta_2^t), \; t = {opt.t}",
        ),
        "rmsprop": (f"{P} ← {P} - η·g/(√s + ε)", rf"{P} \leftarrow {P} - \eta \, g / (\sqrt{{s}} + \epsilon)"),
    }
    rules["adamw"] = rules["adam"]
    text, latex = rules.get(opt.name, (f"{P} ← new {P}", rf"{P} \leftarrow {P}"))
    lines.append(Equation((Tex(text, latex),), "update"))
    lines.append(Matrix(Tex(P, P), new, "update"))
    return lines


# -- several steps -------------------------------------------------------------
def build_steps_sections(traces: list[Trace], max_neurons: int = 8, max_samples: int = 4) -> list[Section]:
    """Consecutive steps as one list of sections.

    The first step's ``"header"`` (titled for all the steps) and ``"inputs"``
    (the same full batch every step), then for each step k (0-based) a
    ``"step-<k>"`` title section and that step's parts with keys prefixed
    ``"steps[k]."``: ``"steps[0].forward"``, ..., ``"steps[1].update-0"``.
    """
    out: list[Section] = []
    K = len(traces)
    for k, trace in enumerate(traces):
        parts = build_sections(trace, max_neurons, max_samples)
        if k == 0:
            header = parts[0]
            title = f"{K} training steps, explained"
            header.heading = Tex(title, title)
            out += parts[:2]
        opt = trace.optimizer
        summary: tuple[Part, ...] = (
            f"Optimizer step t = {opt.t}; learning rate ",
            Tex("η", "$\\eta$"),
            " = ",
            _n(trace.learning_rate),
            "; the loss before this step's update ",
            Tex("L", "$L$"),
            " = ",
            _n(trace.loss),
            "." if k == 0 else "; the weights and optimiser state are those the step before left.",
        )
        heading = f"Step {k + 1} of {K}"
        out.append(Section(f"step-{k}", Tex(heading, heading), 0, [Prose(summary)]))
        for section in parts[2:]:
            section.key = f"steps[{k}].{section.key}"
            out.append(section)
    return out
