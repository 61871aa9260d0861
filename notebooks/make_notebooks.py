"""Write the teaching notebooks from the cell texts below (the .ipynb files are the product).

Run from the repository root after changing a cell here:

    .venv/bin/python notebooks/make_notebooks.py
    .venv/bin/nbstripout notebooks/*.ipynb
    .venv/bin/python -m pytest --nbmake notebooks/ -q

Cells are plain strings: a string starting with "md:" is a markdown cell, one starting
with "check:" a check cell (code, tagged "check", collapsed), any other a code cell. Cell ids are derived from the notebook and the position, so regenerating an unchanged
notebook gives an identical file (no diff noise).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import nb07_second_derivatives as nb07

from microgrand.ops import function_ops

HERE = Path(__file__).resolve().parent

# The op table's functions, as `microgrand draw` accepts them (no hand-written op list).
FUNCTIONS = ", ".join(
    f"`{name}({', '.join('xy'[:arity])})`" for name, arity in function_ops().items()
)


# The last cells of every notebook check what it showed (running it is a test). They are
# tagged "check" and their code starts collapsed, so a learner reads the lesson, not asserts.
CHECKS_HEADER = """md:
## Checks

The cells below check the numbers this notebook showed, so running it is a test (`make test`
runs every notebook). Their code is collapsed: click the three dots to read it.
"""


def notebook(stem: str, cells: list[str]) -> nbformat.NotebookNode:
    """A notebook with no outputs, the python3 kernel and deterministic cell ids.

    A cell text starting with "md:" is a markdown cell, one starting with "check:" a check
    (a code cell, tagged and collapsed), any other a code cell.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, text in enumerate(cells):
        text = text.strip("\n")
        cell_id = f"{stem[:2]}-{index:02d}"
        if text.startswith("md:"):
            cell = nbformat.v4.new_markdown_cell(text[3:].strip("\n"), id=cell_id)
        elif text.startswith("check:"):
            source = text[len("check:") :].strip("\n")
            metadata = {"tags": ["check"], "jupyter": {"source_hidden": True}}
            cell = nbformat.v4.new_code_cell(source, id=cell_id, metadata=metadata)
        else:
            cell = nbformat.v4.new_code_cell(text, id=cell_id)
        nb.cells.append(cell)
    return nb


# --- 01: the computation graph ------------------------------------------------------------

