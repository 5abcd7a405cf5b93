"""Causal tracing (Meng et al. 2022, "Locating and Editing Factual Associations in GPT").

1. Clean run: p_clean = p(target | prompt), every activation kept.
2. Corrupted run: Gaussian noise (3 x the standard deviation of W_E's entries, fixed seed) is added to the subject
   tokens' embeddings; the model mostly forgets the fact: p_corrupted.
3. Restored runs: corrupted again, but ONE activation, at one (layer l, position p), is put back to its clean value.
   The probability that comes back says how much that activation carries the fact.

`restored_probabilities` is the plain way: every restoration is a whole corrupted forward pass with a hook, B of
them batched. `causal_trace` does the same work without repeating what a restoration cannot change:
- below block l the restored run IS the corrupted run, so it starts from the corrupted stream entering block l;
- the model is causal, so positions before p are the corrupted run's at every block: their keys and values are
  taken from the corrupted run (a KV cache), and only positions p .. T-1 are computed.
A restoration of (l, p) thus costs (L - l) x (T - p) token-blocks instead of L x T. Restorations are batched in
tiles of neighbouring layers that share a start block and a first position. A position before the subject's first
token is never changed by the noise, so restoring it gives back p_corrupted exactly; those cells are filled with
p_corrupted instead of being run.
"""
from dataclasses import dataclass

import torch

from core.checks import quote
from core.transformer import first, hooks, layout

NOISE_SCALE = 3.0       # noise standard deviation = 3 x the embeddings' standard deviation (as in the paper)
MAX_TOKENS = 20         # a trace runs 30 layers x up to 20 positions = 600 restored copies of the prompt
CHUNK = 128             # restored copies per forward pass in restored_probabilities (bounds memory)
TILE_TOKENS = 256       # a tile of causal_trace runs about this many (row, position) pairs per pass
BANDS = 2               # causal_trace tiles the positions after the subject's start into this many bands
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

    with hooks(model, {site: keep(site) for site in sites}):
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
        with hooks(model, {site: restore(site) for site in {"hook_embed", *patches}}):
            logits = model(input_ids, logits_to_keep=1).logits[:, -1]                   # (B, V)
        out.append(logits.float().softmax(-1)[:, target].cpu())
    return torch.cat(out)


class PrefixCache:
    """What the attention modules call as transformers' Cache (`cache.update(k, v, layer)` -> all keys and values):
    the corrupted run's keys and values of positions [0, start) are put in front of every row's own. Made with
    nothing, it records the keys and values it is given instead (that is how the corrupted run fills it)."""

    def __init__(self, recorded: "PrefixCache | None" = None, start: int = 0):
        self.keys = {} if recorded is None else recorded.keys
        self.values = {} if recorded is None else recorded.values
        self.recording, self.start = recorded is None, start

    def update(self, key, value, layer_idx, *args, **kwargs):               # key, value: (B, heads, q, head_dim)
        if self.recording:
            self.keys[layer_idx], self.values[layer_idx] = key, value
            return key, value
        if self.start == 0:
            return key, value
        B = key.shape[0]
        before_k = self.keys[layer_idx][:, :, :self.start].expand(B, -1, -1, -1)
        before_v = self.values[layer_idx][:, :, :self.start].expand(B, -1, -1, -1)
        return torch.cat([before_k, key], dim=2), torch.cat([before_v, value], dim=2)


def run_blocks(model, hidden: torch.Tensor, first_block: int, start: int, cache: PrefixCache) -> torch.Tensor:
    """Go on with a forward pass from block `first_block`: hidden (B, q, d) is the stream entering it at positions
    start .. start + q - 1, the earlier positions' keys and values come from `cache`. Hooks on the blocks fire as in a
    whole pass. Returns the logits at the last position (B, V)."""
    parts = layout(model)
    q = hidden.shape[1]
    positions = torch.arange(start, start + q, device=hidden.device)                # (q,)
    future = torch.arange(start + q, device=hidden.device)[None, :] > positions[:, None]   # (q, start + q)
    mask = torch.zeros(future.shape, dtype=hidden.dtype, device=hidden.device)
    mask = mask.masked_fill(future, torch.finfo(hidden.dtype).min)[None, None]      # (1, 1, q, start + q) additive
    extra = {}
    if parts.rotary is not None:                                                    # Llama: rotate q and k
        extra = {"position_ids": positions[None], "position_embeddings": parts.rotary(hidden, positions[None])}
    for block in parts.blocks[first_block:]:
        hidden = first(block(hidden, attention_mask=mask, cache=cache, **extra))
    return parts.unembedding(parts.final_norm(hidden[:, -1]))


@dataclass(frozen=True)
class CorruptedRun:
    entering: list[torch.Tensor]     # L x (T, d): the stream entering each block
    cache: PrefixCache               # every block's keys and values, all positions
    probability: float               # p_corrupted


@torch.inference_mode()
def corrupted_run(model, clean_entry: torch.Tensor, span: tuple[int, int], noise: torch.Tensor,
                  target: int) -> CorruptedRun:
    """The whole corrupted pass once, from the clean stream entering block 0 (T, d) with the noise on the subject."""
    L = len(layout(model).blocks)
    entry = clean_entry.clone()
    entry[span[0]:span[1]] += noise.to(entry.device)
    entering: dict[int, torch.Tensor] = {}

    def keep(layer):
        def save(x):
            entering[layer] = x[0].clone()                                          # (T, d)
        return save

    cache = PrefixCache()
    with hooks(model, {f"blocks.{layer}.hook_resid_pre": keep(layer) for layer in range(L)}):
        logits = run_blocks(model, entry[None], 0, 0, cache)                        # (1, V)
    return CorruptedRun([entering[layer] for layer in range(L)], cache,
                        float(logits[0].float().softmax(-1)[target]))


