"""Attention head viewer (knowledge map: Attention Block: Query, Key, Value; score = Q·K/√d -> softmax -> weights
-> Σ weight × V; many heads in parallel) on the bundled SmolLM2 or a hub model."""

import gradio as gr
import numpy as np

from components.attention_figures import (lines_view, overview, pattern_figure, query_bars, scores_figure,
                                          statistic_figure, token_labels)
from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.errors import keeps_view, user_errors
from components.formulas import softmax_formula
from components.scale import GPT3, WHY, shape_line
from core.attention import MAX_TOKENS, AttentionRecord, head_statistics, most_focused_query, record_attention
from components.events import bind
from components.page import panel_frame
from core.checks import whole
from core.tokens import shown_token, tokenize
from models.language import LanguageModel, ModelShape, app_language_model, language_model_shape
from models.settings import Settings
from server.gpu import gpu
from server.memo import shared_cache
from server.queue import HEAVY

PRESETS = {    # scenes for the Attention Block card: text where known head types show
    "Repeated text (induction heads)": "The cat sat on the mat and the dog ran to the park. "
                                       "The cat sat on the mat and the dog ran to the park.",
    "A pronoun (coreference)": "The trophy did not fit in the suitcase because it was too big.",
    "A list (previous-token heads)": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14",
    "Names": "When Mary and John went to the store, John gave a drink to Mary.",
}
STATISTICS = [("induction", "induction"), ("previous token", "previous_token"), ("first token (sink)", "first_token"),
              ("entropy (bits)", "entropy")]      # (label, core.attention.head_statistics key)


@shared_cache(maxsize=8)     # prompt -> every head of every layer, from one forward pass; bounded LRU
def cached_record(lm: LanguageModel, ids: tuple[int, ...]) -> AttentionRecord:
    return record_attention(lm.model, list(ids))


def record_for(settings: Settings, prompt, progress=None):
    """The prompt's first MAX_TOKENS tokens, every head's record, the tokens as shown, and how many were cut."""
    lm = app_language_model(settings, progress)
    ids, cut = tokenize(lm.tokenizer, prompt, MAX_TOKENS, keep="first")
    return lm, cached_record(lm, tuple(ids)), [shown_token(lm.tokenizer, i) for i in ids], cut


def checked(record: AttentionRecord, layer, head) -> tuple[int, int]:
    L, H = record.pattern.shape[:2]
    return whole("layer", layer, 0, L - 1), whole("head", head, 0, H - 1)


def shape_note(lm: LanguageModel, record: AttentionRecord) -> str:
    """The model's shape beside the series' GPT-3 (components/scale), and its grouped-query heads if any."""
    L, H = record.pattern.shape[:2]
    kv = lm.n_key_value_heads
    return (shape_line(lm.name, L, H, lm.model.config.hidden_size, lm.vocab_size)
            + (f" Grouped-query attention here: {H} query heads sharing {kv} key/value heads." if kv != H else ""))


def best_head_note(values, label: str) -> str:
    if np.isnan(values).all():
        return f" No {label} score here: no token repeats in this prompt."
    top = np.unravel_index(np.nanargmax(values), values.shape)
    return f" Highest {label}: layer {top[0]}, head {top[1]} ({values[top]:.2f})."


def overview_and_controls(settings: Settings, prompt, statistic, layer, head, query, pick_query: bool, progress):
    """Every head scored, the thumbnails, and the sliders' ranges from the model and the prompt."""
    lm, record, tokens, cut = record_for(settings, prompt, progress)
    L, H, T, _ = record.pattern.shape
    labels = dict((key, label) for label, key in STATISTICS)
    if statistic not in labels:
        raise ValueError(f"Choose a statistic among {', '.join(labels.values())}.")
    layer, head = checked(record, layer, head)
    values = head_statistics(record.pattern, record.token_ids)[statistic]
    if pick_query:                   # a new prompt: open on the query where this head's behaviour shows best
        query = most_focused_query(record.pattern[layer, head])
    query = min(whole("query", query, 0, MAX_TOKENS - 1), T - 1)      # the slider's range follows the prompt
    return (overview(record.pattern), statistic_figure(values, labels[statistic]),
            f"{T} tokens."
            + (f" **The prompt was cut to its first {MAX_TOKENS} tokens ({cut} dropped).**" if cut else "")
            + best_head_note(values, labels[statistic]) + "\n\n" + shape_note(lm, record),
            gr.Slider(maximum=T - 1, value=query), gr.Slider(maximum=L - 1, value=layer),
            gr.Slider(maximum=H - 1, value=head), gr.CheckboxGroup(choices=[str(h) for h in range(H)]))


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def run(settings: Settings, prompt, statistic, layer, head, query, progress=gr.Progress()):
    """The tab opened or the statistic changed: keep the controls (a deep link may have set them)."""
    return overview_and_controls(settings, prompt, statistic, layer, head, query, False, progress)


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def open_panel(settings: Settings, prompt, statistic, layer, head, query, overlay, progress=gr.Progress()):
    """The page opened: the overview and the chosen head in one event (one round trip, each figure drawn once)."""
    controls = overview_and_controls(settings, prompt, statistic, layer, head, query, False, progress)
    return *controls, *view(settings, prompt, layer, head, query, overlay)


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def run_new_prompt(settings: Settings, prompt, statistic, layer, head, query, progress=gr.Progress()):
    """A new prompt: also move the query to where the chosen head's behaviour shows best."""
    return overview_and_controls(settings, prompt, statistic, layer, head, query, True, progress)


