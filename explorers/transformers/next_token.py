"""Tokens and next-token sampling (knowledge map: Token -> Embedding, Softmax, Output: Logits -> Softmax -> Token)
on the bundled SmolLM2 (or a hub model when enabled)."""

import gradio as gr
import numpy as np

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.errors import keeps_view, user_errors
from components.events import bind
from components.formulas import softmax_formula
from components.scale import shape_line
from components.scenes import scenes
from components.token_figures import next_token_bars
from components.page import panel_frame
from core.checks import whole
from core.sampling import (MAX_TEMPERATURE, MIN_TEMPERATURE, entropy_bits, sample, softmax_with_temperature, truncate,
                           top_k as most_likely)
from core.tokens import MAX_PROMPT_TOKENS, next_token_logits, shown_token, tokenize
from models.language import LanguageModel, app_language_model
from models.settings import Settings
from server.gpu import gpu
from server.memo import shared_cache
from server.queue import HEAVY

MAX_K = 30
MAX_TOP_K = 100           # the top-k slider's range (the API takes 0 … the vocabulary size)
MAX_STEPS = 64            # the stepper grows the text by at most this many tokens
PROMPT = "The Eiffel Tower is located in the city of"
OPEN_PROMPT = "Once upon a time, there was a"      # no clear next word: the probability is spread over many tokens

@shared_cache(maxsize=32)    # prompt -> logits; bounded, so the cache cannot grow with use
def cached_logits(lm: LanguageModel, ids: tuple[int, ...]):
    return next_token_logits(lm.model, list(ids))

def distribution(settings: Settings, prompt, temperature, k, top_k=0, top_p=1.0, progress=None):
    """The model, the prompt's ids and how many were cut, the logits, p at T, what top-k/top-p keep of p, and the k
    most likely tokens [(id, p)]."""
    k = whole("k", k, 1, MAX_K)
    lm = app_language_model(settings, progress)
    ids, cut = tokenize(lm.tokenizer, prompt)
    logits = cached_logits(lm, tuple(ids))                                 # (V,)
    probabilities = softmax_with_temperature(logits, temperature)          # (V,)
    truncated = truncate(probabilities, top_k, top_p)                      # (V,) kept, (V,) q
    return lm, ids, cut, logits, probabilities, truncated, most_likely(probabilities, k)

def cuts(top_k, top_p) -> str:
    """The truncation settings as the formula card says them."""
    return (f"top-k = {int(float(top_k))}" if float(top_k) else "top-k off") + ", " + \
        (f"top-p = {float(top_p):g}" if float(top_p) < 1 else "top-p off")

@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def show(settings: Settings, prompt, temperature, k, top_k=0, top_p=1.0, progress=gr.Progress()):
    lm, ids, cut, logits, probabilities, truncated, top = distribution(settings, prompt, temperature, k, top_k, top_p,
                                                                       progress)
    at_one = softmax_with_temperature(logits, 1.0)
    best, p_best = top[0]
    best_token = shown_token(lm.tokenizer, best)
    entropy = entropy_bits(probabilities)
    chips = [(shown_token(lm.tokenizer, i), str(i)) for i in ids]
    best_softmax = softmax_formula(float(temperature), rf"p(\text{{{best_token}}})", float(logits[best]),
                                   over=f"_{{j=1}}^{{{lm.vocab_size:,}}}", value=p_best)
    formula = (f"$${softmax_formula()}, \\qquad {best_softmax}$$\n\n"
               f"$$H = -\\sum_i p_i \\log_2 p_i = {entropy:.2f} \\text{{ bits}} \\quad "
               f"(0 = \\text{{certain}},\\ \\log_2 {lm.vocab_size:,} = {np.log2(lm.vocab_size):.1f} = "
               f"\\text{{uniform}})$$\n\n"
               f"$$q_i = \\frac{{p_i}}{{\\sum_{{j \\in \\text{{kept}}}} p_j}}: \\quad q(\\text{{{best_token}}}) = "
               f"\\frac{{{p_best:.3f}}}{{{truncated.kept_mass:.3f}}} = {float(truncated.renormalised[best]):.3f}$$\n\n"
               f"{cuts(top_k, top_p)}: kept **{truncated.kept_tokens:,} of {lm.vocab_size:,} tokens, holding mass "
               f"{truncated.kept_mass:.3f}**; a sample is drawn from q (zero where cut).")
    note = (f"{len(ids)} tokens of a {lm.vocab_size:,}-token vocabulary ({lm.name}). The last token's vector "
            f"times W_U gives one logit z per vocabulary entry."
            + (f" **The prompt was long: its first {cut} tokens were cut; the model sees the last "
               f"{MAX_PROMPT_TOKENS}.**" if cut else "")
            + "\n\n" + shape_line(lm.name, lm.n_layers, lm.n_heads, lm.model.config.hidden_size, lm.vocab_size))
    figure = next_token_bars([shown_token(lm.tokenizer, i) for i, _ in top], [p for _, p in top],
                             [float(at_one[i]) for i, _ in top], float(temperature),
                             kept=[bool(truncated.kept[i]) for i, _ in top],
                             renormalised=[float(truncated.renormalised[i]) for i, _ in top])
    return formula, chips, figure, note