NB01 = [
    """md:
# 1. The computation graph, forward and backward

The lecture computes the loss of logistic regression with a **computation graph**: the
forward pass goes left to right and computes the value of every box; the backward pass goes
right to left and computes the derivative of the final output with respect to every box
(the lecture writes `dvar` for d(final output)/d(var)).

This notebook first builds the earlier lecture's example, J = 3(a + bc), one box per cell,
drawing the graph after each step; then it does the same for one logistic-regression
example x₁, x₂, w₁, w₂, b → z → a → L.

Change any number in the cells and run them again (Run → Run All Cells): every drawing and
every gradient follows.
""",
    """
import html
import tempfile
from pathlib import Path

from IPython.display import HTML, display

from microgrand import Node, draw, lecture_graph
from microgrand.backprop_steps import save_steps, steps
""",
    """md:
## J = 3(a + bc), one box at a time

Three inputs, a = 5, b = 3, c = 2 (the lecture's numbers). A `Node` is one scalar of the
graph; its name is what the drawings show.
""",
    """
a = Node(5.0, "a")
b = Node(3.0, "b")
c = Node(2.0, "c")
a, b, c
""",
    """md:
**Step 1:** u = bc. Every arithmetic operation on nodes makes a new node that remembers its
inputs; `.named("u")` gives it the lecture's name. Until the backward pass has run, the red
arrows show only the derivative *formulas* (db = c: how much u moves per unit of b).
""",
    """
u = (b * c).named("u")
draw(u)
""",
    """md:
**Step 2:** v = a + u.
""",
    """
v = (a + u).named("v")
draw(v)
""",
    """md:
**Step 3:** J = 3v. That is the whole forward pass: J = 3(5 + 3·2) = 33.
""",
    """
J = (3 * v).named("J")
draw(J)
""",
    """md:
## The backward pass

`J.backward()` goes right to left and fills in every node's `.grad` with dJ/d(node). The
lecture's results: dv = 3, du = dv · dv/du = 3, da = dv · dv/da = 3,
db = du · du/db = 3 · c = 6 and dc = du · du/dc = 3 · b = 9.
""",
    """
J.backward()
for node in (v, u, a, b, c):
    print(f"d{node.name} = dJ/d{node.name} = {node.grad}")

# kept for the checks at the end (the logistic-regression part reuses the names a and b)
abc = {"J": J, "u": u, "v": v, "a": a, "b": b, "c": c}
J_drawing = draw(J)
J_drawing
""",
    """md:
The red arrows are the backward pass, each labelled with the lecture's name for the
derivative and its value. The drawing above is the **lecture view**: one box per named
quantity. The **ops view** draws what the engine really stores: one box per primitive
operation (the constant 3 is a dashed box), and on every edge the op's *local* derivative ∂.
""",
    """
J_ops = draw(J, view="ops")
J_ops
""",
    """md:
## Backprop, step by step

`steps(J)` replays the backward pass in the order the engine runs it, one drawing per step
(gradients not known yet are shown as `?`).
""",
    """
J_frames = list(steps(J))
for frame in J_frames:
    print(frame.caption)
""",
    """
print(J_frames[1].caption)
display(J_frames[1])
print(J_frames[2].caption)
display(J_frames[2])
""",
    """md:
## One logistic-regression example

The lecture's graph for one example with two features:

- z = w₁x₁ + w₂x₂ + b
- ŷ = a = σ(z)
- L(a, y) = −(y log a + (1 − y) log(1 − a))

The point is x₁ = 2, x₂ = −1 with label y = 1, and the parameters are w₁ = 0.3, w₂ = 0.5,
b = 0.1. x₁, x₂ and y are **data**: we never change them, so the lecture never asks for
dx₁. `requires_grad=False` marks them: they get no red arrow and their grad stays 0.
""",
    """
x1 = Node(2.0, "x1", requires_grad=False)
x2 = Node(-1.0, "x2", requires_grad=False)
y = Node(1.0, "y", requires_grad=False)
w1 = Node(0.3, "w1")
w2 = Node(0.5, "w2")
b = Node(0.1, "b")
""",
    """md:
**Step 1:** z = w₁x₁ + w₂x₂ + b. The engine builds z from four primitive operations (two
products, two sums); the lecture view folds the unnamed ones into the formula of z.
""",
    """
z = (w1 * x1 + w2 * x2 + b).named("z")
draw(z)
""",
    """md:
**Step 2:** ŷ = a = σ(z).
""",
    """
a = z.sigmoid().named("a")
draw(a)
""",
    """md:
**Step 3:** the loss L(a, y), written out exactly as the lecture writes it.
""",
    """
L = (-(y * a.log() + (1 - y) * (1 - a).log())).named("L")
draw(L)
""",
    """md:
## Backward: da, dz, dw₁, dw₂, db

The lecture's formulas: da = −y/a + (1 − y)/(1 − a), then dz = da · a(1 − a) = a − y, then
dw₁ = x₁ dz, dw₂ = x₂ dz and db = dz. `L.backward()` gets the same numbers from the chain
rule alone; it knows none of these formulas.
""",
    """
L.backward()
print(f"L   = {L.value:.4f}")
da_formula = -y.value / a.value + (1 - y.value) / (1 - a.value)
print(f"da  = {a.grad:.4f}    -y/a + (1-y)/(1-a) = {da_formula:.4f}")
print(f"dz  = {z.grad:.4f}    a - y   = {a.value - y.value:.4f}")
print(f"dw1 = {w1.grad:.4f}    x1 * dz = {x1.value * z.grad:.4f}")
print(f"dw2 = {w2.grad:.4f}     x2 * dz = {x2.value * z.grad:.4f}")
print(f"db  = {b.grad:.4f}    dz      = {z.grad:.4f}")
print(f"dx1 = {x1.grad}  (data: no gradient)")
""",
    """
L_drawing = draw(L)
L_drawing
""",
    """md:
The same graph in the ops view: the loss alone is eleven primitive operations. This is why
the lecture draws named boxes.
""",
    """
L_ops = draw(L, view="ops")
L_ops
""",
    """md:
microgrand ships this graph as `lecture_graph()` (same names, same defaults); it gives the
same numbers:
""",
    """
g = lecture_graph(x1=2.0, x2=-1.0, w1=0.3, w2=0.5, b=0.1, y=1.0)
g.L.backward()
print(g.L.value == L.value, g.w1.grad == w1.grad, g.w2.grad == w2.grad, g.b.grad == b.grad)
""",
    """md:
## The backward pass of L, step by step

In the lecture view there is one step per box: L gives da, a gives dz, z gives dw₁, dw₂
and db. `save_steps` writes all frames into one self-contained page with Previous/Next
buttons and a slider; it is shown below (use the buttons or the ← → keys), and two frames
are shown inline after it.
""",
    """
page = save_steps(L, Path(tempfile.gettempdir()) / "microgrand-backprop-L.html")
print(f"written to {page} (open it in any browser)")
page_html = page.read_text(encoding="utf-8")
HTML(
    f'<div><iframe srcdoc="{html.escape(page_html, quote=True)}" '
    'style="width: 100%; height: 520px; border: 1px solid #ccc"></iframe></div>'
)
""",
    """
L_frames = list(steps(L))
for frame in L_frames[2:4]:
    print(frame.caption)
    display(frame)
""",
    CHECKS_HEADER,
    """check:
import math

from microgrand import lecture

# J = 3(a + bc) at a = 5, b = 3, c = 2: u = 6, v = 11, J = 33 and the lecture's derivatives
assert (abc["u"].value, abc["v"].value, abc["J"].value) == (6.0, 11.0, 33.0)
grads = {name: abc[name].grad for name in ("v", "u", "a", "b", "c")}
assert grads == {"v": 3.0, "u": 3.0, "a": 3.0, "b": 6.0, "c": 9.0}, grads
closed = lecture.three_abc(5.0, 3.0, 2.0)
assert (closed.dv, closed.du, closed.da, closed.db, closed.dc) == (3.0, 3.0, 3.0, 6.0, 9.0)
# the drawings show the lecture's boxes and red labels
for text in ("u = bc", "v = a + u", "J = 3v", "db = 6", "dc = 9"):
    assert text in J_drawing.source, text
assert J_drawing.source.count("shape=box") == 3  # u, v, J
assert J_ops.source.count("shape=ellipse") == 3  # ×, +, ×
assert len(J_frames) == 5  # start, one step per box (J, v, u), done
assert J_frames[-1].source == J_drawing.source
""",
    """check:
# one logistic-regression example, against the lecture's closed form
ex = lecture.one_example(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)
assert math.isclose(z.value, 0.2, abs_tol=1e-15)
assert math.isclose(L.value, ex.L, rel_tol=1e-15)
pairs = [(a.grad, ex.da), (z.grad, ex.dz), (w1.grad, ex.dw1), (w2.grad, ex.dw2), (b.grad, ex.db)]
for got, want in pairs:
    assert math.isclose(got, want, rel_tol=1e-12), (got, want)
assert z.grad == a.value - y.value  # dz = a - y, bit for bit
assert (x1.grad, x2.grad, y.grad) == (0.0, 0.0, 0.0)  # data
# the numbers printed above (4 significant digits, as the lecture shows them)
shown = (round(L.value, 4), round(z.grad, 4), round(w1.grad, 4), round(w2.grad, 4))
assert shown == (0.5981, -0.4502, -0.9003, 0.4502), shown
for text in ("z = w₁x₁ + w₂x₂ + b", "ŷ = a = σ(z)", "L(a, y)", "dz = a − y = −0.4502",
             "dw₁ = x₁·dz = −0.9003", "dw₂ = x₂·dz = 0.4502", "db = dz = −0.4502"):
    assert text in L_drawing.source, text
assert "dx₁" not in L_drawing.source and "dy" not in L_drawing.source
assert L_ops.source.count("shape=ellipse") > 10  # the loss alone is many primitive ops
assert g.L.value == L.value and g.w1.grad == w1.grad
# the step-by-step page: start, L, a, z, done
assert len(L_frames) == 5 and page_html.count("<svg") == 5
assert "dz = −0.4502" in L_frames[2].caption
""",
]


# --- 02: derivatives vs the closed form ---------------------------------------------------

