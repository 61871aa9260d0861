"""One naming, one power notation and one number formatter across the views.

Issue 9 item 8: the ops view labelled unnamed nodes by their op (``∂ = x = 2``,
``∂ = tanh = 1``, ``∂ = 1/sub``) where the lecture view calls them t₁, t₂, and printed
powers as ``1 − o^2``, which ``microgrand draw`` does not accept (Python's ``^`` is xor).
"""

from __future__ import annotations

import re

import microgrand
from microgrand import chain_rule, notation, typeset
from microgrand.node import Node
from microgrand.render import draw

LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')


def labels(root: Node, view: str) -> list[str]:
    return LABEL.findall(draw(root, view=view, formulas=True).source)


def test_an_unnamed_box_has_one_name_in_both_views() -> None:
    a, b = Node(0.5, "a"), Node(-1.5, "b")
    t = a * b  # unnamed, used twice: a box of its own in the lecture view
    J = (t.tanh() + t * 3).named("J")
    J.backward()
    lecture, ops = labels(J, "lecture"), labels(J, "ops")
    assert any(label.startswith("t₁ = ab") for label in lecture), lecture
    assert any(label.startswith("t₁ = −0.75") for label in ops), ops
    # the unnamed tanh node is written as the lecture writes it, never by its op name
    assert "∂ = 1 − tanh(t₁)² = 0.5966" in ops, ops
    assert not any(re.search(r"∂ = .*\b(mul|tanh|add)\b(?!\()", label) for label in ops), ops


def test_an_unnamed_operand_is_written_as_its_formula() -> None:
    a = Node(0.25, "a")
    L = (1 - a).log().named("L")
    L.backward()
    ops = labels(L, "ops")
    assert "∂ = 1/(1−a) = 1.333" in ops or "∂ = 1/(1−a) = 1.333" in "".join(ops), ops
    assert not any("sub" in label for label in ops), ops


def test_powers_are_superscripts_or_double_stars_never_carets() -> None:
    o, x, b = Node(0.5, "o"), Node(4.0, "x"), Node(1.5, "b")
    J = ((1 - o.tanh() ** 2) + x**-1 + x**0.5 + x**b).named("J")
    J.backward()
    text = " ".join(labels(J, "lecture") + labels(J, "ops"))
    assert "^" not in text
    assert "tanh(o)²" in text and "x⁻¹" in text and "x**0.5" in text and "x**b" in text
    assert "−x⁻² = −0.0625" in text
    assert "b x**(b − 1)" in text  # the textbook slope; is_zero only guards y = 0
    assert "is_zero" not in text


def test_a_factor_repeated_reads_as_a_power() -> None:
    """y/a/a is y/a², a·a is a², in both printers; only positive powers add up (a⁻¹·a is
    not 1 at a = 0, so it is left as written)."""
    a, y = ("atom", "a", 5), ("atom", "y", 5)
    one_minus_a = typeset.t_sub(typeset.ONE, a)

    def both(term: typeset.Typeset) -> tuple[str, str]:
        return notation.show(term)[0], notation.show(term, ascii=True)[0]

    assert both(typeset.t_div(typeset.t_div(y, a), a)) == ("y/a²", "y/a**2")
    assert both(typeset.t_mul(a, a)) == ("a²", "a**2")
    assert both(typeset.t_mul(typeset.t_mul(a, a), a)) == ("a³", "a**3")
    assert both(typeset.t_div(typeset.t_neg(typeset.t_div(y, a)), a)) == ("−y/a²", "-y/a**2")
    inverse = typeset.t_div(typeset.ONE, one_minus_a)
    assert both(typeset.t_mul(inverse, inverse)) == ("1/(1−a)²", "1/(1-a)**2")
    assert both(typeset.t_mul(a, typeset.t_mul(a, one_minus_a))) == (
        "a²(1 − a)",
        "a**2 * (1 - a)",
    )
    assert both(typeset.t_mul(typeset.t_pow(a, ("num", -1.0)), a)) == ("a⁻¹·a", "a**(-1) * a")
    assert both(typeset.t_div(typeset.t_div(y, a), y)) == ("y/a/y", "y/a/y")