@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def step(settings: Settings, prompt, temperature, k, top_k, top_p, seed, history, progress=gr.Progress()):
    """Draw one token from q (p at T, cut by top-k and top-p, renormalised) and append it."""
    history = list(history or [])
    if len(history) >= MAX_STEPS:
        raise ValueError(f"The stepper stops after {MAX_STEPS} tokens; press Reset to start again.")
    seed = whole("seed", seed, 0, 2**31 - 1)
    lm, _, _, _, _, truncated, _ = distribution(settings, prompt, temperature, k, top_k, top_p, progress)
    q = truncated.renormalised                                     # (V,) zero where cut
    token = sample(q, seed + len(history))                         # reproducible: one seed per step
    history.append([len(history) + 1, shown_token(lm.tokenizer, token), round(float(q[token]), 4)])
    return prompt + lm.tokenizer.decode([token]), history, history

def reset():
    return [], []

@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def next_token_endpoint(settings: Settings, prompt: str, temperature: float = 1.0, k: int = 10, top_k: int = 0,
                        top_p: float = 1.0) -> dict:
    """The k most likely next tokens at temperature T, and what sampling with top-k and top-p draws from.

    top_k (0 = off, else 1 … vocabulary size) keeps the top_k most likely tokens; top_p (1 = off, else in (0, 1))
    then keeps the smallest set of most likely tokens whose probability sums to at least top_p (a token tied with
    the last one kept is kept too). Returns {"tokens": [[token, p], ...] (p at T, before any cut),
    "entropy_bits": H of p, "prompt_tokens", "cut_tokens" (of the prompt), "kept_tokens": how many tokens survive
    top-k and top-p, "kept_mass": their total p, "sampled_from": [[token, q], ...] (the kept ones among the k most
    likely, q = p / kept_mass: the distribution a sample is drawn from)}."""
    lm, ids, cut, _, probabilities, truncated, top = distribution(settings, prompt, temperature, k, top_k, top_p)
    return {"tokens": [[lm.tokenizer.decode([i]), p] for i, p in top], "entropy_bits": entropy_bits(probabilities),
            "prompt_tokens": len(ids), "cut_tokens": cut, "kept_tokens": truncated.kept_tokens,
            "kept_mass": truncated.kept_mass,
            "sampled_from": [[lm.tokenizer.decode([i]), float(truncated.renormalised[i])] for i, _ in top
                             if truncated.kept[i]]}

SCENES = {    # prompt, T, k, top-k, top-p; the probabilities are SmolLM2-135M's own (../shared/STACK.md)
    "Output: Logits → Softmax → Token · Eiffel Tower → Paris": [PROMPT, 1.0, 10, 0, 1.0],
    "Softmax · T = 0.1: almost always the top token (greedy)": [PROMPT, 0.1, 10, 0, 1.0],
    "Softmax · T = 2: flatter, the long tail gets a chance": [PROMPT, 2.0, 10, 0, 1.0],
    "Output: Logits → Softmax → Token · capital of France": ["The capital of France is", 1.0, 10, 0, 1.0],
    "Output: Logits → Softmax → Token · opposite of hot": ["The opposite of hot is", 1.0, 10, 0, 1.0],
    "Output: Logits → Softmax → Token · top-p 0.5: Paris alone": [PROMPT, 1.0, 10, 0, 0.5],
    "Output: Logits → Softmax → Token · top-p 0.5, open prompt": [OPEN_PROMPT, 1.0, 30, 0, 0.5],
    "Softmax · T = 2, top-k = 10: flat, but no long tail": [PROMPT, 2.0, 15, 10, 1.0],
}

