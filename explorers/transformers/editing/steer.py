"""Steer the residual stream (knowledge map: Token → Embedding, "directions in this space = meaning", and Residual
Stream): add a direction to the stream after one block and watch the next token and a greedy continuation follow.
The part of Edit & steer, its handlers and /steer."""
import gradio as gr

from components.editing_figures import steered_bars
from components.errors import keeps_view, user_errors
from components.events import bind
from components.formatting import continued, number, plus
from core.checks import in_range, whole
from core.sampling import top_k
from core.steering import LEAD, MAX_ALPHA, MAX_NEW_TOKENS, direction_and_size, greedy, steering
from core.tokens import shown_token, tokenize
from models.language import LanguageModel, app_language_model
from models.settings import Settings
from server.gpu import gpu
from server.memo import shared_cache
from server.queue import HEAVY

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
    lead = lm.tokenizer(LEAD, add_special_tokens=False).input_ids        # the newline each contrast prompt follows
    direction, size = direction_and_size(lm.model, layer, ids, plus, minus, lead)
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
            "r = \\overline{x_l}(\\text{positive}) - \\overline{x_l}(\\text{negative}),\\quad "
            "\\overline{x_l}(p) = \\frac{1}{T_p} \\sum_{t=1}^{T_p} x_l(\\text{newline},\\, p)_t")
    mean_note = ("" if r["direction"] == "token" else
                 " Each contrast prompt p is read after a newline (position 0) and averaged over its own T_p tokens "
                 "only: the first position of any text becomes an attention sink (in SmolLM2, from block 11 on, a "
                 "vector about 150 times the others), which would swamp a one-token prompt like 'Paris'.")
    formula = (f"$$x_{{{r['layer']}}} \\leftarrow x_{{{r['layer']}}} + \\alpha\\, s\\, \\hat r = x_{{{r['layer']}}} "
               f"{plus(r['alpha'], 1)} \\times {number(r['stream_size'], 1)} \\times \\hat r$$\n\n"
               f"$${what},\\quad |r| = {number(r['direction_norm'], 2)}$$\n\n"
               f"s is the stream's typical size at block {r['layer']} (the median |x| over the prompt), so α = 1 adds a "
               f"vector as long as the stream itself, at every position, including each new token.{mean_note}")
    text = (f"**Without steering:** {continued(prompt, r['continuation_before'])}\n\n"
            f"**Steered (α = {r['alpha']:g} at block {r['layer']}):** {continued(prompt, r['continuation_after'])}")
    (shown_before, shown_after) = r["_shown"]
    figure = steered_bars(shown_before, [p for _, p in r["top_before"]], shown_after, [p for _, p in r["top_after"]],
                          r["alpha"])
    return formula, text, figure


def choose_steer(name):
    return list(STEERS.get(name, next(iter(STEERS.values()))))


@keeps_view
@gpu(duration=60)
def show_steer(settings: Settings, prompt, positive, negative, layer, alpha, tokens, progress=gr.Progress()):
    lm = app_language_model(settings, progress)
    return steer_view(steer(lm, prompt, positive, negative, layer, alpha, tokens), prompt)


@user_errors
@gpu(duration=60)
def steer_endpoint(settings: Settings, prompt: str, positive: str, negative: str = "", layer: int = 6,
                   alpha: float = 0.3, tokens: int = 20) -> dict:
    """Add α · s · r̂ to the stream after block `layer` (r = mean stream of positive − of negative, each read after
    a newline and averaged over its own tokens; negative empty: r = W_U[positive's first token]): the greedy
    continuation and the top 8 next tokens, before and after."""
    lm = app_language_model(settings)
    result = steer(lm, prompt, positive, negative, layer, alpha, tokens)
    return {key: value for key, value in result.items() if not key.startswith("_")}


def build_steer_part(settings: Settings, tab, layers: int) -> dict:
    first = next(iter(STEERS.values()))
    gr.Markdown("### Steer the residual stream: add a direction, watch the text follow")
    with gr.Row():
        preset = gr.Dropdown(list(STEERS), value=next(iter(STEERS)), label="direction", elem_id="steer-preset")
        prompt = gr.Textbox(first[0], label="prompt", scale=2, elem_id="steer-prompt")
    with gr.Row():
        positive = gr.Textbox(first[1], label="positive prompt (or a word, with the negative empty)",
                              elem_id="steer-positive")
        negative = gr.Textbox(first[2], label="negative prompt (empty: the positive word's W_U row)",
                              elem_id="steer-negative")
    with gr.Row():
        layer = gr.Slider(0, layers - 1, min(first[3], layers - 1), step=1, label="after block",
                          elem_id="steer-layer")
        alpha = gr.Slider(-MAX_ALPHA, MAX_ALPHA, first[4], step=0.05, label="α (0 = no steering)",
                          elem_id="steer-alpha")
        tokens = gr.Slider(1, MAX_NEW_TOKENS, 20, step=1, label="tokens to write", elem_id="steer-tokens")
        run = gr.Button("Steer", variant="primary", elem_id="steer-run")
    formula = gr.Markdown(elem_id="steer-formula")
    with gr.Row():                           # side by side on a screen, stacked on a phone (min widths)
        with gr.Column(scale=1, min_width=280):
            text = gr.Markdown(elem_id="steer-text")
        with gr.Column(scale=2, min_width=340):
            bars = gr.Plot(label="next token", elem_id="steer-bars")
    inputs, outputs = [prompt, positive, negative, layer, alpha, tokens], [formula, text, bars]
    preset.select(choose_steer, inputs=preset, outputs=inputs[:5], api_visibility="undocumented").then(
        bind(show_steer, settings), inputs=inputs, outputs=outputs, api_visibility="undocumented", **HEAVY)
    gr.on([tab.opened, run.click, prompt.submit, positive.submit, negative.submit, layer.release, alpha.release,
           tokens.release], bind(show_steer, settings), inputs=inputs, outputs=outputs,
          api_visibility="undocumented", trigger_mode="always_last", **HEAVY)
    return {"steer_prompt": prompt, "positive": positive, "negative": negative, "steer_layer": layer,
            "alpha": alpha, "tokens": tokens}
