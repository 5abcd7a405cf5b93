"""The explanation card: intuition, then the formula (the Markdown a handler writes live numbers into), then what
to try, in that order, with the maths delimiters every formula uses."""
import gradio as gr

from components.card import LATEX, explanation_card, part_opening


def markdowns(block) -> list[gr.Markdown]:
    found = []
    for child in getattr(block, "children", []):
        found += [child] if isinstance(child, gr.Markdown) else markdowns(child)
    return found


def test_the_card_is_intuition_then_formula_then_try_this():
    with gr.Blocks() as demo:
        live = explanation_card("One neuron", "It weighs its inputs.", "$$z = w \\cdot a + b$$", "Move the bias.",
                                elem_id="neuron-formula")
    intuition, formula, try_this = markdowns(demo)
    assert intuition.value == "## One neuron\n\nIt weighs its inputs."
    assert formula is live and live.value == "$$z = w \\cdot a + b$$" and live.elem_id == "neuron-formula"
    assert try_this.value == "**Try this.** Move the bias."
    assert live.latex_delimiters == LATEX
    assert [m.elem_classes for m in (intuition, formula, try_this)] == [["dle-intuition"], ["dle-formula"],
                                                                         ["dle-explanation"]]


def test_display_maths_is_matched_before_inline_maths():
    # "$$" must be tried first: read as two inline "$", a display formula would be split in pieces
    assert [d["left"] for d in LATEX] == ["$$", "$"] and [d["display"] for d in LATEX] == [True, False]


def test_a_parts_opening_is_its_explanation_then_its_live_formula():
    with gr.Blocks() as demo:
        live = part_opening("Average the examples' gradients.", "backprop-batch-formula")
    explanation, formula = markdowns(demo)
    assert explanation.value == "Average the examples' gradients." and explanation.elem_classes == ["dle-explanation"]
    assert formula is live and live.elem_id == "backprop-batch-formula" and live.latex_delimiters == LATEX
    assert live.elem_classes == ["dle-formula"]
