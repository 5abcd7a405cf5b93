"""Editing a fact stored in an MLP: ROME's rank-one update (Meng et al. 2022, "Locating and Editing Factual
Associations in GPT"), the knowledge map's "W↓ columns = facts to inject" done for real.

An MLP is a key/value memory: at the subject's last token, its hidden activations k (the input of W_down, d_mlp
numbers) are a key, and W_down k is the value it adds to the stream. To make the model say a new object:

1. the key    k* = the MLP's hidden activation at the subject's last token, averaged over a few prefixes;
2. the value  v* = W_down k* + δ, with δ found by a short optimisation: added to the MLP's output at the subject's
   last token, it makes the model predict the new object (plus a small KL term that keeps "{subject} is a" as it
   was, and a penalty on |δ|);
3. the update, the smallest change of W_down (measured on the keys the MLP usually sees, C = E[k kᵀ]) that maps
   k* to v*:

        W_down' = W_down + (v* − W_down k*) (C⁻¹ k*)ᵀ / (k*ᵀ C⁻¹ k*)          a rank-one matrix u wᵀ

   with u = v* − W_down k* = δ (d numbers) and w = C⁻¹ k* / (k*ᵀ C⁻¹ k*) (d_mlp numbers): W_down' k* = v* exactly,
   and keys orthogonal to C⁻¹ k* are left alone.

The edit is never written into the weights: `edited(model, edit)` adds u (wᵀ k) to the MLP's output through a hook
for the duration of a `with` block, on the calling thread only, so other users of the same model never see it.
"""
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from core.tokens import next_word_tokens
from core.tracing import clean_run, restored_probabilities, subject_noise, subject_span
from core.transformer import hooks, layout, right_padded, run_to

PREFIXES = ("", "Here is a fact. ", "I read this today. ", "Note that ", "As you may know, ")  # averaged over for k*
STEPS = 25              # Adam steps for δ (ROME: 20)
LEARNING_RATE = 0.5     # ROME's v_lr
KL_FACTOR = 0.0625      # ROME's weight on keeping "{subject} is a" unchanged
WEIGHT_DECAY = 0.5      # penalty on |δ|² / |v0|² (ROME: 0.5 for GPT-2 XL)
CLAMP = 4.0             # |δ| <= 4 |v0| (ROME's clamp_norm_factor)
RIDGE = 1e-2            # C + RIDGE · mean(diag C) · I: the key sample is finite, C must stay invertible


@dataclass(frozen=True)
class RankOne:
    """ΔW_down = u wᵀ: what the edit adds to one MLP's output is u (w · k) for every key k."""
    layer: int
    u: torch.Tensor          # (d,)     v* − W_down k*
    w: torch.Tensor          # (d_mlp,) C⁻¹ k* / (k*ᵀ C⁻¹ k*)

    def delta(self) -> torch.Tensor:
        return torch.outer(self.u, self.w)                                       # (d, d_mlp)


