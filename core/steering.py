"""Steering the residual stream: "directions in this space = meaning", inside the model. Add a direction r̂ to the
stream after block l, at every position, and the model's next tokens follow it:

    x_l ← x_l + α · s · r̂          s = the median size |x_l| of the prompt's stream at block l

so α = 1 adds a vector as long as the stream itself. The direction is either
- the difference of the mean stream of two contrasting prompts at block l (Turner et al. 2023's activation
  addition, averaged over positions): r = mean_t x_l("I love this") − mean_t x_l("I hate this"), or
- a token's unembedding row W_U[token]: the direction the final layer reads as that token.

Each contrast prompt is read after one fixed leading token (LEAD, a newline), and the mean runs over the prompt's own
positions only. The first position of any text is special: many models make it an attention sink, and SmolLM2-135M's
block 11 writes a vector of size about 22,700 there (about 150 times every other position) whatever the token is.
Read alone, a one-token prompt ("Paris", "London") has no other position, so from block 11 on its mean IS the sink
and r would be the difference of two sink vectors (size 1,113, cosine −1.00 with the sink), which steers nothing.
After the lead, the sink is the lead's position, the same in both prompts, and the mean skips it.
"""
from dataclasses import dataclass

import torch

from core.transformer import hooks, layout, right_padded, run_to

MAX_ALPHA = 2.0        # α = 1 already doubles the stream's size: past about 0.5 the text breaks down
MAX_NEW_TOKENS = 40
LEAD = "\n"            # read before each contrast prompt: its position takes the first-position sink, the mean skips it


@dataclass(frozen=True)
class Steering:
    layer: int
    direction: torch.Tensor      # (d,) unit length
    scale: float                 # s: the median |x_l| over the prompt's positions
    alpha: float

    @property
    def vector(self) -> torch.Tensor:
        return self.alpha * self.scale * self.direction                   # (d,) what is added at every position


def streams_at(model, layer: int, texts: list[list[int]]) -> list[torch.Tensor]:
    """The stream after block `layer` at every position of each token list: [(T_i, d)], in one right-padded pass
    that stops at the block."""
    ids, mask = right_padded(texts, pad=0)
    x = run_to(model, f"blocks.{layer}.hook_resid_post", ids, mask)                 # (B, T, d)
    return [x[b, :len(t)] for b, t in enumerate(texts)]


def direction_and_size(model, layer: int, prompt: list[int], positive: list[int], negative: list[int] | None,
                       lead: list[int]) -> tuple[torch.Tensor, float]:
    """r (d,) = mean_t x_l(positive) − mean_t x_l(negative), each prompt read after the `lead` tokens and the mean
    taken over its own positions; or W_U[positive's first token] without a negative. And s, the median |x_l| over
    the prompt's positions."""
    streams = streams_at(model, layer, [prompt] + ([lead + positive, lead + negative] if negative else []))
    size = float(streams[0].norm(dim=-1).median())
    if not negative:
        return token_direction(model, positive[0]), size
    own = len(lead)                                                        # the lead's positions are skipped
    return streams[1][own:].mean(0) - streams[2][own:].mean(0), size       # (d,), s


def token_direction(model, token: int) -> torch.Tensor:
    """W_U[token]: (d,), the unembedding row (tied to W_E in SmolLM2 and GPT-2)."""
    return layout(model).unembedding.weight[token].detach().float().cpu()


def steering(layer: int, direction: torch.Tensor, scale: float, alpha: float) -> Steering:
    norm = float(direction.norm())
    if not norm > 0:
        raise ValueError("The two prompts give the same stream at this block, so there is no direction to add; "
                         "make them differ.")
    return Steering(layer, direction / norm, scale, float(alpha))


def steered_hooks(model, steer: Steering | None) -> dict:
    """The hook that adds the steering vector after block l (in place, every position); none without steering."""
    if steer is None or steer.alpha == 0:
        return {}
    vector = steer.vector.to(model.device, model.dtype)

    def add(x):                                                            # (B, T, d)
        x += vector
    return {f"blocks.{steer.layer}.hook_resid_post": add}


@torch.inference_mode()
def greedy(model, ids: list[int], new_tokens: int, steer: Steering | None = None) -> tuple[torch.Tensor, list[int]]:
    """Steered or not: p(next token | prompt) (V,), and the most likely next token appended new_tokens times (with a
    KV cache each step adds one position, and the hook steers it too); the text ends early at end-of-text."""
    input_ids = torch.tensor([ids], device=model.device)
    eos = model.config.eos_token_id
    with hooks(model, steered_hooks(model, steer)):
        out = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=new_tokens,
                             do_sample=False, output_logits=True, return_dict_in_generate=True,
                             pad_token_id=eos[0] if isinstance(eos, list) else eos)
    return out.logits[0][0].float().softmax(-1).cpu(), out.sequences[0, len(ids):].tolist()