# a query's weights: softmax over the scores of the keys it may see (already divided by √d: no temperature)
WEIGHT = softmax_formula(None, r"\text{weight}_{ij}", r"\text{score}_{ij}", r"\text{score}_{ij'}", r"_{j' \le i}")


def formula(record: AttentionRecord, labels: list[str], layer: int, head: int, query: int) -> str:
    scores, pattern = record.scores[layer, head], record.pattern[layer, head]
    key = int(np.argmax(pattern[query, :query + 1]))
    row = scores[query, :query + 1]
    return (f"$$\\text{{score}}_{{ij}} = \\frac{{q_i \\cdot k_j}}{{\\sqrt{{d_{{head}}}}}}, \\qquad "
            f"{WEIGHT}, \\qquad \\text{{out}}_i = \\sum_j \\text{{weight}}_{{ij}}\\, v_j$$\n\n"
            f"Layer {layer}, head {head}: the query **{labels[query]}** looks hardest at **{labels[key]}**: "
            f"score {row[key]:.2f}, and softmax over its {query + 1} visible scores (max {row.max():.2f}, "
            f"min {row.min():.2f}) gives weight **{pattern[query, key]:.3f}**.")


@keeps_view
def view(settings: Settings, prompt, layer, head, query, overlay):
    """One head: its scores, its pattern, one query's weights and the lines view (no forward pass: cached)."""
    _, record, tokens, _ = record_for(settings, prompt)
    layer, head = checked(record, layer, head)
    # the query slider's range follows the prompt and can lag one event behind a new, shorter prompt
    query = min(whole("query", query, 0, MAX_TOKENS - 1), len(tokens) - 1)
    labels = token_labels(tokens)
    H = record.pattern.shape[1]
    heads = sorted({int(h) for h in (overlay or []) if str(h).isdigit() and int(h) < H} | {head})
    return (formula(record, labels, layer, head, query),
            scores_figure(record.scores[layer, head], labels, layer, head),
            pattern_figure(record.pattern[layer, head], labels, layer, head),
            query_bars(record.pattern[layer, head, query], record.value_norms[layer, head], labels, query),
            lines_view({h: record.pattern[layer, h] for h in heads}, tokens))


@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def attention_endpoint(settings: Settings, prompt: str, layer: int, head: int) -> dict:
    """One head's attention for a prompt: tokens, the pattern (rows sum to 1) and the pre-softmax scores
    (null where the causal mask hides later tokens)."""
    _, record, tokens, cut = record_for(settings, prompt)
    layer, head = checked(record, layer, head)
    scores = [[None if np.isneginf(s) else float(s) for s in row] for row in record.scores[layer, head]]
    return {"tokens": tokens, "pattern": record.pattern[layer, head].tolist(), "scores": scores,
            "cut_tokens": cut}


def shape_text(shape: ModelShape) -> str:
    """The loaded model's shape in words, for the explanation card."""
    text = (f"This model has {shape.layers} layers of {shape.heads} query heads; the series' GPT-3 has "
            f"{GPT3['layers'][0]} layers of {GPT3['heads'][0]} heads ({WHY}).")
    if shape.key_value_heads != shape.heads:
        group = shape.heads // shape.key_value_heads
        text += (f" Its {shape.heads} query heads share {shape.key_value_heads} key/value heads (grouped-query "
                 f"attention): {group} heads ask different questions of the same keys and values, which shrinks what "
                 "must be stored per token, while each head keeps its own pattern.")
    return text


