"""The cells of notebook 7, second derivatives and Newton's method (see make_notebooks.py).

A string starting with "md:" is a markdown cell, "check:" a check cell, any other a code
cell. make_notebooks.py puts its Checks heading between LESSON and CHECKS.
"""

LESSON = [
    """md:
# 7. Gradients of gradients: the Hessian and Newton's method

The lecture's backward pass gives the first derivatives, dz = a − y, dw₁ = x₁·dz, ...
Each of them is again a function of w₁, w₂ and b, so it has derivatives of its own: the
**second derivatives**. For logistic regression they are short and classic:

- ∂²L/∂z² = a(1 − a), the slope of dz = a − y;
- ∂²L/∂wᵢ∂wⱼ = a(1 − a)·xᵢxⱼ, ∂²L/∂wᵢ∂b = a(1 − a)·xᵢ, ∂²L/∂b² = a(1 − a): the
  **Hessian** of L in (w₁, w₂, b) is a(1 − a)·x·xᵀ with x = (x₁, x₂, 1).

`microgrand.grad(L, z, create_graph=True)` returns dz not as a number but as a `Node`: the
backward pass recorded as a graph, built from each op's derivative formula. That graph
can be drawn, explained, and differentiated again.
""",
    """
%matplotlib inline
import math

import matplotlib.pyplot as plt
from IPython.display import display

from microgrand import compare, explain, grad, lecture, lecture_graph
from microgrand.datasets import load_iris, standardize
from microgrand.gradients import hessian
from microgrand.logreg import ZERO, batch_graph, data_nodes, train
from microgrand.newton import SingularHessianError, derivatives, newton
""",
    """md:
## dz as a graph

The example of notebook 1: x₁ = 2, x₂ = −1, w₁ = 0.3, w₂ = 0.5, b = 0.1, y = 1.
""",
    """
g = lecture_graph()
da, dz = grad(g.L, [g.a, g.z], create_graph=True)
da.named("da")
dz.named("dz")
print(f"da = {da.value:.4f}, dz = {dz.value:.4f}  (the lecture: -y/a + (1-y)/(1-a), a - y)")
print("nothing was stored in .grad:", g.z.grad, g.w1.grad)
""",
    """md:
Drawn, the graph of `da` is the lecture's formula for da, built from the derivative of
each op on the way (the derivative of log is 1/x, of 1 − a is −1, ...). Its red arrows
are the backward pass *of the drawn root*: on them a label dv means d(da)/dv, the second
derivatives, not the lecture's dL/dv.
""",
    """
from microgrand import draw

display(draw(da))
""",
    """md:
And `dz` is da times σ's slope a(1 − a), exactly the chain rule the lecture writes on
the board. Its own derivative with respect to z, explained with `explain` like any
other gradient, is a(1 − a). (A fresh graph, so that the drawing and the explanation are
of dz alone, with no named da inside.)
""",
    """
g2 = lecture_graph()
(dz_alone,) = grad(g2.L, g2.z, create_graph=True)
dz_alone.named("dz")
display(draw(dz_alone))
print(explain(dz_alone, g2.z))
""",
    """md:
## The Hessian, side by side with the lecture's formulas

`compare()` puts autograd's second derivatives (grad of grad) next to the closed forms of
`microgrand.lecture` and next to second differences of the graph's forward pass, as it
does for the first derivatives:
""",
    """
table = compare()
display(table)
""",
    """md:
## Near saturation: right for the graph, wrong for the lecture

Far from the decision boundary the same graph loses its second derivatives to rounding.
With y = 1 and z = −74, a = σ(z) = 7.3·10⁻³³. The gradient graph goes through
da = −y/a, and its derivative in z adds (1 − a)² and −(1 − a)(1 − 2a): two numbers close
to 1 whose difference, a(1 − a), is far below their rounding. grad of grad gives 0 (so
does PyTorch's double backward on this graph), and the table marks it and says why:
""",
    """
deep = compare(2.0, -1.0, 0.0, 0.0, -74.0, 1.0)  # w1 = w2 = 0, so z = b = -74
display(deep)
""",
    """md:
The fused loss `bce_with_logits(z, y)` has the gradient σ(z) − y, whose derivative is
a(1 − a) itself: nothing cancels, at z = −74 or at z = −700 (where the graph of −y/a
divides by a² and overflows).
""",
    """
from microgrand import Node, bce_with_logits

fused = {}
for z_value in (-74.0, -700.0):
    z = Node(z_value, name="z")
    (dz_fused,) = grad(bce_with_logits(z, Node(1.0, name="y", requires_grad=False)), z,
                       create_graph=True)
    fused[z_value] = grad(dz_fused, z)[0]
    print(f"z = {z_value:g}: d²L/dz² = {fused[z_value]:.4g}")
""",
    """md:
## J over m examples

For the cost J = (1/m) Σ L(a⁽ⁱ⁾, y⁽ⁱ⁾) the Hessian is the average
H = (1/m) Σ a⁽ⁱ⁾(1 − a⁽ⁱ⁾)·x⁽ⁱ⁾x⁽ⁱ⁾ᵀ. Every term is a positive multiple of an outer product,
so H is positive semi-definite: J is convex, it has no local minima to get stuck in.
On the standardized iris data at w = b = 0 (every a = ½, so every a(1 − a) = ¼):
""",
    """
data = standardize(load_iris()).data
x1s, x2s, ys = data.x1, data.x2, data.y
graph = batch_graph(ZERO, data_nodes(x1s), data_nodes(x2s), ys)
H_autograd = hessian(graph.J, [graph.w1, graph.w2, graph.b])
H_closed = lecture.hessian_m_examples(x1s, x2s, ys, 0.0, 0.0, 0.0)
for auto_row, closed_row in zip(H_autograd, H_closed):
    print("  ".join(f"{v:8.5f}" for v in auto_row), "   |   ",
          "  ".join(f"{v:8.5f}" for v in closed_row))
""",
    """md:
## Newton's method

Gradient descent steps along −(dw₁, dw₂, db) by a fixed α. **Newton's method** also uses
the curvature: it jumps to the minimum of the quadratic that has J's value, gradient and
Hessian at the current point,

(w₁, w₂, b) := (w₁, w₂, b) − H⁻¹·(dw₁, dw₂, db).

Each iteration builds J, takes its gradient as Nodes with `create_graph=True` and
differentiates those again for H (`microgrand.newton.derivatives`). Side by side with
1000 epochs of gradient descent at α = 0.1:
""",
    """
gd = train(x1s, x2s, ys, alpha=0.1, epochs=1000)
nt = newton(x1s, x2s, ys)
reached = next(k for k, J in enumerate(nt.losses) if J <= gd.final_loss)
print(f"gradient descent: J = {gd.final_loss:.4g} after {gd.epochs} epochs")
print(f"Newton's method:  J = {nt.final_loss:.4g} after {nt.iterations} iterations "
      f"(below gradient descent's final J from iteration {reached})")

fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogy(range(len(gd.losses)), gd.losses, label="gradient descent, α = 0.1")
ax.semilogy(range(len(nt.losses)), nt.losses, "o-", label="Newton's method")
ax.set_xscale("symlog", linthresh=20)
ax.set_xlabel("iteration (epoch)")
ax.set_ylabel("J")
ax.legend()
plt.show()
""",
    """md:
## Why Newton's method keeps going: the data are separable

J of the Newton run keeps falling by a factor of about 2.7 per iteration and the weights
keep growing. The shipped iris pair is **linearly separable**: a line puts every setosa
on one side and every versicolor on the other. Then J has no finite minimizer: scaling
the weights up makes every a⁽ⁱ⁾ closer to its label, so J → 0 as ‖w‖ → ∞. With it every
a(1 − a) → 0 and the Hessian tends to the zero matrix: **singular**. That is why the run
stops at a tolerance on J (`tol`, 1e-6 by default). Without the tolerance it goes on
until the Hessian is too close to singular for a step to mean anything, and says so:
""",
    """
try:
    newton(x1s, x2s, ys, tol=0.0, max_iterations=100)
except SingularHessianError as error:
    singular = error
    print(error)
    print("\\nthe weights by then:", error.result.params)
""",
    """md:
## An L2 term gives J a minimum

Adding the course's regularization term (λ/2m)(w₁² + w₂²) to J makes it grow again for
large weights, so J has a finite minimum and its Hessian gets λ/m added on the diagonal
of the weights: never singular. Near a minimum Newton's method converges
**quadratically**: the distance to the minimum is squared at every step, so the number
of correct digits doubles.
""",
    """
lam = 0.1
reg = newton(x1s, x2s, ys, l2=lam, tol=1e-14, max_iterations=20)
for k, J in enumerate(reg.losses):
    print(f"iteration {k}:  J = {J:.15f}   J - min J = {J - reg.final_loss:.2e}")
gradient, H = derivatives(batch_graph(reg.params, data_nodes(x1s), data_nodes(x2s), ys, l2=lam))
print("gradient at the end:", [f"{v:.1e}" for v in gradient])
""",
]

CHECKS = [
    """check:
a = g.a.value
assert math.isclose(da.value, -1 / a, rel_tol=1e-12)  # y = 1: da = -y/a
assert math.isclose(dz.value, a - 1, rel_tol=1e-12)
assert math.isclose(grad(dz, g.z)[0], a * (1 - a), rel_tol=1e-12)
assert table.max_second_formula_diff == 0.0 and table.max_second_numeric_diff < 1e-6
assert deep.second[1].cancelled and deep.second[1].autograd == 0.0
assert "bce_with_logits" in deep.second[1].note
for z_value, value in fused.items():
    assert value == lecture.second_derivatives(2.0, -1.0, 0.0, 0.0, z_value, 1.0)["d2z"] > 0
assert all(
    math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-15)
    for ra, rc in zip(H_autograd, H_closed) for u, v in zip(ra, rc)
)
assert reached == 4 and nt.iterations == 16 and nt.final_loss < 1e-6
assert gd.final_loss > 0.03
assert singular.result.iterations == 23 and all(math.isfinite(J) for J in singular.result.losses)
assert reg.converged and max(abs(v) for v in gradient) < 1e-9
""",
]
