"""Causal tracing (Meng et al. 2022, "Locating and Editing Factual Associations in GPT").

1. Clean run: p_clean = p(target | prompt), every activation kept.
2. Corrupted run: Gaussian noise (3 x the standard deviation of W_E's entries, fixed seed) is added to the subject
   tokens' embeddings; the model mostly forgets the fact: p_corrupted.
3. Restored runs: corrupted again, but ONE activation, at one (layer, position), is put back to its clean value.
   The probability that comes back says how much that activation carries the fact.

Restorations are batched: B copies of the corrupted prompt go through the model in one forward pass, and the hooks
patch a different (layer, position) in each batch row. A position before the subject's first token is never
changed by the noise (the model is causal), so restoring it gives back p_corrupted exactly; those cells are
filled with p_corrupted instead of being run.
"""
from dataclasses import dataclass

import torch

from core.checks import quote
from core.residual import hooks, layout

NOISE_SCALE = 3.0       # noise standard deviation = 3 x the embeddings' standard deviation (as in the paper)
MAX_TOKENS = 20         # a trace runs 30 layers x up to 20 positions = 600 restored copies of the prompt
CHUNK = 128             # restored copies per forward pass (bounds memory: 128 x 20 tokens; 64 was 10 % slower)
KINDS = {"hidden": "blocks.{layer}.hook_resid_post", "mlp": "blocks.{layer}.mlp", "attention": "blocks.{layer}.attn"}


def checked_kind(kind) -> str:
    """One of KINDS, or a ValueError that lists them (cheap: callers check it before any model work)."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {quote(kind)}.")
    return kind


def subject_span(tokenizer, prompt: str, subject: str) -> tuple[int, int]:
    """[start, end) of the tokens that overlap the subject's first occurrence in the prompt."""
    if not isinstance(subject, str) or not subject.strip():
        raise ValueError("Type the subject: words of the prompt to corrupt, e.g. 'The Eiffel Tower'.")
    subject = subject.strip()
    at = prompt.find(subject)
    if at < 0:
        shown = subject if len(subject) <= 30 else subject[:29] + "…"
        raise ValueError(f"The subject {shown!r} is not in the prompt; copy words exactly as they appear there "
                         "(case matters).")
    offsets = tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    inside = [i for i, (a, b) in enumerate(offsets) if a < at + len(subject) and b > at]
    if not inside:
        raise ValueError("The subject could not be matched to the prompt's tokens; choose whole words of the prompt.")
    return inside[0], inside[-1] + 1


def subject_noise(model, n_tokens: int, seed: int = 0) -> torch.Tensor:
    """(n_tokens, d) Gaussian noise of standard deviation 3 x std(W_E), the same every call for a seed."""
    weight = layout(model).embedding.weight                                  # (V, d)
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(n_tokens, weight.shape[1], generator=generator, dtype=torch.float64)
    return (NOISE_SCALE * weight.double().std().cpu() * noise).to(weight.dtype)


@torch.inference_mode()
def clean_run(model, token_ids: list[int], sites: list[str], target: int) -> tuple[dict[str, torch.Tensor], float]:
    """The clean activations at the named sites ({site: (T, d)}) and p_clean of the target."""
    kept: dict[str, torch.Tensor] = {}

    def keep(name):
        def save(x):
            kept[name] = x[0].clone()                                       # (T, d)
        return save

    with hooks(model, forward={site: keep(site) for site in sites}):
        logits = model(torch.tensor([token_ids], device=model.device), logits_to_keep=1).logits   # (1, 1, V)
    return kept, float(logits[0, -1].float().softmax(-1)[target])


@torch.inference_mode()
def restored_probabilities(model, token_ids: list[int], span: tuple[int, int], target: int,
                           rows: list[list[tuple[str, int]]], clean: dict[str, torch.Tensor], noise: torch.Tensor,
                           chunk: int = CHUNK) -> torch.Tensor:
    """p(target) for corrupted copies of the prompt, row b restoring the (site, position) pairs of rows[b] to their
    clean values. `chunk` copies run per forward pass (chunk=1: one forward pass per row). Returns (B,)."""
    start, end = span
    out = []
    for first_row in range(0, len(rows), chunk):
        batch = rows[first_row:first_row + chunk]
        patches: dict[str, tuple[list[int], list[int]]] = {}               # site -> (batch rows, positions)
        for b, restorations in enumerate(batch):
            for site, position in restorations:
                patch = patches.setdefault(site, ([], []))
                patch[0].append(b)
                patch[1].append(position)

        def restore(site):
            def patch(x):                                                   # x: (B, T, d), changed in place
                if site == "hook_embed":
                    x[:, start:end] += noise.to(x.device)                  # corrupt the subject in every row
                if site in patches:
                    b, p = (torch.tensor(i, device=x.device) for i in patches[site])
                    x[b, p] = clean[site][p]
            return patch

        input_ids = torch.tensor([token_ids] * len(batch), device=model.device)        # (B, T)
        with hooks(model, forward={site: restore(site) for site in {"hook_embed", *patches}}):
            logits = model(input_ids, logits_to_keep=1).logits[:, -1]                   # (B, V)
        out.append(logits.float().softmax(-1)[:, target].cpu())
    return torch.cat(out)


@dataclass(frozen=True)
class Trace:
    kind: str
    restored: torch.Tensor       # (L, T) p(target) with one (layer, position) restored
    clean: float                 # p_clean
    corrupted: float             # p_corrupted
    span: tuple[int, int]        # the subject's tokens [start, end)


def causal_trace(model, token_ids: list[int], span: tuple[int, int], target: int, kind: str = "hidden",
                 seed: int = 0, chunk: int = CHUNK) -> Trace:
    """Restore each (layer, position) of one kind of activation in turn; all restorations batched."""
    kind = checked_kind(kind)
    L, T = len(layout(model).blocks), len(token_ids)
    sites = [KINDS[kind].format(layer=layer) for layer in range(L)]
    clean, p_clean = clean_run(model, token_ids, ["hook_embed", *sites], target)
    noise = subject_noise(model, span[1] - span[0], seed)
    cells = [(layer, position) for layer in range(L) for position in range(span[0], T)]
    rows = [[]] + [[(sites[layer], position)] for layer, position in cells]            # row 0: nothing restored
    probabilities = restored_probabilities(model, token_ids, span, target, rows, clean, noise, chunk)
    restored = torch.full((L, T), float(probabilities[0]))                             # (L, T)
    for (layer, position), p in zip(cells, probabilities[1:]):
        restored[layer, position] = p
    return Trace(kind, restored, p_clean, float(probabilities[0]), span)