def test_a_folded_square_and_quotient_read_as_powers_in_red_labels() -> None:
    """Unnamed x·x and x/y folded into a box: their derivatives read x², y³, not x·x, y/y/y."""
    x, y = Node(1.5, "x"), Node(2.0, "y")
    J = (x / y / y).named("J")
    J.backward()
    assert "dy = −J/y − x/y³ = −0.375" in labels(J, "lecture")
    assert "∂ = −x/y² = −0.375" in labels(J, "ops")
    K = (x * x * x).named("K")
    K.backward()
    assert "dx = x² + x² + x² = 6.75" in labels(K, "lecture")


def test_two_nodes_with_one_name_folded_into_a_box_are_not_a_square() -> None:
    """A folded product is a square only when it is one node twice: two distinct nodes
    both named a (1.5 and 2.5) are told apart (a₁, a₂) and their product reads a₁a₂,
    never a² (which would mean 1.5² = 2.25 or 2.5², not 3.75)."""
    a, other = Node(1.5, "a"), Node(2.5, "a")
    K = (a * other * a).named("K")
    K.backward()
    drawn = labels(K, "lecture")
    assert "a₁ = 1.5" in drawn and "a₂ = 2.5" in drawn, drawn
    assert any(label.startswith("K = a₁a₂·a₁") for label in drawn), drawn
    # the box a₁a₂ (3.75), then the path a₁·a₂ (3.75): no square of either
    assert "da₁ = a₁a₂ + a₁a₂ = 7.5" in drawn, drawn
    assert "da₂ = a₁² = 2.25" in drawn, drawn  # one node twice still reads as a square
    same = (a * a * other).named("K")
    same.backward()
    assert "da₂ = a₁² = 2.25" in labels(same, "lecture")


def test_nodes_that_share_a_name_are_told_apart_in_every_printer() -> None:
    """Two different nodes named a: the drawings (both views) and explain (ASCII and
    Unicode) give them one pair of names, a₁ and a₂, numbered in the lecture's order;
    a sum of a₁ and a product never merges them into one term (K = a₁a₂ + a₁²)."""
    first, second = Node(1.5, "a"), Node(2.5, "a")
    K = (first * second + first**2).named("K")
    K.backward()
    lecture, ops = labels(K, "lecture"), labels(K, "ops")
    assert any(label.startswith("K = a₁a₂ + a₁²") for label in lecture), lecture
    assert "da₁ = 2a₁ + a₂ = 5.5" in lecture and "da₂ = a₁ = 1.5" in lecture, lecture
    assert "a₁ = 1.5 │ grad 5.5" in ops and "a₂ = 2.5 │ grad 1.5" in ops, ops
    explained = microgrand.explain(K, first)
    assert explained.lines[:2] == ("da_1 = dK/da_1", "     = a_2 + 2 * a_1"), explained.lines
    assert explained.unicode_lines[1] == "    = a₂ + 2a₁", explained.unicode_lines
    assert str(microgrand.explain(K, second)).splitlines()[1] == "     = a_1"
    # a gradient graph (create_graph) drawn: the same names again
    (gradient,) = microgrand.grad(K, [first], create_graph=True)
    drawn = labels(gradient.named("dK"), "lecture")
    assert any(label.startswith("dK = 2a₁ + a₂") for label in drawn), drawn


def test_distinct_names_numbers_only_names_shared_and_skips_names_taken() -> None:
    """The one rule: shared names get occurrence numbers, skipping a name another node
    already reads (a user's a1 is a₁); a name ending in a subscript is joined with a comma."""
    from microgrand.labels import distinct_names

    assert distinct_names(["a", "b", None, "a"]) == ["a₁", "b", None, "a₂"]
    assert distinct_names(["a", "a₁", "a"]) == ["a₂", "a₁", "a₃"]
    assert distinct_names(["x₁", "x₁"]) == ["x₁,₁", "x₁,₂"]
    assert distinct_names(["a", "a_1", "a"], ascii=True) == ["a_2", "a_1", "a_3"]
    assert distinct_names(["w", "b"]) == ["w", "b"]


