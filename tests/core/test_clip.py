"""CLIP's similarity and symmetric contrastive loss, checked against transformers' own CLIPModel loss and a
brute-force loop; recall@k and the shared plane against numpy; the arithmetic (a difference of unit image embeddings
and the words ranked along it) against numpy loops."""
import math

import numpy as np
import pytest
import torch

from core.clip import checked_word, contrastive, recall_at, shared_plane, similarity, unit, unit_difference, words_along


def test_loss_equals_transformers_clip_loss():
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig(text_config=dict(vocab_size=50, hidden_size=16, intermediate_size=32,
                                                  num_hidden_layers=1, num_attention_heads=2,
                                                  max_position_embeddings=8),
                                 vision_config=dict(image_size=16, patch_size=8, hidden_size=16, intermediate_size=32,
                                                    num_hidden_layers=1, num_attention_heads=2),
                                 projection_dim=8)).eval()
    ids = torch.randint(3, 50, (5, 8))
    pixels = torch.randn(5, 3, 16, 16)
    with torch.no_grad():
        out = model(input_ids=ids, pixel_values=pixels, return_loss=True)
        logits = similarity(out.image_embeds, out.text_embeds, float(model.logit_scale.exp()))
    assert torch.allclose(logits, out.logits_per_image, atol=1e-5)
    assert contrastive(logits).loss == pytest.approx(float(out.loss), rel=1e-5)


def test_loss_equals_a_loop():
    torch.manual_seed(1)
    logits = torch.randn(6, 6) * 3
    result = contrastive(logits)
    rows = [-math.log(math.exp(logits[i, i]) / sum(math.exp(logits[i, j]) for j in range(6))) for i in range(6)]
    cols = [-math.log(math.exp(logits[j, j]) / sum(math.exp(logits[i, j]) for i in range(6))) for j in range(6)]
    assert result.image_loss == pytest.approx(np.mean(rows), rel=1e-5)
    assert result.text_loss == pytest.approx(np.mean(cols), rel=1e-5)
    assert torch.allclose(result.per_image.sum(dim=1), torch.ones(6))
    assert torch.allclose(result.per_text.sum(dim=0), torch.ones(6))


def test_perfect_pairs_give_a_small_loss_and_full_recall():
    x = unit(torch.randn(8, 16))
    result = contrastive(similarity(x, x, 100.0))
    assert result.loss < 0.05
    assert recall_at(result.logits, 1) == 1.0


def test_recall_counts_the_diagonal_in_the_top_k():
    logits = torch.tensor([[3.0, 1.0, 2.0], [5.0, 4.0, 0.0], [0.0, 1.0, 2.0]])
    assert recall_at(logits, 1) == pytest.approx(2 / 3)     # rows 0 and 2 rank their partner first
    assert recall_at(logits, 2) == 1.0


def test_bad_batches_are_refused():
    with pytest.raises(ValueError, match="square"):
        contrastive(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="at least 2"):
        contrastive(torch.zeros(1, 1))


def test_shared_plane_is_pca_of_both_clouds():
    from sklearn.decomposition import PCA

    torch.manual_seed(2)
    images, texts = torch.randn(7, 10) + 2, torch.randn(5, 10)
    img_xy, txt_xy, explained = shared_plane(images, texts)
    both = unit(torch.cat([images, texts])).numpy()
    pca = PCA(2).fit(both)
    reference = pca.transform(both)
    ours = torch.cat([img_xy, txt_xy]).numpy()
    assert np.allclose(np.abs(ours), np.abs(reference), atol=1e-4)        # a component's sign is arbitrary
    assert np.allclose(explained.numpy(), pca.explained_variance_ratio_, atol=1e-5)


