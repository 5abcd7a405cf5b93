"""Steer the residual stream (knowledge map: Token → Embedding, "directions in this space = meaning", and Residual
Stream): add a direction to the stream after one block and watch the next token and a greedy continuation follow."""

from components.editing_figures import steered_bars
from components.formatting import continued, number
from core.checks import in_range, whole
from core.sampling import top_k
from core.steering import MAX_ALPHA, MAX_NEW_TOKENS, direction_and_size, greedy, steering
from core.tokens import shown_token, tokenize
from models.language import LanguageModel
from server.memo import shared_cache

MAX_TOKENS = 64          # the prompt and the two contrasting prompts: at most 64 tokens each
TOP = 8                  # bars shown before and after

# name -> (prompt, positive, negative, layer, alpha): directions that read on SmolLM2-135M-Instruct
STEERS = {
    "love − hate: the review turns warm (α < 0: cold)": ("I watched the movie yesterday. Honestly, it was",
                                                         "I love this", "I hate this", 6, 0.3),
    "Paris − London: the trip goes to Paris": ("Last summer I travelled to the city of", "Paris", "London", 6, 0.25),
    "the token ' dog' (its W_U row)": ("My favourite animal is the", " dog", "", 12, 0.5),
}


def checked(lm: LanguageModel, text: str, what: str) -> list[int]:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"Type the {what}.")
    ids, cut = tokenize(lm.tokenizer, text, MAX_TOKENS, keep="first")
    if cut:
        raise ValueError(f"The {what} is {len(ids) + cut} tokens; at most {MAX_TOKENS}.")
    return ids


@shared_cache(maxsize=16)    # the text without steering depends on the prompt alone: one generation, not one per α
def unsteered(lm: LanguageModel, ids: tuple[int, ...], tokens: int):
    return greedy(lm.model, list(ids), tokens)


def steer(lm: LanguageModel, prompt, positive, negative, layer, alpha, tokens) -> dict:
    """The steering vector and what it does: top tokens and a greedy continuation, without and with it. An empty
    `negative` means: steer along the first token of `positive`'s unembedding row W_U[token]."""
    layer = whole("block", layer, 0, lm.n_layers - 1)
    alpha = in_range("α", alpha, -MAX_ALPHA, MAX_ALPHA)
    tokens = whole("tokens", tokens, 1, MAX_NEW_TOKENS)
    ids = checked(lm, prompt, "prompt")
    plus = checked(lm, positive, "positive prompt (or a word whose direction to add)")
    minus = checked(lm, negative, "negative prompt") if isinstance(negative, str) and negative.strip() else None
    direction, size = direction_and_size(lm.model, layer, ids, plus, minus)
    steered = steering(layer, direction, size, alpha)
    before, plain = unsteered(lm, tuple(ids), tokens)
    after, pushed = greedy(lm.model, ids, tokens, steered)
    decode = lm.tokenizer.decode
    top_before, top_after = top_k(before, TOP), top_k(after, TOP)
    return {"layer": layer, "alpha": alpha, "direction": "prompts" if minus else "token",
            "token": None if minus else decode(plus[:1]), "direction_norm": float(direction.norm()),
            "stream_size": steered.scale,
            "continuation_before": decode(plain, skip_special_tokens=True),
            "continuation_after": decode(pushed, skip_special_tokens=True),
            "top_before": [[decode([i]), p] for i, p in top_before],
            "top_after": [[decode([i]), p] for i, p in top_after],
            "_shown": ([shown_token(lm.tokenizer, i) for i, _ in top_before],
                       [shown_token(lm.tokenizer, i) for i, _ in top_after])}


def steer_view(result: dict, prompt: str):
    """The formula with the live numbers, the two continuations, and the bars."""
    r = result
    what = (f"r = W_U[\\text{{{r['token'].strip() or r['token']}}}]" if r["direction"] == "token" else
            "r = \\overline{x_l}(\\text{positive}) - \\overline{x_l}(\\text{negative})")
    formula = (f"$$x_{{{r['layer']}}} \\leftarrow x_{{{r['layer']}}} + \\alpha\\, s\\, \\hat r = x_{{{r['layer']}}} + "
               f"{number(r['alpha'], 1)} \\times {number(r['stream_size'], 1)} \\times \\hat r, \\qquad {what},\\ "
               f"|r| = {number(r['direction_norm'], 2)}$$\n\n"
               f"s is the stream's typical size at block {r['layer']} (the median |x| over the prompt), so α = 1 adds a "
               "vector as long as the stream itself, at every position, including each new token.")
    text = (f"**Without steering:** {continued(prompt, r['continuation_before'])}\n\n"
            f"**Steered (α = {r['alpha']:g} at block {r['layer']}):** {continued(prompt, r['continuation_after'])}")
    (shown_before, shown_after) = r["_shown"]
    figure = steered_bars(shown_before, [p for _, p in r["top_before"]], shown_after, [p for _, p in r["top_after"]],
                          r["alpha"])
    return formula, text, figure