def test_a_generated_name_never_reads_like_a_told_apart_name() -> None:
    """Two nodes named t and an unnamed box: t₁, t₂ are taken, so the box is t₃."""
    first, second = Node(0.5, "t"), Node(-1.5, "t")
    shared = first * second  # unnamed, used twice: a box with a generated name
    J = (shared.tanh() + shared * 3).named("J")
    J.backward()
    drawn = labels(J, "lecture")
    assert "t₁ = 0.5" in drawn and "t₂ = −1.5" in drawn, drawn
    assert any(label.startswith("t₃ = t₁t₂") for label in drawn), drawn


def test_atoms_that_print_alike_are_one_factor_only_when_keyed_alike() -> None:
    """typeset merges a·a into a² only for one node: atoms keyed by different nodes stay
    a product, whatever their text (two "…" of explain, two nodes named a)."""
    one, other = ("atom", "a", 5, 1), ("atom", "a", 5, 2)
    assert notation.show(typeset.t_mul(one, one))[0] == "a²"
    assert notation.show(typeset.t_mul(one, other))[0] == "a·a"
    y = ("atom", "y", 5)
    assert notation.show(typeset.t_div(typeset.t_div(y, one), other))[0] == "y/a/a"


def test_two_long_expressions_cut_alike_are_not_one_factor_in_explain() -> None:
    """explain cuts long expressions to "…": two different ones, log(…)·log(…), are a
    product of two factors, not log(…)**2 (the ASCII line read as a square before)."""
    a, b, x = Node(0.3, "a"), Node(0.2, "b"), Node(0.7, "x")

    def long(u: Node, v: Node) -> Node:
        return ((u + v).tanh() * (u - v).sigmoid() + (u * v).exp()).log()

    K = ((long(a, b) * x) * long(b, a)).named("K")
    K.backward()
    explained = microgrand.explain(K, x)
    assert explained.lines[1] == "   = log(…) * log(…)", explained.lines
    assert "**" not in str(explained) and "²" not in "".join(explained.unicode_lines)


def test_one_spacing_of_sums_inside_a_quotient_in_every_printer() -> None:
    """The lecture writes da = −y/a + (1−y)/(1−a): a sum inside a quotient is tight. The
    boxes wrote (1 − y)/(1 − a) where the red arrows and explain wrote (1−y)/(1−a) (and
    explain's ASCII (1 - y)/(1 - a)); one rule (`notation.infix`) now spaces them all."""
    from microgrand.logreg import lecture_graph
    from microgrand.network_view import network_source
    from microgrand.nn import MLP

    assert notation.infix("1", "−", "a") == "1 − a"
    assert notation.infix("1", "−", "a", tight=True) == "1−a"
    y, a = Node(0.25, "y"), Node(0.75, "a")
    K = ((1 - y) / (1 - a)).named("K")
    K.backward()
    lecture, ops = labels(K, "lecture"), labels(K, "ops")
    assert "K = (1−y)/(1−a)\\n3" in lecture, lecture  # the box
    assert "da = K/(1−a) = 12" in lecture and "dy = −1/(1−a) = −4" in lecture, lecture
    assert "∂ = 1/(1−a) = 4" in ops, ops
    explained = microgrand.explain(K, a)
    assert explained.lines[1].strip() == "= K/(1-a)", explained.lines
    assert explained.unicode_lines[1].strip() == "= K/(1−a)", explained.unicode_lines
    g = lecture_graph()
    g.L.backward()
    assert "(-y/a + (1-y)/(1-a)) * a * (1 - a) * x1" in str(microgrand.explain(g.L, g.w1))
    assert "(−y/a + (1−y)/(1−a)) · a(1 − a) · x₁" in microgrand.explain(g.L, g.w1).unicode_lines[1]
    assert "da = −y/a + (1−y)/(1−a) = −1.819" in labels(g.L, "lecture")
    (da,) = microgrand.grad(g.L, g.a, create_graph=True)  # the box of a gradient graph
    assert any(
        label.startswith("da = (1−y)/(1−a) − y/a") for label in labels(da.named("da"), "lecture")
    )
    assert "+ (1−y)/(1−a[2])" in network_source(MLP(2, [4, 1]))  # the layer view


