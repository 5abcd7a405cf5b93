"""ROME's rank-one edit: the closed form against a direct constrained least-squares solve, the hook against the
edited weight matrix, the edit confined to its thread, and the optimisation on a tiny random model."""
import threading

import pytest
import torch

from core import editing
from core.editing import RankOne, down_weight, edited, rank_one_update, second_moment
from tests.core.test_residual import tiny

IDS = [5, 17, 3, 88, 42, 9]


def test_the_closed_form_is_the_constrained_least_squares_solution():
    """W' = W + u wᵀ minimises |(W' − W) K|² subject to W' k* = v*: solve the same problem directly as a weighted
    least-squares problem with a huge weight on the constraint and compare."""
    torch.manual_seed(0)
    d, d_mlp, n = 5, 12, 40
    W = torch.randn(d, d_mlp, dtype=torch.float64)
    K = torch.randn(d_mlp, n, dtype=torch.float64)                      # n keys the MLP usually sees
    key, value = torch.randn(d_mlp, dtype=torch.float64), torch.randn(d, dtype=torch.float64)
    u, w = rank_one_update(W, key, value, K @ K.T)
    big = 1e6                                                           # Δ [K, big k*] ≈ [0, big (v* − W k*)]
    A = torch.cat([K, big * key[:, None]], dim=1)                       # (d_mlp, n + 1)
    B = torch.cat([torch.zeros(d, n, dtype=torch.float64), big * (value - W @ key)[:, None]], dim=1)
    direct = torch.linalg.lstsq(A.T, B.T).solution.T                    # (d, d_mlp) the best Δ
    torch.testing.assert_close(torch.outer(u, w), direct, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close((W + torch.outer(u, w)) @ key, value)     # the new fact is stored exactly


def test_the_second_moment_is_the_mean_outer_product_plus_a_ridge():
    keys = torch.randn(30, 4)
    C = second_moment(keys)
    brute = sum(torch.outer(k, k) for k in keys.double()) / 30
    ridge = editing.RIDGE * brute.diagonal().mean()
    torch.testing.assert_close(C, brute + ridge * torch.eye(4, dtype=torch.float64))


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_the_hook_equals_running_the_model_with_the_edited_matrix(architecture):
    model = tiny(architecture)
    W = down_weight(model, 1)
    edit = RankOne(1, torch.randn(W.shape[0]), torch.randn(W.shape[1]) / 10)
    with torch.inference_mode(), edited(model, edit):
        hooked = model(torch.tensor([IDS])).logits
    module = editing.layout(model).down_projections[1]
    original = module.weight.detach().clone()
    try:
        with torch.no_grad():                                           # the same edit written into the weights
            module.weight += edit.delta() if isinstance(module, torch.nn.Linear) else edit.delta().T
        with torch.inference_mode():
            written = model(torch.tensor([IDS])).logits
    finally:
        with torch.no_grad():
            module.weight.copy_(original)
    torch.testing.assert_close(hooked, written, atol=1e-5, rtol=1e-5)
    with torch.inference_mode():                                        # and the hook is gone afterwards
        plain = model(torch.tensor([IDS])).logits
    assert not torch.allclose(plain, hooked)


def test_an_edit_on_one_thread_is_invisible_to_another_running_at_the_same_time():
    model = tiny("llama")
    W = down_weight(model, 0)
    edit = RankOne(0, 5 * torch.randn(W.shape[0]), torch.randn(W.shape[1]))
    with torch.inference_mode():
        plain = model(torch.tensor([IDS])).logits
    started, done = threading.Event(), threading.Event()
    seen = {}

    def other_user():
        started.wait()
        with torch.inference_mode():
            seen["other"] = model(torch.tensor([IDS])).logits               # while the edit's hooks are attached
        done.set()

    thread = threading.Thread(target=other_user)
    thread.start()
    with torch.inference_mode(), edited(model, edit):
        started.set()
        done.wait(timeout=60)
        seen["editor"] = model(torch.tensor([IDS])).logits
    thread.join()
    torch.testing.assert_close(seen["other"], plain)
    assert not torch.allclose(seen["editor"], plain)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_keys_read_in_padded_batches_that_stop_early_equal_a_whole_pass_per_text(architecture):
    model = tiny(architecture)
    texts = [[5, 17, 3], [88, 42, 9, 1, 2, 60], [7]]
    full = []
    for ids in texts:                                                   # the plain way: one whole pass a text
        seen = {}
        with torch.inference_mode(), editing.hooks(model, {"blocks.1.mlp.hook_post": lambda k: seen.setdefault("k", k[0])}):
            model(torch.tensor([ids]))
        full.append(seen["k"])
    torch.testing.assert_close(editing.keys_at(model, 1, texts, batch_size=2), torch.cat(full), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(editing.keys_at(model, 1, texts, positions=[2, 0, 0]),
                               torch.stack([full[0][2], full[1][0], full[2][0]]), atol=1e-5, rtol=1e-5)


class WordTokenizer:
    """Words -> ids of a tiny vocabulary, with offsets: enough of a tokenizer for rewrite_for and subject_span."""
    words = ["<pad>", "the", "tower", "is", "in", "paris", "rome", "a", "here", "fact.", "i", "read", "this", "today.",
             "note", "that", "as", "you", "may", "know,"]

    def __call__(self, text, add_special_tokens=False, return_offsets_mapping=False):
        ids, offsets, at = [], [], 0
        for word in text.split():
            start = text.index(word, at)
            ids.append(self.words.index(word.lower()) if word.lower() in self.words else 7)
            offsets.append((start, start + len(word)))
            at = start + len(word)
        result = {"input_ids": ids, "offset_mapping": offsets}
        return type("Encoding", (dict,), {"input_ids": property(lambda self: self["input_ids"])})(result)


def test_the_whole_edit_maps_k_star_to_v_star():
    """The algebra on a tiny random model (whether the optimisation finds a good v* is checked on SmolLM2 in
    tests/explorers/test_editing.py: a random model's MLP outputs are too small for ROME's step sizes)."""
    model = tiny("llama")
    rewrite = editing.rewrite_for(WordTokenizer(), "the tower is in", "tower", "rome")
    assert rewrite.new_object == [6] and all(text[lookup] == 2 for text, lookup in zip(rewrite.texts, rewrite.lookups))
    keys = editing.keys_at(model, 1, [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]] * 2)
    edit, losses, key_norm = editing.compute_edit(model, 1, rewrite, second_moment(keys))
    assert 1 <= len(losses) <= editing.STEPS
    key = editing.keys_at(model, 1, rewrite.texts, rewrite.lookups).mean(0)
    assert key_norm == pytest.approx(float(key.norm()))
    torch.testing.assert_close(edit.w.double() @ key.double(), torch.tensor(1.0, dtype=torch.float64), atol=1e-4,
                               rtol=0)                                  # w·k* = 1: the edit adds exactly u at k*


def test_a_multi_token_object_is_learned_token_by_token_with_teacher_forcing():
    rewrite = editing.rewrite_for(WordTokenizer(), "the tower is in", "tower", "paris rome")
    assert rewrite.new_object == [5, 6]
    for text, answers in zip(rewrite.texts, rewrite.answers):
        assert text[-1] == 5 and answers == [len(text) - 2, len(text) - 1]   # "in" predicts paris, paris predicts rome


@pytest.mark.parametrize("new_object, message", [("", "Type the new object"), ("   ", "Type the new object"),
                                                 ("x" * 101, "at most 100"), ("a " * 9, "at most 8 tokens")])
def test_odd_objects_get_a_clear_message(new_object, message):
    with pytest.raises(ValueError, match=message):
        editing.rewrite_for(WordTokenizer(), "the tower is in", "tower", new_object)