NB02 = [
    """md:
# 2. Autograd vs the lecture's formulas

The lecture derives the derivatives of logistic regression by hand:

| quantity | lecture's formula |
|---|---|
| da | −y/a + (1 − y)/(1 − a) |
| dz | a − y |
| dw₁ | x₁ dz |
| dw₂ | x₂ dz |
| db | dz |

microgrand knows none of these formulas: `L.backward()` multiplies the local derivatives of
the primitive operations (×, +, σ, log, …) along the graph. This notebook puts the two side
by side, adds finite differences as a third, independent opinion, and then looks at what
goes wrong when σ(z) saturates, and why `bce_with_logits` exists.
""",
    """
import math

from microgrand import Node, bce_with_logits, draw, gradcheck, lecture, lecture_graph
from microgrand.comparison import compare
from microgrand.chain_rule import explain
""",
    """md:
## Three opinions on each gradient

`compare` builds the lecture's graph at a point, runs `backward()`, evaluates the lecture's
formulas on plain floats (`microgrand.lecture`, which never sees a node) and takes a
central finite difference (L(v + h) − L(v − h)) / 2h of the graph for each quantity. The Δ
columns are the differences from autograd: `0` means equal bit for bit.

Change the point and run again.
""",
    """
point = dict(x1=2.0, x2=-1.0, w1=0.3, w2=0.5, b=0.1, y=1.0)
table = compare(**point)
table
""",
    """
print(table)
""",
    """md:
Autograd and the lecture's formulas agree exactly; finite differences agree to about 1e-10,
which is what a difference quotient with h = 1e-6 can do in floating point.

## Each gradient as the chain rule

`explain(L, node)` spells out what `backward()` multiplied: the local derivatives from L
down to the node, first as formulas, then as numbers. Note the line
`dL/da sums 2 paths`: a appears in both terms of the loss, y log a and
(1 − y) log(1 − a); with y = 1 the second path contributes 0.
""",
    """
g = table.graph
explanations = {}
for node in (g.a, g.z, g.w1, g.w2, g.b):
    explanations[node.name] = explain(g.L, node)
    print(explanations[node.name])
    print()
""",
    """md:
The second line of `dz` is the lecture's remark for calculus experts:
dz = dL/da · da/dz = (−y/a + (1 − y)/(1 − a)) · a(1 − a), which simplifies to a − y.
""",
    """
da, a_value, y_value = g.a.grad, g.a.value, g.y.value
print(f"da * a(1-a) = {da * a_value * (1 - a_value)}")
print(f"a - y       = {a_value - y_value}")
""",
    """md:
## Finite differences by hand

The third opinion needs no calculus at all: nudge w₁ a little each way and look at how much
L moves.
""",
    """
def loss_at(**change):
    \"\"\"L at the point with some values changed (a new graph every time).\"\"\"
    return lecture_graph(**{**point, **change}).L.value


h = 1e-6
fd_w1 = (loss_at(w1=point["w1"] + h) - loss_at(w1=point["w1"] - h)) / (2 * h)
print(f"finite difference: {fd_w1:.10f}")
print(f"autograd dw1:      {g.w1.grad:.10f}")
""",
    """md:
A check must be able to fail. Suppose we had made a sign mistake and written dz = y − a:
""",
    """
wrong_dz = y_value - a_value
fd_b = (loss_at(b=point["b"] + h) - loss_at(b=point["b"] - h)) / (2 * h)
print(f"wrong db = dz = y - a = {wrong_dz:.6f}, finite difference says {fd_b:.6f}")
""",
    """md:
`gradcheck` does this for every input of a function at once, with PyTorch's rule
(|analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|). Here the function takes w₁, w₂, b and
returns L:
""",
    """
def loss_of(w1, w2, b, x1=2.0, x2=-1.0, y=1.0):
    z = w1 * x1 + w2 * x2 + b
    a = z.sigmoid()
    return -(y * a.log() + (1 - y) * (1 - a).log())


checked = gradcheck(loss_of, [0.3, 0.5, 0.1])
checked
""",
    """md:
## When σ(z) saturates

σ(z) = 1/(1 + e⁻ᶻ). At z = 40, e⁻⁴⁰ ≈ 4·10⁻¹⁸ is far smaller than the spacing of floats
near 1 (about 1.1·10⁻¹⁶), so a rounds to exactly 1.0, and the lecture's loss needs
log(1 − a) = log(0).
""",
    """
print(f"sigmoid(40) == 1.0: {lecture.sigmoid(40.0) == 1.0}")
print(f"1 - sigmoid(40) = {1 - lecture.sigmoid(40.0)}")
""",
    """md:
microgrand refuses to compute log(0) (it would be −∞, and every gradient after it `nan`)
and says why, in one message. Here w₁ = 40 and x₁ = 1 give z = 40:
""",
    """
saturated = dict(x1=1.0, x2=0.0, w1=40.0, w2=0.0, b=0.0, y=0.0)  # z = 40
try:
    lecture_graph(**saturated)
    message = None
except ValueError as error:
    message = str(error)
    print("ValueError:", message)
""",
    """md:
Even y = 1 does not help: the written-out loss still computes (1 − y) · log(1 − a), that is
0 · log(0).
""",
    """
try:
    lecture_graph(**{**saturated, "y": 1.0})
    message_y1 = None
except ValueError as error:
    message_y1 = str(error)
    print("ValueError:", message_y1)
""",
    """md:
Before it breaks, it goes quietly wrong. At z = 30 and y = 0 the true loss is
−log(1 − σ(30)) = 30 + log(1 + e⁻³⁰) ≈ 30.0000000000001, but 1 − a keeps only three
correct digits once a has been rounded:
""",
    """
written_out = lecture_graph(x1=1.0, x2=0.0, w1=30.0, w2=0.0, b=0.0, y=0.0).L.value
stable = bce_with_logits(Node(30.0, "z"), 0.0).value
print(f"written-out loss at z = 30: {written_out!r}")
print(f"bce_with_logits at z = 30:  {stable!r}")
print(f"error: {written_out - stable:.2e}")
""",
    """md:
## Why `bce_with_logits` exists

`bce_with_logits(z, y)` is the lecture's L(σ(z), y) as **one** primitive operation that
takes z, not a. It is computed as max(z, 0) − zy + log(1 + e⁻|ᶻ|), which never forms
log(0) and never overflows, and its local derivative is exactly the lecture's
dz = a − y = σ(z) − y. Training on many examples (notebook 3) uses it for every example, so
that one confidently classified example cannot crash a long run.
""",
    """
z = Node(40.0, "z")
L = bce_with_logits(z, 0.0).named("L")
L.backward()
print(f"L = {L.value!r}, dz = {z.grad!r}  (a - y = {lecture.sigmoid(40.0) - 0.0!r})")
bce_drawing = draw(L, formulas=True)  # formulas on the red arrow, not only numbers
bce_drawing
""",
    """md:
And it gives the same numbers as the lecture's graph wherever that one works, here at the
point of the table above (z = 0.2):
""",
    """
x1, x2 = Node(2.0, "x1", requires_grad=False), Node(-1.0, "x2", requires_grad=False)
w1, w2, b = Node(0.3, "w1"), Node(0.5, "w2"), Node(0.1, "b")
z_small = (w1 * x1 + w2 * x2 + b).named("z")
L_small = bce_with_logits(z_small, 1.0).named("L")
L_small.backward()
print(f"L   = {L_small.value:.6f}  (lecture graph: {g.L.value:.6f})")
print(f"dw1 = {w1.grad:.6f}  (lecture graph: {g.w1.grad:.6f})")
bce_checked = [
    gradcheck(lambda z: bce_with_logits(z, label), [z_value])
    for z_value in (-40.0, 0.2, 40.0)
    for label in (0.0, 1.0)
]
bce_checked
""",
    CHECKS_HEADER,
    """check:
shown = {row.quantity: row for row in table.rows}
assert set(shown) == {"L", "da", "dz", "dw1", "dw2", "db"}
# autograd and the lecture's formulas: equal bit for bit ("0" in the Δ lecture column)
assert table.max_formula_diff == 0.0, table.max_formula_diff
# finite differences: a third opinion, close but not exact
assert 0.0 < table.max_numeric_diff < 1e-8, table.max_numeric_diff
# the numbers in the table (4 significant digits)
printed = {q: f"{row.autograd:.4g}" for q, row in shown.items()}
assert printed == {"L": "0.5981", "da": "-1.819", "dz": "-0.4502",
                   "dw1": "-0.9003", "dw2": "0.4502", "db": "-0.4502"}, printed
# explain gives the same value as backward for every gradient
for name, node in [("a", g.a), ("z", g.z), ("w1", g.w1), ("w2", g.w2), ("b", g.b)]:
    assert math.isclose(explanations[name].value, node.grad, rel_tol=1e-12), name
assert "a * (1 - a)" in str(explanations["z"])
assert math.isclose(da * a_value * (1 - a_value), a_value - y_value, rel_tol=1e-12)
# finite differences by hand, and a wrong formula is caught
assert math.isclose(fd_w1, g.w1.grad, rel_tol=1e-6)
assert abs(wrong_dz - fd_b) > 0.5
assert checked is True
""",
    """check:
# saturation: the error is raised, names the cause and the cure
assert lecture.sigmoid(40.0) == 1.0
assert message is not None and message_y1 is not None
for text in ("log(x) needs x > 0", "saturated sigmoid", "40.0", "bce_with_logits"):
    assert text in message, text
assert "\\n" not in message
# before it breaks it is quietly wrong; bce_with_logits is right
assert abs(written_out - stable) > 1e-4
assert math.isclose(stable, 30.0 + math.log1p(math.exp(-30.0)), rel_tol=1e-15)
# bce_with_logits at z = 40: L = 40, dz = a - y = 1
assert math.isclose(L.value, 40.0, rel_tol=1e-15) and z.grad == 1.0
assert "dz = a − y" in bce_drawing.source
# and equal to the lecture's graph where that one works
assert math.isclose(L_small.value, g.L.value, rel_tol=1e-12)
assert math.isclose(w1.grad, g.w1.grad, rel_tol=1e-12)
assert all(bce_checked)
""",
]