def tiles(cells: list[tuple[int, int]], n_tokens: int, tile_tokens: int, bands: int = BANDS) -> list[list[int]]:
    """Indices of cells (layer, position) in tiles. The positions are cut into `bands` bands; in each band a tile
    takes neighbouring layers until it holds about tile_tokens (row, position) pairs. A tile starts at its lowest
    layer and position, so it runs rows x (T - first position) pairs through L - first layer blocks."""
    positions = sorted({position for _, position in cells})
    band_of = {position: i * bands // len(positions) for i, position in enumerate(positions)}
    order = sorted(range(len(cells)), key=lambda i: (band_of[cells[i][1]], cells[i]))
    out, tile = [], []
    for i in order:
        if tile and (band_of[cells[i][1]], cells[i][0]) != (band_of[cells[tile[-1]][1]], cells[tile[-1]][0]):
            first_position = min(cells[j][1] for j in tile)                  # a new layer or band: is the tile full?
            if band_of[cells[i][1]] != band_of[cells[tile[-1]][1]] or \
                    len(tile) * (n_tokens - first_position) >= tile_tokens:
                out.append(tile)
                tile = []
        tile.append(i)
    return out + ([tile] if tile else [])


@torch.inference_mode()
def traced_probabilities(model, target: int, cells: list[tuple[str, int, int]], clean: dict[str, torch.Tensor],
                         corrupted: CorruptedRun, tile_tokens: int = TILE_TOKENS, bands: int = BANDS) -> torch.Tensor:
    """p(target) with one (site, layer, position) of cells restored to its clean value, each starting from the
    corrupted run at its tile's first block and first position. Returns (len(cells),)."""
    T = corrupted.entering[0].shape[0]
    out = torch.empty(len(cells))
    for tile in tiles([(layer, position) for _, layer, position in cells], T, tile_tokens, bands):
        first_block = min(cells[i][1] for i in tile)
        start = min(cells[i][2] for i in tile)
        patches: dict[str, tuple[list[int], list[int]]] = {}                       # site -> (rows, positions)
        for row, i in enumerate(tile):
            site, _, position = cells[i]
            patches.setdefault(site, ([], []))[0].append(row)
            patches[site][1].append(position)

        def restore(site):
            rows, positions = patches[site]

            def patch(x):                                                       # x: (B, T - start, d), in place
                at = torch.tensor(positions, device=x.device)
                x[torch.tensor(rows, device=x.device), at - start] = clean[site][at]
            return patch

        hidden = corrupted.entering[first_block][start:].expand(len(tile), -1, -1).clone()   # (B, T - start, d)
        with hooks(model, {site: restore(site) for site in patches}):
            logits = run_blocks(model, hidden, first_block, start, PrefixCache(corrupted.cache, start))
        out[torch.tensor(tile)] = logits.float().softmax(-1)[:, target].cpu()
    return out


@dataclass(frozen=True)
class Trace:
    kind: str
    restored: torch.Tensor       # (L, T) p(target) with one (layer, position) restored
    clean: float                 # p_clean
    corrupted: float             # p_corrupted
    span: tuple[int, int]        # the subject's tokens [start, end)


def causal_trace(model, token_ids: list[int], span: tuple[int, int], target: int, kind: str = "hidden",
                 seed: int = 0, tile_tokens: int = TILE_TOKENS, bands: int = BANDS,
                 plain_chunk: int | None = None) -> Trace:
    """Restore each (layer, position) of one kind of activation in turn, from the corrupted run onwards. With
    plain_chunk, the same trace the plain way (the benchmark's baseline): a whole corrupted forward pass per
    restoration, plain_chunk of them batched."""
    kind = checked_kind(kind)
    L, T = len(layout(model).blocks), len(token_ids)
    sites = [KINDS[kind].format(layer=layer) for layer in range(L)]
    noise = subject_noise(model, span[1] - span[0], seed)
    cells = [(layer, position) for layer in range(L) for position in range(span[0], T)]
    if plain_chunk is None:
        clean, p_clean = clean_run(model, token_ids, ["blocks.0.hook_resid_pre", *sites], target)
        corrupted = corrupted_run(model, clean["blocks.0.hook_resid_pre"], span, noise, target)
        p_corrupted = corrupted.probability
        restorations = [(sites[layer], layer, position) for layer, position in cells]
        probabilities = traced_probabilities(model, target, restorations, clean, corrupted, tile_tokens, bands)
    else:
        clean, p_clean = clean_run(model, token_ids, ["hook_embed", *sites], target)
        rows = [[]] + [[(sites[layer], position)] for layer, position in cells]        # row 0: nothing restored
        probabilities = restored_probabilities(model, token_ids, span, target, rows, clean, noise, plain_chunk)
        p_corrupted, probabilities = float(probabilities[0]), probabilities[1:]
    restored = torch.full((L, T), p_corrupted)                                         # (L, T)
    for (layer, position), p in zip(cells, probabilities):
        restored[layer, position] = p
    return Trace(kind, restored, p_clean, p_corrupted, span)