def test_what_drawings_write_for_a_power_microgrand_draw_reads() -> None:
    """``a**b`` as drawn is what ``microgrand draw`` accepts, and means the same."""
    root = microgrand.parse.build(["J = a**b + a**2", "a=1.5", "b=0.5"])
    J = root
    J.backward()
    box = next(label for label in labels(J, "lecture") if label.startswith("J = "))
    formula = box.split("\\n")[0].removeprefix("J = ").replace("²", "**2")
    again = microgrand.parse.build([f"K = {formula}", "a=1.5", "b=0.5"])
    assert again.value == J.value


def test_one_number_formatter() -> None:
    """explain and the command line print numbers with the drawings' formatter, in ASCII."""
    assert notation.number(-0.45016600268752205) == "-0.4502"
    assert notation.fmt(-0.45016600268752205) == "−0.4502"
    assert notation.number(-0.0) == notation.number(0.0) == "0"
    assert notation.fmt_constant(-3.0, ascii=True) == "-3"
    assert not hasattr(chain_rule, "number_text")
    assert getattr(chain_rule, "number", notation.number) is notation.number


def test_explain_walks_the_graph_with_the_engine() -> None:
    assert not hasattr(chain_rule, "topological_order")
    a = Node(1.0, "a")
    L = (a * a).named("L")
    a.value = 5.0
    try:
        microgrand.explain(L, a)
    except RuntimeError as error:
        assert "'a'" in str(error)
    else:
        raise AssertionError("explain answered from a stale graph")


def _normalized(text: str) -> str:
    return text.replace(" ", "").replace("−", "-").replace("·", "*").replace("σ", "sigmoid")


def test_explain_and_the_drawing_print_the_same_formula() -> None:
    """One term tree, one printer: Unicode in the drawing, ASCII in explain."""
    g = microgrand.lecture_graph()
    drawn = next(label for label in labels(g.L, "lecture") if label.startswith("da = "))
    in_drawing = drawn.split("\\n")[0].removeprefix("da = ").rsplit(" = ", 1)[0]
    factor = microgrand.explain(g.L, g.a).chains[0].factors[0]
    assert factor.formula == "-y/a + (1-y)/(1-a)"
    assert _normalized(in_drawing) == _normalized(factor.formula), (in_drawing, factor.formula)


def test_explain_prints_ascii_in_the_syntax_microgrand_draw_reads() -> None:
    a = Node(0.3, "a")
    J = ((a * 2 + 1) ** 3 - a.sigmoid() * a).named("J")
    J.backward()
    text = str(microgrand.explain(J, a))
    assert "6 * (a * 2 + 1)**2 - a * sigmoid(a) * (1 - sigmoid(a)) - sigmoid(a)" in text
    assert text.isascii()
    x = Node(3.0, "x")
    y = (x * x + x.exp() / x).named("y")
    assert "x + x + exp(x)/x - exp(x)/x**2" in str(microgrand.explain(y, x))


def test_explain_in_a_notebook_writes_the_drawings_notation() -> None:
    """The same explanation, Unicode for notebooks (σ, −, x₁), ASCII for terminals."""
    g = microgrand.lecture_graph()
    e = microgrand.explain(g.L, g.w1)
    html = e._repr_html_()
    assert "dw₁ = dL/da · da/dz · dz/dw₁" in html
    assert "(−y/a + (1−y)/(1−a)) · a(1 − a) · x₁" in html
    assert "−0.9003" in html
    assert str(e).isascii() and "dw1 = dL/da * da/dz * dz/dw1" in str(e)
    drawn = next(label for label in labels(g.L, "lecture") if label.startswith("da = "))
    assert drawn.startswith("da = −y/a + (1−y)/(1−a)")  # the drawing's red arrow, same text