# --- 03: gradient descent -----------------------------------------------------------------

NB03 = [
    """md:
# 3. Gradient descent

The lecture ends with one step of gradient descent on one example:

- w₁ := w₁ − α dw₁
- w₂ := w₂ − α dw₂
- b := b − α db

and the next lecture repeats it on a training set of m examples, where the cost
J = (1/m) Σᵢ L(a⁽ⁱ⁾, y⁽ⁱ⁾) and its derivatives are averages over the examples:
dw₁ = (1/m) Σᵢ x₁⁽ⁱ⁾ dz⁽ⁱ⁾, dw₂ = (1/m) Σᵢ x₂⁽ⁱ⁾ dz⁽ⁱ⁾, db = (1/m) Σᵢ dz⁽ⁱ⁾.
""",
    """
%matplotlib inline
import math

import matplotlib.pyplot as plt

from microgrand import lecture, lecture_graph, train
from microgrand.datasets import load_iris, standardize
from microgrand.logreg import Parameters, accuracy, batch_graph, data_nodes, descent_step
""",
    """md:
## One step on one example, as the lecture writes it

The example of notebook 1: x₁ = 2, x₂ = −1, y = 1, and w₁ = 0.3, w₂ = 0.5, b = 0.1.
First the backward pass gives dw₁, dw₂, db; then the update with learning rate α.
""",
    """
alpha = 0.1
g = lecture_graph(x1=2.0, x2=-1.0, w1=0.3, w2=0.5, b=0.1, y=1.0)
g.L.backward()
dw1, dw2, db = g.w1.grad, g.w2.grad, g.b.grad
print(f"dz = a - y = {g.z.grad:.4f}, dw1 = {dw1:.4f}, dw2 = {dw2:.4f}, db = {db:.4f}")

w1 = g.w1.value - alpha * dw1
w2 = g.w2.value - alpha * dw2
b = g.b.value - alpha * db
print(f"w1 := {g.w1.value} - {alpha} * ({dw1:.4f}) = {w1:.4f}")
print(f"w2 := {g.w2.value} - {alpha} * ({dw2:.4f}) = {w2:.4f}")
print(f"b  := {g.b.value} - {alpha} * ({db:.4f}) = {b:.4f}")
""",
    """md:
The lecture's closed form (`microgrand.lecture`, plain floats) gives the same step, and
`descent_step(g, alpha)` does both parts at once and returns the graph at the new parameters.
The loss on this example went down:
""",
    """
closed = lecture.one_example(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)
closed_step = lecture.descent_step(0.3, 0.5, 0.1, closed.dw1, closed.dw2, closed.db, alpha)
print("closed form:", closed_step)

g_next = descent_step(g, alpha)
print(f"L before: {g.L.value:.4f}, after one step: {g_next.L.value:.4f}")
""",
    """md:
A few more steps on this one example. Try a larger α.
""",
    """
one_example_losses = [g.L.value]
current = g
for _ in range(10):
    current = descent_step(current, alpha)
    one_example_losses.append(current.L.value)
print(" ".join(f"{value:.4f}" for value in one_example_losses))
""",
    """md:
## m examples: iris

The shipped data set is Fisher's iris, 100 flowers: setosa (y = 0) vs versicolor (y = 1),
with two features, x₁ = sepal length and x₂ = sepal width. Plain gradient descent is slow
on raw centimetres (the features are far from 0 and on different scales), so we
standardize each feature to mean 0 and standard deviation 1 first.
""",
    """
iris = load_iris()
scaled = standardize(iris)
data = scaled.data
x1s, x2s, ys = data.x1, data.x2, data.y
print(f"m = {data.m} examples, features {data.feature_names}, {int(sum(ys))} with y = 1")
print(f"means {scaled.means[0]:.3f} cm, {scaled.means[1]:.3f} cm; "
      f"stds {scaled.stds[0]:.3f} cm, {scaled.stds[1]:.3f} cm")
""",
    """md:
### Autograd vs the m-example formulas

`batch_graph` builds J on all m examples as one graph (one `bce_with_logits` per example),
and `J.backward()` gives dw₁, dw₂, db. `lecture.m_examples` computes the same with the
lecture's for-loop over the examples. At some parameters:
""",
    """
def check_gradients(params):
    \"\"\"(autograd, closed form) of J, dw1, dw2, db at params, on the iris data.\"\"\"
    graph = batch_graph(params, data_nodes(x1s), data_nodes(x2s), ys)
    graph.J.backward()
    autograd = (graph.J.value, graph.w1.grad, graph.w2.grad, graph.b.grad)
    batch = lecture.m_examples(x1s, x2s, ys, *params)
    return autograd, (batch.J, batch.dw1, batch.dw2, batch.db)


probe = Parameters(w1=1.0, w2=-0.5, b=0.2)
autograd, closed_form = check_gradients(probe)
for name, auto, hand in zip(("J", "dw1", "dw2", "db"), autograd, closed_form):
    print(f"{name:4} autograd {auto: .10f}   lecture {hand: .10f}   diff {abs(auto - hand):.1e}")
""",
    """md:
### Training

Full-batch gradient descent from w₁ = w₂ = b = 0: each epoch builds J on all 100 examples,
backpropagates and updates w₁, w₂ and b by α times their gradients. (`engine="graph"`
builds the graph of Nodes every epoch, as here; by default `train` compiles the
one-example graph once and runs it on all the examples as arrays: notebook 5.)
""",
    """
result = train(x1s, x2s, ys, alpha=0.1, epochs=1000, engine="graph")
print(f"J: {result.losses[0]:.4f} at the start (log 2 = {math.log(2):.4f}), "
      f"{result.final_loss:.4f} after {result.epochs} epochs")
print(f"w1 = {result.params.w1:.4f}, w2 = {result.params.w2:.4f}, b = {result.params.b:.4f}")
""",
    """
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(result.losses)
ax.set_xlabel("epoch")
ax.set_ylabel("J (mean loss)")
ax.set_title("Gradient descent on iris (α = 0.1)")
ax.grid(alpha=0.3)
plt.show()
""",
    """md:
### The decision boundary

The prediction is ŷ = a = σ(z) ≥ 0.5 exactly when z = w₁x₁ + w₂x₂ + b ≥ 0, so the
boundary between the classes is the line w₁x₁ + w₂x₂ + b = 0, i.e.
x₂ = −(w₁x₁ + b)/w₂.
""",
    """
w1, w2, b = result.params
fig, ax = plt.subplots(figsize=(6, 4.5))
classes = ((0.0, "tab:blue", "setosa (y = 0)"), (1.0, "tab:orange", "versicolor (y = 1)"))
for label, color, name in classes:
    ax.scatter([u for u, t in zip(x1s, ys) if t == label],
               [v for v, t in zip(x2s, ys) if t == label],
               c=color, label=name, edgecolors="white", linewidths=0.5)
left, right = min(x1s) - 0.3, max(x1s) + 0.3
ax.plot([left, right], [-(w1 * left + b) / w2, -(w1 * right + b) / w2], "k--",
        label="w₁x₁ + w₂x₂ + b = 0")
ax.set_xlim(left, right)
ax.set_ylim(min(x2s) - 0.5, max(x2s) + 2.0)  # room for the legend
ax.set_xlabel("x₁: sepal length (standardized)")
ax.set_ylabel("x₂: sepal width (standardized)")
ax.legend(loc="upper left", fontsize=9)
ax.set_title(f"Decision boundary after {result.epochs} epochs")
plt.show()
""",
    """
train_accuracy = accuracy(result.params, x1s, x2s, ys)
print(f"training accuracy: {train_accuracy:.0%}")
""",
    """md:
And at the trained parameters autograd still agrees with the lecture's m-example formulas:
""",
    """
autograd_final, closed_final = check_gradients(result.params)
for name, auto, hand in zip(("J", "dw1", "dw2", "db"), autograd_final, closed_final):
    print(f"{name:4} autograd {auto: .10f}   lecture {hand: .10f}   diff {abs(auto - hand):.1e}")
""",
    """md:
### Every step, by hand

`train` is nothing but the lecture's loop. Here it is written out, checking autograd's
J, dw₁, dw₂, db against the lecture's m-example for-loop at every one of the 1000 steps:
""",
    """
x1_nodes, x2_nodes = data_nodes(x1s), data_nodes(x2s)
params = Parameters(0.0, 0.0, 0.0)
worst = 0.0  # the largest |autograd - lecture| seen
for epoch in range(1000):
    graph = batch_graph(params, x1_nodes, x2_nodes, ys)
    graph.J.backward()
    batch = lecture.m_examples(x1s, x2s, ys, *params)
    worst = max(worst, abs(graph.J.value - batch.J), abs(graph.w1.grad - batch.dw1),
                abs(graph.w2.grad - batch.dw2), abs(graph.b.grad - batch.db))
    params = Parameters(params.w1 - alpha * graph.w1.grad,  # w1 := w1 - α dw1
                        params.w2 - alpha * graph.w2.grad,  # w2 := w2 - α dw2
                        params.b - alpha * graph.b.grad)    # b := b - α db
print(f"largest difference over 1000 steps: {worst:.1e}")
print(f"same parameters as train(): {params == result.params}")
""",
    CHECKS_HEADER,
    """check:
# one step on one example: exactly the lecture's update
one_step = (g.w1.value - alpha * dw1, g.w2.value - alpha * dw2, g.b.value - alpha * db)
assert one_step == closed_step
assert (g_next.w1.value, g_next.w2.value, g_next.b.value) == one_step
assert [round(v, 4) for v in one_step] == [0.39, 0.455, 0.145]
assert g_next.L.value < g.L.value
assert all(later < earlier for earlier, later in zip(one_example_losses, one_example_losses[1:]))
""",
    """check:
# m examples: autograd against the lecture's for-loop, at a probe point and after training
for auto, hand in zip(autograd + autograd_final, closed_form + closed_final):
    assert math.isclose(auto, hand, rel_tol=1e-9, abs_tol=1e-15), (auto, hand)
# training: J starts at log 2 (w = b = 0 gives a = 0.5), goes down every epoch, ends small
assert data.m == 100 and result.epochs == 1000 and len(result.losses) == 1001
assert math.isclose(result.losses[0], math.log(2), rel_tol=1e-12)
assert all(later <= earlier for earlier, later in zip(result.losses, result.losses[1:]))
assert result.final_loss < 0.05
assert result.params.w1 > 0 > result.params.w2  # longer and narrower sepals: versicolor
assert train_accuracy == 1.0  # setosa and versicolor are linearly separable on these features
# the loop by hand: autograd equals the lecture's for-loop at every step, and train() is that loop
assert worst < 1e-12, worst
assert params == result.params
""",
]