PANEL = "next-token"                       # its page: /next-token, and ?panel=next-token in a link
TITLE = "Next-token sampling"
SUMMARY = "logits → softmax with temperature, top-k and top-p, then sample and repeat"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:
        live = explanation_card(
            "From logits to the next token",
            "The text is cut into tokens. After the last block, the last token's vector is multiplied by the "
            "unembedding W_U: one raw score (logit) per vocabulary entry. Softmax turns the scores into "
            "probabilities; sampling one, appending it and repeating is how the model writes. The temperature T "
            "divides the logits first: low T sharpens the distribution toward the top token, high T flattens it. "
            "Before drawing, real generation usually cuts the long tail: top-k keeps the k most likely tokens, top-p "
            "the fewest whose probabilities add up to at least p; what is kept is rescaled to sum to 1 (q).",
            "", "Move T toward 0: the top token takes everything (greedy). Raise it past 1: unlikely tokens get a "
            "chance and the entropy climbs. Press *Sample next token* a few times; the same seed gives the same "
            "text, another seed another text. Set top-p to 0.5 here, then on an open prompt such as *Once upon a "
            "time, there was a*: top-p keeps one token when the model is sure and dozens when it is not; top-k "
            "keeps k either way. top-k = 1 is greedy whatever the seed.", elem_id="next-formula", reserve=267)
        with gr.Row():
            with gr.Column(scale=3):
                prompt = gr.Textbox(PROMPT, label="prompt (Enter or the button runs it)", lines=1, max_lines=4,
                                    elem_id="next-prompt")
                run = gr.Button("Show the next-token distribution", variant="primary", elem_id="next-run")
            with gr.Column(scale=1, min_width=260):
                temperature = gr.Slider(MIN_TEMPERATURE, MAX_TEMPERATURE, 1.0, step=0.01, label="temperature T",
                                        elem_id="next-temperature")
                k = gr.Slider(1, MAX_K, 10, step=1, label="show the top k", elem_id="next-k")
                cut_k = gr.Slider(0, MAX_TOP_K, 0, step=1, label="top-k (0 = off)", elem_id="next-top-k")
                cut_p = gr.Slider(0.01, 1.0, 1.0, step=0.01, label="top-p (1 = off)", elem_id="next-top-p")
        tokens = gr.HighlightedText(label="the prompt as the model's tokens (the label is the token id)",
                                    show_legend=False, combine_adjacent=False, elem_id="next-tokens")
        note = gr.Markdown(elem_id="next-note")
        with gr.Row():
            bars = gr.Plot(label="next-token distribution", elem_id="next-bars", scale=2)
            with gr.Column(scale=1, min_width=260):
                seed = gr.Number(0, precision=0, label="seed", elem_id="next-seed")
                sample_button = gr.Button("Sample next token → append", variant="primary", elem_id="next-sample")
                reset_button = gr.Button("Reset the steps", elem_id="next-reset")
                steps = gr.Dataframe(headers=["step", "token", "q"], label="sampled so far (q: p after the cuts)",
                                     interactive=False, elem_id="next-steps")
        history = gr.State([])                                         # per user: the sampled tokens
        shown_outputs = [live, tokens, bars, note]
        settings_inputs = [prompt, temperature, k, cut_k, cut_p]
        scenes(settings_inputs, SCENES, fn=bind(show, settings), outputs=shown_outputs, elem_id="next-scenes", **HEAVY)
        gr.on([tab.opened, run.click, prompt.submit, k.release, temperature.release, cut_k.release, cut_p.release],
              bind(show, settings), inputs=settings_inputs, outputs=shown_outputs, api_visibility="undocumented",
              trigger_mode="always_last", **HEAVY)
        sample_button.click(bind(step, settings), inputs=[*settings_inputs, seed, history],
                            outputs=[prompt, history, steps], api_visibility="undocumented", **HEAVY).then(
            bind(show, settings), inputs=settings_inputs, outputs=shown_outputs, api_visibility="undocumented", **HEAVY)
        reset_button.click(reset, outputs=[history, steps], api_visibility="undocumented")
        gr.api(bind(next_token_endpoint, settings), api_name="next_token", **HEAVY)
        return link_box("next-token", {"prompt": prompt, "T": temperature, "k": k, "top_k": cut_k, "top_p": cut_p,
                                       "seed": seed})
