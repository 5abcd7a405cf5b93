"""The embedding panel's endpoint and handlers, on the real GloVe vectors and SmolLM2's W_E."""
import gradio as gr
import pytest

from components.formatting import number
from explorers.transformers.embeddings import analogy_endpoint, direction, dot, probe
from explorers.transformers.embeddings.lookup import look_up
from tests.handlers import bound, refuses


@pytest.fixture(scope="module")
def handlers(settings):
    """The module-level handlers with the settings bound, as build() wires them."""
    return bound(settings, (probe, direction, dot, analogy_endpoint))


def test_analogy_endpoint_gives_the_series_answers_on_glove(handlers):
    *_, analogy = handlers
    assert analogy("king - man + woman", "GloVe", 3, True)[0][0] == "queen"
    assert analogy("paris - france + italy", "GloVe", 3, True)[0][0] == "rome"
    assert analogy("berlin - germany + japan", "GloVe", 3, True)[0][0] == "tokyo"
    with_inputs = analogy("king - man + woman", "GloVe", 3, False)
    assert with_inputs[0][0] == "king"                   # what the card warns about


def test_the_language_models_embeddings_find_queen_too(handlers, language_model):
    *_, analogy = handlers
    top = analogy("king - man + woman", "language model W_E", 5, True)
    assert top[0][0] == "␣queen" and top[0][1] == pytest.approx(0.728, abs=0.002)
    assert not any(word.strip("␣").lower() in ("king", "man", "woman") for word, _ in top)


@pytest.mark.parametrize("expression, space, message", [
    ("qween - man", "GloVe", "did you mean 'queen'"),
    ("qween - man", "language model W_E", "not a single token"),
    ("", "GloVe", "Type an expression"),
    ("king man", "GloVe", "Put \\+ or -"),
    ("king", "Word2Vec", "choose GloVe"),
])
def test_errors_name_the_problem_and_what_is_allowed(handlers, expression, space, message):
    *_, analogy = handlers
    with pytest.raises(gr.Error, match=message):
        analogy(expression, space, 5, True)


def test_k_is_capped(handlers):
    *_, analogy = handlers
    with pytest.raises(gr.Error, match="between 1 and 50"):
        analogy("king", "GloVe", 5000, True)


def test_direction_and_dot_product(handlers, glove):
    probe, direction, dot, _ = handlers
    strip = direction("woman - man", "king, queen", "GloVe")
    values = dict(zip(strip.data[0].text, strip.data[0].x))
    assert values["queen"] > values["king"]                # queen sits further along woman - man
    text = dot("cat", "dog", "GloVe")
    import numpy as np
    a, b = glove.vectors[glove.index["cat"]], glove.vectors[glove.index["dog"]]
    assert f"{a @ b / np.linalg.norm(a) / np.linalg.norm(b):.3f}" in text and f"{a @ b:.3f}" in text
    assert "W_U" in text and "q · k / √d" in text          # both said: cosine here, raw dot products in the model
    refuses(lambda: direction("woman - man", " , ", "GloVe"), "1 to 40 words")


def test_a_word_the_space_lacks_is_left_out_of_the_strip_and_named(handlers, language_model):
    """In W_E a word of several tokens cannot be placed: the others still are, and the title names it."""
    _, direction, _, _ = handlers
    strip = direction("woman - man", "king, queen, beggar", "language model W_E")
    placed = set(strip.data[0].text)
    assert {"king", "queen"} <= placed and "beggar" not in placed
    assert "left out, not in this space: 'beggar'" in strip.layout.title.text
    refuses(lambda: direction("woman - man", "beggar", "language model W_E"), "not a single token")


@pytest.mark.slow
def test_embedding_scenes(app_scene, settings):
    from explorers.transformers.embeddings import analogy_endpoint

    def top(start):
        expression, space, k, exclude = app_scene("embeddings-scenes", start)
        return analogy_endpoint(settings, expression, space, k, exclude)

    assert top("Token → Embedding · king − man + woman")[0][0] == "queen"
    assert top("Token → Embedding · paris − france + italy")[0][0] == "rome"
    assert top("Token → Embedding · berlin − germany + japan")[0][0] == "tokyo"
    assert top("Vectors & Dot Products · not excluded")[0][0] in ("king", "man", "woman")   # the inputs win


def test_w_e_is_a_lookup_and_smollm2_ties_w_u_to_it(settings, language_model):
    lookup = bound(settings, (look_up,))[0]
    text = lookup("queen")
    queen = language_model.tokenizer(" queen", add_special_tokens=False).input_ids
    row = language_model.model.get_input_embeddings().weight[queen[0]].float()
    assert len(queen) == 1 and f"| ␣queen | {queen[0]} | " + ", ".join(number(float(v), 3) for v in row[:4]) in text
    assert "W_U = W_Eᵀ" in text and language_model.model.config.tie_word_embeddings
    assert "is 2 tokens, so 2 rows" in lookup("Tokyo Tower") and "\\*bold\\*" in lookup("*bold*")   # shown as typed
    for bad, message in (("", "Type a word"), ("x" * 41, "at most 40"), (None, "Type a word")):
        refuses(lambda: lookup(bad), message)