# --- 04: interactive ----------------------------------------------------------------------

NB04 = [
    """md:
# 4. Interactive: move the numbers, watch the gradients

Sliders for x₁, x₂, w₁, w₂, b, y and the learning rate α. Each change rebuilds the graph
z = w₁x₁ + w₂x₂ + b, a = σ(z), L(a, y), redraws it with its gradients, updates the table
of autograd vs the lecture's formulas vs finite differences, and shows one gradient-descent
step with α.

Things to try: make y = 0 and see dz = a − y change sign; set x₂ = 0 and see dw₂ = x₂ dz
vanish; push z past about 37 and read the error.

(The widgets need a running kernel. Below them, the same function is called once directly,
so a static copy of this notebook still shows the drawing and the table.)
""",
    """
from IPython.display import HTML

from microgrand.widgets import GraphBox, LectureSliders, lecture_state, typed_graph
""",
    """md:
## The sliders

Release a slider to redraw. Every change calls `lecture_state(x1, x2, w1, w2, b, y, alpha)`,
which builds the lecture's graph at those numbers, runs `L.backward()`, compares the
gradients with the lecture's formulas (`compare`) and takes one step (`step`); the widget
shows the HTML it returns. (How the sliders are wired to it is in `microgrand/widgets.py`.)
""",
    """
sliders = LectureSliders()
sliders
""",
    """md:
The same function, called directly with the lecture's numbers:
""",
    """
state = lecture_state(x1=2.0, x2=-1.0, w1=0.3, w2=0.5, b=0.1, y=1, alpha=0.1)
HTML(state.html)
""",
    f"""md:
## Type a graph

Type statements in the syntax of the `microgrand draw` command: `name = expression`,
separated by `;` or new lines, and `name = number` for the inputs. Expressions may use
`+ - * / **`, parentheses and the functions {FUNCTIONS}.
List data inputs (no gradient, no red arrow) in the second box.
Mistakes are reported in one line. The text is parsed, never run as Python.

Try: `z = w1*x1 + w2*x2 + b; a = sigmoid(z); x1=2; x2=-1; w1=0.3; w2=0.5; b=0.1` with data
`x1, x2`.
""",
    """
box = GraphBox("u = b*c; v = a + u; J = 3*v; a=5; b=3; c=2")
box
""",
    """md:
Called directly (`typed_graph` is what the box runs): the box's graph, then four mistakes.
""",
    """
typed = typed_graph("u = b*c; v = a + u; J = 3*v; a=5; b=3; c=2")
HTML(typed.html)
""",
    """
mistakes = {}
for text in ("J = 3*", "J = q*2", "a = 0; J = log(a)", "J = __import__('os').system('ls')"):
    mistakes[text] = typed_graph(text).message
    print(mistakes[text])
""",
    CHECKS_HEADER,
    """check:
import math

from microgrand import lecture

# the direct call: the lecture's numbers, drawn and compared
assert state.error is None and state.graph is not None and state.table is not None
ex = lecture.one_example(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)
graph, table, after = state.graph, state.table, state.after
assert math.isclose(graph.L.value, ex.L, rel_tol=1e-15) and graph.z.grad == ex.dz
assert table.max_formula_diff == 0.0 and table.max_numeric_diff < 1e-8
closed_step = lecture.descent_step(0.3, 0.5, 0.1, ex.dw1, ex.dw2, ex.db, 0.1)
assert (after.w1.value, after.w2.value, after.b.value) == closed_step
assert after.L.value < graph.L.value
assert "L: 0.5981 → 0.4855" in state.step
for text in ("<svg", "dz = a − y = −0.4502", "<table", "-0.9003"):
    assert text in state.html, text
# the sliders start at the same numbers, and the widget shows what lecture_state returned
assert sliders.values() == dict(x1=2.0, x2=-1.0, w1=0.3, w2=0.5, b=0.1, y=1, alpha=0.1)
assert sliders.calls[0].inputs == state.inputs
assert sliders.view.value == sliders.calls[0].html == state.html
""",
    """check:
# a slider change runs lecture_state at the sliders' values and shows its HTML
sliders.controls["y"].value = 0
last = sliders.calls[-1]
assert last.inputs[5] == 0 and sliders.view.value == last.html
assert last.graph.z.grad == last.graph.a.value - 0.0 > 0  # dz = a - y
assert last.table.max_formula_diff == 0.0
sliders.controls["y"].value = 1
assert sliders.calls[-1].inputs == state.inputs
# z = 29.5: a < 1, still drawn (the comparison table may be left out)
state_z30 = lecture_state(x1=5.0, w1=5.0, b=5.0)
assert state_z30.error is None and state_z30.graph.a.value < 1.0
# z = 55: sigma(z) rounds to 1; a one-line message, not a traceback
state_z55 = lecture_state(x1=5.0, x2=5.0, w1=5.0, w2=5.0, b=5.0)
assert state_z55.error is not None and "bce_with_logits" in state_z55.error
assert "\\n" not in state_z55.error and state_z55.html.startswith("<p")
""",
    """check:
# the text box: the default graph, and each mistake as one line
assert typed.message is None and typed.root.value == 33.0 and typed.root.name == "J"
assert box.view.value == typed.html and "J = 3v" in typed.html
assert all(message is not None and "\\n" not in message for message in mistakes.values()), mistakes
assert mistakes["J = 3*"].startswith("ParseError: syntax error")
assert mistakes["J = q*2"].startswith("ParseError: unknown name 'q'")
assert mistakes["a = 0; J = log(a)"].startswith("ParseError: log(x) needs x > 0")
assert mistakes["J = __import__('os').system('ls')"].startswith("ParseError:")
# typing into the box redraws (data leaves get no red arrow)
box.text_box.value = "z = w1*x1 + w2*x2 + b; a = sigmoid(z); x1=2; x2=-1; w1=0.3; w2=0.5; b=0.1"
box.data_box.value = "x1, x2"
assert "dw₁ = x₁·dz" in box.view.value and "dx₁" not in box.view.value
""",
]