def rank_one_update(weight: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                    second_moment: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """ROME's closed form for W (d, d_mlp), k* (d_mlp,), v* (d,), C (d_mlp, d_mlp): (u, w) with W + u wᵀ the
    W' that minimises |(W' − W) K|² (C = K Kᵀ) subject to W' k* = v*."""
    weight, key, value, second_moment = (x.double() for x in (weight, key, value, second_moment))
    c_inv_key = torch.linalg.solve(second_moment, key)                           # C⁻¹ k*
    return value - weight @ key, c_inv_key / (key @ c_inv_key)


def down_weight(model, layer: int) -> torch.Tensor:
    """W_down as (d, d_mlp), so that the MLP's output is W_down k (GPT-2's Conv1D stores it transposed)."""
    module = layout(model).down_projections[layer]
    return module.weight if isinstance(module, torch.nn.Linear) else module.weight.T


@contextmanager
def edited(model, edit: RankOne | None):
    """Within the block, MLP `edit.layer` adds u (w · k) to its output, on this thread only (core.transformer.hooks);
    None: no edit."""
    if edit is None:
        yield
        return
    keys = {}
    u, w = edit.u.to(model.device, model.dtype), edit.w.to(model.device, model.dtype)

    def read_key(k):                                                             # (B, T, d_mlp)
        keys["k"] = k

    def add_value(out):                                                          # (B, T, d)
        out += (keys.pop("k") @ w)[..., None] * u                                # rank one: u (wᵀ k)

    with hooks(model, {f"blocks.{edit.layer}.mlp.hook_post": read_key, f"blocks.{edit.layer}.mlp": add_value}):
        yield


def keys_at(model, layer: int, texts: list[list[int]], positions: list[int] | None = None,
            batch_size: int = 16) -> torch.Tensor:
    """MLP `layer`'s keys: at `positions` of each token list (n, d_mlp), or at every real token of all of them
    (n_tokens, d_mlp). Lists run right-padded in batches, each pass stopping at block `layer`."""
    found = []
    for first in range(0, len(texts), batch_size):
        batch = texts[first:first + batch_size]
        ids, mask = right_padded(batch, pad=0)
        k = run_to(model, f"blocks.{layer}.mlp.hook_post", ids, mask)                       # (B, T, d_mlp)
        if positions is not None:
            found.append(k[torch.arange(len(batch)), torch.tensor(positions[first:first + batch_size])])
        else:
            found.append(k[mask.bool()])                                                    # real tokens only
    return torch.cat(found)


def second_moment(keys: torch.Tensor) -> torch.Tensor:
    """C = E[k kᵀ] over n keys (n, d_mlp), plus a small ridge so that it inverts: (d_mlp, d_mlp), float64."""
    k = keys.double()
    moment = k.T @ k / len(k)
    return moment + RIDGE * moment.diagonal().mean() * torch.eye(len(moment), dtype=moment.dtype)


@dataclass(frozen=True)
class Rewrite:
    """The token lists the edit is computed from (every list right-padded in one batch)."""
    texts: list[list[int]]         # prefix + prompt + new object's tokens but the last (teacher forcing)
    lookups: list[int]             # each text's subject's last token: where k* is read and δ is added
    answers: list[list[int]]       # each text's positions that must predict the new object's tokens
    new_object: list[int]          # the new object's token ids
    essence: list[int]             # "{subject} is a": its next-token distribution must not change (KL)
    essence_lookup: int


def optimise_delta(model, layer: int, rewrite: Rewrite, progress=None) -> tuple[torch.Tensor, list[float]]:
    """δ (d,) added to MLP `layer`'s output at the subject's last token so that the model says the new object:
    minimise  mean NLL(new object) + KL_FACTOR · KL(essence before ‖ after) + WEIGHT_DECAY · |δ| / |v0|²,
    with |δ| <= CLAMP · |v0| (ROME's compute_v). Returns δ and the loss at each step."""
    texts = rewrite.texts + [rewrite.essence]
    lookups = rewrite.lookups + [rewrite.essence_lookup]
    ids, mask = right_padded(texts, pad=0)
    ids, mask = ids.to(model.device), mask.to(model.device)                      # (B, T)
    rows = torch.arange(len(texts), device=model.device)
    d = down_weight(model, layer).shape[0]
    delta = torch.zeros(d, device=model.device, requires_grad=True)
    v0 = {}

    def add_delta(out):                                                          # (B, T, d), in place
        v0.setdefault("v", out[0, lookups[0]].detach().clone())
        out[rows, lookups] += delta

    with torch.no_grad():                                                        # (V,) the unedited distribution
        essence_before = model(ids[-1:], attention_mask=mask[-1:]).logits[0, len(rewrite.essence) - 1]
    essence_before = essence_before.float().log_softmax(-1)
    optimiser = torch.optim.Adam([delta], lr=LEARNING_RATE)
    losses = []
    for step in range(STEPS):
        with hooks(model, {f"blocks.{layer}.mlp": add_delta}):
            logits = model(ids, attention_mask=mask).logits.float()               # (B, T, V)
        log_p = logits.log_softmax(-1)
        nll = torch.stack([-log_p[b, positions, rewrite.new_object].mean()
                           for b, positions in enumerate(rewrite.answers)]).mean()
        essence_after = log_p[-1, len(rewrite.essence) - 1]
        kl = torch.nn.functional.kl_div(essence_after, essence_before, log_target=True, reduction="sum")
        loss = nll + KL_FACTOR * kl + WEIGHT_DECAY * delta.norm() / v0["v"].norm() ** 2
        losses.append(loss.item())
        if nll.item() < 5e-2:                                                    # ROME stops early too
            break
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        with torch.no_grad():                                                    # keep |δ| <= CLAMP |v0|
            limit = CLAMP * v0["v"].norm()
            if delta.norm() > limit:
                delta.mul_(limit / delta.norm())
        if progress is not None:
            progress((step + 1) / STEPS, desc=f"Finding v*: step {step + 1} of {STEPS}, loss {float(loss):.2f}")
    return delta.detach(), losses


def object_tokens(tokenizer, prompt: str, new_object: str) -> list[int]:
    """The object's tokens as the prompt's next words (a leading space unless the prompt ends in one)."""
    ids = next_word_tokens(tokenizer, prompt, new_object,
                           "Type the new object: the word the model should say instead, e.g. Rome.")
    if len(ids) > 8:
        raise ValueError(f"The new object is {len(ids)} tokens; type one to three words (at most 8 tokens).")
    return ids


def rewrite_for(tokenizer, prompt: str, subject: str, new_object: str) -> Rewrite:
    """The edit's token lists: each prefix + prompt + the object's tokens but the last, and "{subject} is a"."""
    target = object_tokens(tokenizer, prompt, new_object)
    texts, lookups, answers = [], [], []
    for prefix in PREFIXES:
        ids = tokenizer(prefix + prompt, add_special_tokens=False).input_ids
        lookups.append(subject_span(tokenizer, prefix + prompt, subject)[1] - 1)
        texts.append(ids + target[:-1])
        answers.append(list(range(len(ids) - 1, len(ids) - 1 + len(target))))
    essence_text = f"{subject.strip()} is a"
    essence = tokenizer(essence_text, add_special_tokens=False).input_ids
    return Rewrite(texts, lookups, answers, target, essence, subject_span(tokenizer, essence_text, subject)[1] - 1)


def compute_edit(model, layer: int, rewrite: Rewrite, second_moment_of_keys: torch.Tensor,
                 progress=None) -> tuple[RankOne, list[float], float]:
    """k* (averaged over the prefixes), v* = W_down k* + δ (optimised), and the rank-one update between them:
    the edit, the optimisation's losses and |k*|."""
    key = keys_at(model, layer, [t for t in rewrite.texts], rewrite.lookups).mean(0)           # (d_mlp,) k*
    delta, losses = optimise_delta(model, layer, rewrite, progress)
    weight = down_weight(model, layer).detach().cpu()                                         # (d, d_mlp)
    value = weight.double() @ key.double() + delta.cpu().double()                             # v*
    u, w = rank_one_update(weight, key, value, second_moment_of_keys)
    return RankOne(layer, u.float(), w.float()), losses, float(key.norm())


@torch.inference_mode()
def last_token_probabilities(model, texts: list[list[int]], edit: RankOne | None = None) -> torch.Tensor:
    """p(next token) after each token list, with or without the edit: (n, V) in one right-padded batch."""
    ids, mask = right_padded(texts, pad=0)
    with edited(model, edit):
        logits = model(ids.to(model.device), attention_mask=mask.to(model.device)).logits.float()  # (n, T, V)
    last = torch.tensor([len(t) - 1 for t in texts])
    return logits[torch.arange(len(texts)), last].softmax(-1).cpu()


def mlp_trace_at_subject(model, token_ids: list[int], span: tuple[int, int], target: int) -> torch.Tensor:
    """Causal tracing (core.tracing) of the MLP outputs at the subject's last token only: p(target) with MLP l's
    output restored there, for every l: (L,). ROME edits the block where this peaks."""
    L = len(layout(model).blocks)
    sites = [f"blocks.{l}.mlp" for l in range(L)]
    with torch.inference_mode():
        clean, _ = clean_run(model, token_ids, ["blocks.0.hook_resid_pre", *sites], target)
    noise = subject_noise(model, span[1] - span[0])
    rows = [[(site, span[1] - 1)] for site in sites]
    return restored_probabilities(model, token_ids, span, target, rows, clean, noise)