def choose_preset(name):
    return PRESETS.get(name, next(iter(PRESETS.values())))


PANEL = "attention"                       # its page: /attention, and ?panel=attention in a link
TITLE = "Attention heads"
SUMMARY = "every head of SmolLM2: the scores q·k/√d, the pattern, what each key sends"


def build(settings: Settings) -> PanelLink:
    shape = language_model_shape(settings)
    with panel_frame(PANEL) as tab:
        live = explanation_card(
            "Attention: every token asks, every earlier token answers",
            "Each token makes a query ('what am I looking for?'), a key ('what do I contain?') and a value ('what "
            "do I send if selected?'). A query's scores against the keys, softmaxed, say how much of each value it "
            "takes. Many heads do this in parallel, each learning its own kind of relation. "
            + shape_text(shape),
            "", "Pick the repeated-text preset and look for heads with a high induction score: at the second copy "
            "they look at the token that followed the first copy. The list preset shows previous-token heads. Most "
            "heads also park weight on the first token (an 'attention sink').", elem_id="attention-formula")
        with gr.Row():
            preset = gr.Dropdown(list(PRESETS), value=next(iter(PRESETS)), label="preset", elem_id="attention-preset")
            prompt = gr.Textbox(next(iter(PRESETS.values())), label=f"prompt (first {MAX_TOKENS} tokens are used)",
                                scale=3, elem_id="attention-prompt")
        with gr.Row():
            # opens on an induction head of SmolLM2 for the default preset (measured: layer 18 head 6 scores 0.504,
            # layer 17 head 5 0.501; the next is 17/4 at 0.44)
            layer = gr.Slider(0, shape.layers - 1, min(18, shape.layers - 1), step=1, label="layer",
                              elem_id="attention-layer")
            head = gr.Slider(0, shape.heads - 1, min(6, shape.heads - 1), step=1, label="head",
                             elem_id="attention-head")
            # 16 is the second 'sat' of the default preset: head 18/6 looks at the 'on' that followed the first one
            query = gr.Slider(0, MAX_TOKENS - 1, 16, step=1, label="query token", elem_id="attention-query")
        note = gr.Markdown(elem_id="attention-note")
        with gr.Row():
            scores = gr.Plot(label="scores", elem_id="attention-scores")
            pattern = gr.Plot(label="pattern", elem_id="attention-pattern")
        with gr.Row():
            bars = gr.Plot(label="one query", elem_id="attention-bars")
            with gr.Column():
                overlay = gr.CheckboxGroup([str(h) for h in range(shape.heads)], label="overlay more heads of this layer",
                                           elem_id="attention-overlay")
                lines = gr.Plot(label="lines", elem_id="attention-lines")
        with gr.Row():
            statistic = gr.Radio(STATISTICS, value=STATISTICS[0][1], label="score every head by",
                                 elem_id="attention-statistic")
        with gr.Row():
            stats = gr.Plot(label="head scores", elem_id="attention-stats")
            thumbnails = gr.Plot(label="all heads", elem_id="attention-overview")
        views, asked = [prompt, layer, head, query, overlay], [prompt, statistic, layer, head, query]
        shown = [live, scores, pattern, bars, lines]
        controls = [thumbnails, stats, note, query, layer, head, overlay]
        redraw = dict(fn=bind(view, settings), inputs=views, outputs=shown, api_visibility="undocumented")
        new_prompt = dict(fn=bind(run_new_prompt, settings), inputs=asked, outputs=controls,
                          api_visibility="undocumented", **HEAVY)
        gr.on([tab.opened], bind(open_panel, settings), inputs=[*asked, overlay], outputs=[*controls, *shown],
              api_visibility="undocumented", **HEAVY)
        statistic.change(bind(run, settings), inputs=asked, outputs=controls, api_visibility="undocumented",
                         **HEAVY).then(**redraw)
        prompt.submit(**new_prompt).then(**redraw)
        preset.select(choose_preset, inputs=preset, outputs=prompt, api_visibility="undocumented").then(
            **new_prompt).then(**redraw)
        gr.on([layer.change, head.change, query.change, overlay.change], **redraw, trigger_mode="always_last",
              show_progress="hidden")
        gr.api(bind(attention_endpoint, settings), api_name="attention", **HEAVY)
        return link_box("attention", {"prompt": prompt, "layer": layer, "head": head, "query": query})