# --- 05: vectorization -----------------------------------------------------------------------

NB05 = [
    """md:
# 5. Vectorization: one graph, compiled once, run on m examples

The lectures after "Logistic Regression Gradient Descent" average the loss over m examples,
J = (1/m) Σᵢ L(a⁽ⁱ⁾, y⁽ⁱ⁾), and then get rid of the for-loop over the examples
("Vectorization", "Vectorizing logistic regression"): with X the n_x × m matrix of the
examples (one per column) and Y the 1 × m row of labels,

Z = wᵀX + b,  A = σ(Z),  dZ = A − Y,  dw = (1/m) X dZᵀ,  db = (1/m) Σ dZ.

The course times the loop against `np.dot` and finds the loop about 300 times slower. This
notebook does the same with microgrand: the lecture's for-loop, the graph of Nodes built for
every example, the one-example graph **compiled** once into Python code and replayed per
example, and the same compiled code run on numpy arrays of all m examples at once. It then
reads the generated code line by line against the lecture's equations, and checks the
vectorized gradients against the lecture's vectorized formulas.
""",
    """
import math
import time

import numpy as np

import microgrand
from microgrand import Node, bce_with_logits, lecture
from microgrand.logreg import batch_graph, data_nodes, Parameters
""",
    """md:
## m examples

m = 10,000 examples with two features, drawn with a fixed seed; X is 2 × m and Y is 1 × m,
the course's shapes. The parameters are w₁ = 0.3, w₂ = −0.2, b = 0.1.
""",
    """
m = 10_000
rng = np.random.default_rng(0)
X = rng.normal(size=(2, m))
Y = (rng.random((1, m)) < 1 / (1 + np.exp(-(1.5 * X[0] - X[1])))).astype(float)
w1, w2, b = 0.3, -0.2, 0.1
print(f"X: {X.shape}, Y: {Y.shape}, {int(Y.sum())} examples with y = 1")
""",
    """md:
## The one-example graph, compiled

The graph of one example, with x₁, x₂ and y as **data** leaves (`requires_grad=False`) and
the loss as the one stable primitive `bce_with_logits(z, y)`. `microgrand.compile(L, inputs)`
traces it once and writes the forward and backward pass as Python code: one line per node,
in the graph's names, each derivative written from its op's formula in the op table.
""",
    """
data = lambda value, name: Node(value, name, requires_grad=False)
x1, x2, y = data(2.0, "x1"), data(-1.0, "x2"), data(1.0, "y")
w1_node, w2_node, b_node = Node(w1, "w1"), Node(w2, "w2"), Node(b, "b")
z = (w1_node * x1 + w2_node * x2 + b_node).named("z")
L = bce_with_logits(z, y).named("L")
f = microgrand.compile(L, inputs=[x1, x2, y, w1_node, w2_node, b_node])
print(f.source)
""",
    """md:
Read it against the lecture:

| generated line | the lecture |
|---|---|
| `t1 = w1 * x1`, `t2 = w2 * x2`, `t3 = t1 + t2`, `z = t3 + b` | z = w₁x₁ + w₂x₂ + b, one op per line (t₁, t₂, t₃ are the unnamed boxes) |
| `L = bce_with_logits(z, y)` | L(a, y) = −(y log a + (1 − y) log(1 − a)) with a = σ(z), computed without log(0) |
| `dz = sigmoid(z) - y` | dz = a − y: the op table's formula for the loss, `sigmoid(x) - y` |
| `dw2 = dz * x2`, `dw1 = dz * x1` | dw₂ = x₂ dz, dw₁ = x₁ dz: mul's formulas (`y`, `x`) |
| `# db = dz` | db = dz: add passes the gradient on unchanged, so no line computes it |

The lines before and after (`if not float is ...`, `try`, the sum of `v - v`) are the
bookkeeping: anything but floats goes to the general path (arrays, below), and a value that
is not finite makes the engine re-run the example and name the node. On floats the results
equal `L.backward()` bit for bit:
""",
    """
out = f(2.0, -1.0, 1.0, w1, w2, b)
L.backward()
print(f"L = {out.value}, dw1 = {out.grads['w1']}, dw2 = {out.grads['w2']}, db = {out.grads['b']}")
print("bit for bit:", (out.value, out.grads[w1_node], out.grads[b_node]) == (L.value, w1_node.grad, b_node.grad))
""",
    """md:
## Four ways to compute J, dw₁, dw₂, db on m examples, timed
""",
    """
def best_of(run, repeat=5):
    \"\"\"The fastest of a few runs, in seconds.\"\"\"
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


x1s, x2s, ys = X[0].tolist(), X[1].tolist(), Y[0].tolist()  # Python floats


def for_loop():  # the lecture's loop over the examples, on plain floats
    batch = lecture.m_examples(x1s, x2s, ys, w1, w2, b)
    return batch.J, batch.dw1, batch.dw2, batch.db


x1_nodes, x2_nodes = data_nodes(x1s), data_nodes(x2s)


def graph_of_nodes():  # one graph with a node per operation of every example
    graph = batch_graph(Parameters(w1, w2, b), x1_nodes, x2_nodes, ys)
    graph.J.backward()
    return graph.J.value, graph.w1.grad, graph.w2.grad, graph.b.grad


def compiled_per_example():  # the compiled code, called once per example, then averaged
    J = dw1 = dw2 = db = 0.0
    for u, v, label in zip(x1s, x2s, ys):
        out = f(u, v, label, w1, w2, b)
        J += out.value
        dw1 += out.grads["w1"]
        dw2 += out.grads["w2"]
        db += out.grads["b"]
    return J / m, dw1 / m, dw2 / m, db / m


def compiled_vectorized():  # the same code on arrays of all m examples
    out = f(X[0], X[1], Y[0], w1, w2, b, reduce="mean")
    return out.value, out.grads["w1"], out.grads["w2"], out.grads["b"]


def formulas_vectorized():  # the lecture's vectorized formulas, with numpy
    v = lecture.vectorized(np.array([[w1], [w2]]), b, X, Y)
    return v.J, float(v.dw[0, 0]), float(v.dw[1, 0]), v.db


ways = {
    "the lecture's for-loop (floats)": for_loop,
    "a graph of Nodes, backward()": graph_of_nodes,
    "compiled, once per example": compiled_per_example,
    "compiled, on arrays (vectorized)": compiled_vectorized,
    "the vectorized formulas (numpy)": formulas_vectorized,
}
timings = {name: best_of(run, repeat=3 if "graph" in name else 5) for name, run in ways.items()}
fastest = timings["compiled, on arrays (vectorized)"][0]
for name, (seconds, values) in timings.items():
    print(f"{name:34} {seconds * 1e3:9.3f} ms  {seconds / fastest:7.1f}x   J = {values[0]:.6f}")
""",
    """md:
The for-loop and the graph of Nodes do Python work per example; the compiled code on
arrays does a fixed number of numpy operations whatever m is, each running over all the
examples at C speed, as the vectorized formulas do. (The numbers depend on your machine;
the benchmark in `benchmarks/` measures them carefully.)

## The code that runs on arrays

When an input is a numpy array, the same forward statements run with numpy's functions,
and the backward pass sums each scalar parameter's gradient over the examples as soon as
it arrives: `dot(dz, x1)` is the lecture's X dZᵀ, `total(dz)` its Σ dZ. With
`reduce="mean"` the sums are divided by m, as in J = (1/m) Σ L. Gradients of nodes that
hold one value per example (z here) stay per example: dz⁽ⁱ⁾ = a⁽ⁱ⁾ − y⁽ⁱ⁾, the lecture's
dZ = A − Y.

Each array of m examples costs memory, and a fresh one costs more than the arithmetic on
it. So a result goes into the array of a temporary that is not used again: `out=t1`
tells numpy where to write (`t3 = np.add(t1, t2, out=t1)` is `t3 = t1 + t2`), and
`dz = sigmoid(z); dz -= y` is `dz = sigmoid(z) - y` in two steps. The numbers are the
same; your inputs and the arrays the result holds are never written into.
""",
    """
print(f.array_sources["x1", "x2", "y"])
""",
    """md:
## The vectorized gradients against the lecture's formulas

`compare` with m examples puts the three side by side: the compiled graph on arrays, the
vectorized formulas (which know nothing of graphs), and the mean of the per-example graphs
built from Nodes (here on the first 2,000 examples, to keep it quick).
""",
    """
table = microgrand.compare(x1s[:2000], x2s[:2000], w1, w2, b, ys[:2000])
table
""",
    """md:
## Training on m examples

`train` runs this compiled graph by default: gradient descent, 1,000 full-batch steps on
the 10,000 examples.
""",
    """
start = time.perf_counter()
result = microgrand.train(x1s, x2s, ys, alpha=0.5, epochs=1000)
seconds = time.perf_counter() - start
print(f"1,000 epochs on m = {m}: {seconds:.2f} s; J from {result.losses[0]:.4f} to {result.final_loss:.4f}")
print(f"w1 = {result.params.w1:.4f}, w2 = {result.params.w2:.4f}, b = {result.params.b:.4f}")
""",
    CHECKS_HEADER,
    """check:
values = {name: result for name, (_, result) in timings.items()}
reference = values["the vectorized formulas (numpy)"]
for name, got in values.items():
    for a_value, b_value in zip(got, reference):
        assert math.isclose(a_value, b_value, rel_tol=1e-9, abs_tol=1e-12), (name, got, reference)
# the compiled code on floats equals the engine bit for bit
assert out.value == L.value and out.grads["w1"] == w1_node.grad and out.grads["b"] == b_node.grad
# the lecture's lines are in the generated code
for line in ("z = t3 + b", "dz = sigmoid(z) - y", "dw1 = dz * x1", "# db = dz"):
    assert line in f.source, line
assert "dw1 = dot(dz, x1)" in f.array_sources["x1", "x2", "y"]
# compare on m examples: all three agree
assert table.max_formula_diff < 1e-12 and table.max_graphs_diff < 1e-12
# training went down every epoch (up to rounding, once it has converged)
assert all(later <= earlier + 1e-12 for earlier, later in zip(result.losses, result.losses[1:]))
assert result.final_loss < 0.9 * result.losses[0]
""",
]