def test_a_tiny_loss_stays_a_number_instead_of_rounding_to_zero():
    """A trained CLIP on 8 held-out pairs: p = 1.0 in float32, so −log p would print a loss of 0."""
    logits = torch.tensor([[0.0, -40.0, -45.0], [-50.0, 0.0, -40.0], [-41.0, -42.0, 0.0]])
    result = contrastive(logits)
    rows = [math.log1p(math.exp(-40) + math.exp(-45)), math.log1p(math.exp(-50) + math.exp(-40)),
            math.log1p(math.exp(-41) + math.exp(-42))]
    assert result.image_loss == pytest.approx(sum(rows) / 3, rel=1e-9) and result.image_loss > 0
    assert float(-logits.softmax(dim=1).log().diagonal().mean()) == 0.0         # what the old way printed


def test_a_temperature_divides_the_logits_before_each_softmax():
    """The panel's softmax(s / T): contrastive on s / T is torch's softmax of the scaled logits, both ways."""
    torch.manual_seed(3)
    logits = torch.randn(5, 5) * 20
    for temperature in (0.01, 0.5, 1.0, 20.0, 100.0):
        result = contrastive(logits / temperature)
        assert torch.allclose(result.per_image, torch.softmax(logits / temperature, dim=1))
        assert torch.allclose(result.per_text, torch.softmax(logits / temperature, dim=0))
        loss = 0.5 * (torch.nn.functional.cross_entropy(logits.double() / temperature, torch.arange(5))
                      + torch.nn.functional.cross_entropy(logits.double().T / temperature, torch.arange(5)))
        assert result.loss == pytest.approx(float(loss), rel=1e-6, abs=1e-300)


def test_the_unit_difference_is_the_mean_of_differences_of_unit_vectors():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 6)) * 5, rng.normal(size=(3, 6))
    direct = sum(a[k] / np.linalg.norm(a[k]) - b[k] / np.linalg.norm(b[k]) for k in range(3)) / 3
    np.testing.assert_allclose(unit_difference(torch.tensor(a), torch.tensor(b)).numpy(), direct, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(K, D\)"):
        unit_difference(torch.zeros(3, 6), torch.zeros(2, 6))


def test_words_are_ranked_by_their_cosine_with_d_as_a_loop_ranks_them():
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(9)]
    embeddings, direction = rng.normal(size=(9, 4)), rng.normal(size=4)
    cosines = {w: float(np.dot(e, direction) / (np.linalg.norm(e) * np.linalg.norm(direction)))
               for w, e in zip(words, embeddings)}
    ranking = words_along(words, torch.tensor(embeddings), torch.tensor(direction))
    assert list(ranking.words) == sorted(words, key=lambda w: -cosines[w])
    np.testing.assert_allclose(ranking.cosines.numpy(), sorted(cosines.values(), reverse=True), atol=1e-12)
    best = max(words, key=cosines.get)
    assert ranking.rank(best) == 1 and ranking.cosine(best) == pytest.approx(cosines[best])
    assert ranking.rank(min(words, key=cosines.get)) == 9


def test_a_zero_difference_points_nowhere():
    with pytest.raises(ValueError, match="points nowhere"):
        words_along(["a", "b"], torch.eye(2), torch.zeros(2))


def test_a_word_outside_the_vocabulary_is_refused_with_a_close_spelling():
    vocabulary = ["red", "blue", "seven"]
    assert checked_word("  Red ", vocabulary) == "red"
    with pytest.raises(ValueError, match="did you mean 'red'"):
        checked_word("rde", vocabulary)
    with pytest.raises(ValueError, match="not one of the 3 caption words CLIP learned: red, blue, seven"):
        checked_word("crimson", vocabulary)


def test_a_wrong_caption_winning_by_thousands_gives_a_number_not_infinity():
    """At T = 0.01 a trained CLIP's s / T reaches thousands: a row whose wrong caption wins by 5,000 loses 5,000."""
    logits = torch.tensor([[0.0, 5000.0], [-3.0, 0.0]])
    result = contrastive(logits)
    assert result.image_loss == pytest.approx((5000.0 + math.log1p(math.exp(-3))) / 2, rel=1e-12)
    assert math.isfinite(result.text_loss) and math.isfinite(result.loss)
