"""Embedding arithmetic against brute force: the parser, nearest neighbours, projections."""
import numpy as np
import pytest
import torch

from core.embeddings import (Term, combine, cosine_and_dot, nearest, parse_expression, project_2d,
                             project_on_direction, suggestions)


@pytest.mark.parametrize("text, expected", [
    ("king - man + woman", [(1, "king"), (-1, "man"), (1, "woman")]),
    ("paris-france+italy", [(1, "paris"), (-1, "france"), (1, "italy")]),
    ("0.5*hot + 0.5*cold", [(0.5, "hot"), (0.5, "cold")]),
    ("-2 rome + .5 x", [(-2, "rome"), (0.5, "x")]),
    ("  café + naïve  ", [(1, "café"), (1, "naïve")]),
    ("東京 - 日本", [(1, "東京"), (-1, "日本")]),
])
def test_parser_reads_weighted_words(text, expected):
    assert parse_expression(text) == [Term(float(w), word) for w, word in expected]


@pytest.mark.parametrize("text, message", [
    ("", "Type an expression"), ("   ", "Type an expression"), (None, "Type an expression"),
    ("king man", "Put \\+ or - between"), ("king + + man", "Cannot read"), ("3*", "Cannot read"),
    ("king -", "Cannot read"), ("*king", "Cannot read"), ("x" * 201, "at most 200"),
    (" + ".join("abcdefghijk"), "at most 10"), ("\x00\x01", "control characters"),
])
def test_parser_errors_say_what_to_write(text, message):
    with pytest.raises(ValueError, match=message):
        parse_expression(text)


def brute_force(matrix, vector, k, exclude):
    """The reference: a plain loop over every row computing the cosine."""
    scores = []
    for i, row in enumerate(matrix):
        if i not in exclude:
            scores.append((float(row @ vector / (np.linalg.norm(row) * np.linalg.norm(vector))), i))
    return [i for _, i in sorted(scores, reverse=True)[:k]]


def test_nearest_equals_a_brute_force_cosine_search():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(3000, 20)).astype(np.float32)
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    for trial in range(5):
        vector = rng.normal(size=20)
        exclude = set(rng.choice(3000, 4, replace=False).tolist())
        ours = nearest(unit, vector, 10, exclude)
        assert [i for i, _ in ours] == brute_force(matrix, vector, 10, exclude)
        for i, cos in ours:
            assert cos == pytest.approx(float(matrix[i] @ vector / np.linalg.norm(matrix[i]) / np.linalg.norm(vector)),
                                        abs=1e-5)


def test_nearest_on_glove_equals_brute_force(glove):
    index = glove.index
    vector = combine(parse_expression("king - man + woman"), index.__getitem__, glove.unit)
    exclude = {index["king"], index["man"], index["woman"]}
    ours = nearest(glove.unit, vector, 5, exclude)
    scores = (glove.unit.astype(np.float64) @ (vector / np.linalg.norm(vector)))
    scores[list(exclude)] = -np.inf
    assert [i for i, _ in ours] == list(np.argsort(-scores)[:5])
    assert glove.words[ours[0][0]] == "queen" and ours[0][1] == pytest.approx(0.852, abs=0.001)


def test_words_that_cancel_point_nowhere():
    unit = np.eye(3, dtype=np.float32)
    with pytest.raises(ValueError, match="zero vector"):
        nearest(unit, combine(parse_expression("a - a"), {"a": 0}.__getitem__, unit), 2)


def test_projections_keep_what_they_promise():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(8, 30))
    flat = project_2d(points)
    centred = points - points.mean(axis=0)
    # the two PCA coordinates keep the most variance any two orthonormal directions can
    assert flat.shape == (8, 2)
    assert (flat ** 2).sum() == pytest.approx((np.linalg.svd(centred, compute_uv=False)[:2] ** 2).sum())
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    direction = rng.normal(size=30)
    np.testing.assert_allclose(project_on_direction(unit, direction),
                               [cosine_and_dot(u, direction)[0] for u in unit], rtol=1e-10)
    assert cosine_and_dot(np.array([1.0, 0]), np.array([3.0, 0]))  == (1.0, 3.0)


def test_suggestions_find_close_spellings(glove):
    assert "queen" in suggestions("qween", glove.words)


def test_a_lookup_is_a_row_of_w_e_the_same_as_a_one_hot_product_and_the_models_own_embedding():
    from core.embeddings import embedding_lookup, tied
    from tests.tiny_language_model import tiny

    model = tiny("llama")
    w_e = model.get_input_embeddings().weight.detach().numpy()
    ids = [5, 17, 5, 96]
    rows = embedding_lookup(w_e, ids)
    np.testing.assert_array_equal(rows, np.eye(len(w_e))[ids] @ w_e)
    np.testing.assert_array_equal(rows, model.get_input_embeddings()(torch.tensor(ids)).detach().numpy())
    assert tied(w_e, model.get_output_embeddings().weight.detach().numpy())                  # tie_word_embeddings
    assert not tied(w_e, tiny("gpt2").get_output_embeddings().weight.detach().numpy())      # another model's matrix
    assert not tied(w_e, w_e + 1e-6) and not tied(w_e, w_e[:, :5])