# --- 06: the shallow network --------------------------------------------------------------

NB06 = [
    """md:
# 6. Beyond one neuron: the course's shallow neural network

Logistic regression is one neuron: z = wᵀx + b, a = σ(z). The course's next week stacks
them: a **hidden layer** of n_h tanh units, then one sigmoid unit,

- Z[1] = W[1]X + b[1], A[1] = tanh(Z[1])
- Z[2] = W[2]A[1] + b[2], A[2] = σ(Z[2])

trained on a "flower" of two classes that no straight line separates, with backprop derived
by hand. This notebook builds that network from microgrand's `Node`s, checks its gradients
against the course's six formulas, trains it and draws what it learned.
""",
    """
import math

import numpy as np
import matplotlib.pyplot as plt

import microgrand
from microgrand import MLP, compare_network, draw, explain, lecture
from microgrand.boundary import plot_boundary
from microgrand.datasets import flower
from microgrand.logreg import accuracy as logreg_accuracy, train as logreg_train
from microgrand.network import hidden_size_table, train_network
""",
    """md:
## The flower, and why logistic regression fails on it

The course's planar data set: 400 points, 2 features, in petals r = 4·sin(4t) plus noise.
microgrand generates it from the published construction (seeded, so these are the course's
numbers). X is n_x × m = 2 × 400, one column per example, and Y is 1 × 400.
""",
    """
data = flower()
X = np.array([data.x1, data.x2])
Y = np.array([data.y])
print("X:", X.shape, " Y:", Y.shape, " m =", data.m)

fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(X[0], X[1], c=Y[0], cmap="Spectral", s=12)
ax.set_xlabel("x₁"); ax.set_ylabel("x₂"); ax.set_title("the flower: y = 0 red, y = 1 blue")
plt.show()
""",
    """md:
Logistic regression can only draw a straight line through the plane. However long it
trains, it stays near chance (the course reports 47 %):
""",
    """
line = logreg_train(data.x1, data.x2, data.y, alpha=1.0, epochs=1000)
logreg_acc = logreg_accuracy(line.params, data.x1, data.x2, data.y)
print(f"logistic regression: J = {line.final_loss:.4f}, training accuracy {logreg_acc:.0%}")
""",
    """md:
## The network, built from Nodes

`MLP(2, [4, 1])` is the course's 2-4-1 network (micrograd's shape: `MLP(n_in, [n_1, ...,
n_out])`). Its weights start small and random, its biases at zero: random to break the
symmetry between hidden units (equal weights would give every unit the same gradient, so
they would stay identical forever), small so that tanh does not start saturated. The seed
is the course's, so these are the course's starting weights.

Every parameter carries the course's name: the weight from input k to unit j of layer l is
W[l]ⱼₖ.
""",
    """
net = MLP(2, [4, 1])
print(net)
for name, p in net.named_parameters():
    print(f"{name:8} = {p.value: .8f}")
""",
    """md:
Calling the network on one example builds its graph. The course draws that graph with
vectors, one box per layer, and red backprop formulas; `draw(net)` draws it so:
""",
    """
draw(net)
""",
    """md:
With m examples the same picture in capitals (the course's vectorized formulas):
""",
    """
draw(net, view="vectorized")
""",
    """md:
The same network with every scalar: each unit's weights beside it, one column per layer,
values and gradients of one example after `L.backward()`:
""",
    """
x = net.inputs([data.x1[0], data.x2[0]])  # data leaves named x₁, x₂
y = data.y[0]
L = net.loss(x, y)
L.backward()
draw(L)
""",
    """md:
`explain` spells one first-layer weight's gradient out as the chain rule: from L back
through the output unit, the one hidden unit that weight feeds, to the weight:
""",
    """
w = net.layers[0].W[0][1]  # W[1]₁₂
explained = explain(L, w)
comparison_w_grad = w.grad  # backward's number, before training changes the weights
print(explained)
""",
    """md:
An input feeds every hidden unit, so its derivative sums one chain per unit, four paths
(x₁ is data, so backward itself leaves its gradient at 0; `explain` still shows the sum):
""",
    """
through_x1 = explain(L, x[0])
print(through_x1)
""",
    """md:
## Autograd vs the course's six formulas

The course derives backprop for this network by hand:

- dZ[2] = A[2] − Y, dW[2] = (1/m) dZ[2] A[1]ᵀ, db[2] = (1/m) Σ dZ[2]
- dZ[1] = W[2]ᵀ dZ[2] * (1 − A[1]²), dW[1] = (1/m) dZ[1] Xᵀ, db[1] = (1/m) Σ dZ[1]

`microgrand.lecture.two_layer_gradients` is exactly that, in numpy. `compare_network` puts
four ways side by side: backward() on the scalar graph of J, the compiled vectorized graph
that training uses, the six formulas, and central finite differences (Δ: the largest
difference from the formulas in each matrix):
""",
    """
comparison = compare_network(net, X, Y)
comparison
""",
    """
print(comparison.text(entries=True))
""",
    """md:
## Training

Full-batch gradient descent as the course runs it: α = 1.2, 10,000 iterations. Each
iteration runs the network's graph compiled once (`microgrand.compile`) over all 400
examples as numpy arrays; rebuilding 400 scalar graphs every iteration would take minutes.
""",
    """
result = train_network(net, X, Y, alpha=1.2, iterations=10_000)
for k in range(0, 10_000, 1000):
    print(f"Cost after iteration {k}: {result.costs[k]:f}")
print(f"training accuracy: {result.accuracy:.2%} ({result.correct}/{result.m}) "
      f"in {result.seconds:.1f} s")
""",
    """
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(result.costs)
ax.set_xlabel("iteration"); ax.set_ylabel("J"); ax.set_title("the cost while training")
plt.show()
""",
    """md:
## The decision boundary

The trained network bends its boundary around the petals:
""",
    """
plot_boundary(net, X, Y)
""",
    """md:
At the trained parameters autograd still equals the six formulas:
""",
    """
trained = compare_network(net, X, Y)
print(trained)
""",
    """md:
## How many hidden units?

The course's table: one network per hidden-layer size, each from the course's seeded
start (5,000 iterations each here to keep the notebook quick). One or two units are too
few for four petals; from three on the network fits the flower, and more units fit the
training set more closely (the course warns that large n_h can overfit).
""",
    """
table = hidden_size_table(X, Y, [1, 2, 3, 4, 5, 20], iterations=5000)
for row in table:
    print(f"n_h = {row.n_h:2}: training accuracy {row.result.accuracy:.2%}")
""",
    """
plot_boundary([row.net for row in table], X, Y)
""",
    CHECKS_HEADER,
    """check:
# the data: the course's flower
assert X.shape == (2, 400) and Y.shape == (1, 400) and Y.sum() == 200
assert logreg_acc <= 0.60  # no straight line separates the petals
# gradients: scalar graph, compiled graph, the six formulas, finite differences agree
assert comparison.max_formula_diff < 1e-12 and comparison.max_numeric_diff < 1e-6
assert trained.max_formula_diff < 1e-12 and trained.max_numeric_diff < 1e-6
assert math.isclose(explained.value, comparison_w_grad, rel_tol=1e-12)
assert len(through_x1.chains) == 4  # one path through each hidden unit
# training: the course's cost curve and accuracy
assert math.isclose(result.costs[0], 0.693048, abs_tol=5e-7)
assert math.isclose(result.costs[1000], 0.288083, abs_tol=5e-7)
assert result.accuracy >= 0.85
accuracy = {row.n_h: row.result.accuracy for row in table}
assert accuracy[1] < 0.75 and accuracy[2] < 0.75 and min(accuracy[n] for n in (3, 4, 5, 20)) >= 0.85
""",
]


NB07 = [*nb07.LESSON, CHECKS_HEADER, *nb07.CHECKS]

NOTEBOOKS = {
    "01_computation_graph": NB01,
    "02_derivatives_vs_closed_form": NB02,
    "03_gradient_descent": NB03,
    "04_interactive": NB04,
    "05_vectorization": NB05,
    "06_shallow_network": NB06,
    "07_second_derivatives_newton": NB07,
}


def main() -> int:
    """Write every notebook next to this script."""
    for stem, cells in NOTEBOOKS.items():
        path = HERE / f"{stem}.ipynb"
        nbformat.write(notebook(stem, cells), path)
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
