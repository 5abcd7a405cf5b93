"""Attention head viewer (knowledge map: Attention Block: Query, Key, Value; score = Q·K/√d -> softmax -> weights
-> Σ weight × V; many heads in parallel, each learning a different type of relationship) on the bundled SmolLM2 or a
hub model. One forward pass per prompt is recorded (cached_record); every view, the relation finder's ranking of all
heads for a chosen (query, key) and what one head writes, is read from that record."""

import gradio as gr
import numpy as np

from components.attention_figures import (lines_view, overview, pattern_figure, query_bars, relation_bars,
                                          scores_figure, statistic_figure, token_labels, write_bars)
from components.card import LATEX, explanation_card
from components.deeplink import PanelLink, link_box
from components.errors import keeps_view, user_errors
from components.formulas import softmax_formula
from components.scale import GPT3, WHY, shape_line
from core.attention import (MAX_TOKENS, AttentionRecord, HeadWrite, checked_relation, head_statistics, head_write,
                            most_focused_query, record_attention, relation_ranking)
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
# the relation each preset opens the finder on: (query token, key token) as the panel shows them; the query is the
# token's last occurrence, the key the key token's last occurrence at or before it
RELATIONS = {"Repeated text (induction heads)": ("␣sat", "␣on"),     # the second 'sat' -> the 'on' after the first
             "A pronoun (coreference)": ("␣it", "␣trophy"),
             "A list (previous-token heads)": ("4", "1"),            # '14' is two tokens, '1' then '4'
             "Names": ("␣to", "␣Mary")}                             # 'gave a drink to' -> the name not yet repeated
TOP_HEADS = 10          # heads drawn in the relation ranking (of L × H = 270 on SmolLM2)
TOP_TOKENS = 8          # tokens shown promoted, and suppressed, by one head's write
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
    return *controls, *head_view(settings, prompt, layer, head, query, overlay)


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


def write_text(write: HeadWrite, labels: list[str], tops: tuple[list, list], layer: int, head: int, query: int,
               group: int) -> str:
    """o = W_O^h Σ_j a_ij v_j with the live numbers, and the tokens it promotes and suppresses, in words."""
    shared = [h for h in range(write.value_head * group, (write.value_head + 1) * group) if h != head]
    size, strongest = float(write.output.norm()), int(write.key_shares.argmax())
    promoted, suppressed = (", ".join(f"**{token}**" for token, _ in side[:4]) for side in tops)
    return (f"$$o = W_O^{{({head})}} \\sum_{{j \\le {query}}} a_{{{query}j}}\\, v_j, \\qquad "
            f"\\text{{logits}} = W_U \\cdot \\text{{norm}}(o)$$\n\n"
            f"Layer {layer}, head {head} adds o to the stream at **{labels[query]}**: |o| = {size:.1f}, of which "
            f"{float(write.key_shares[strongest]):.1f} comes from **{labels[strongest]}** (the orange bars above). "
            f"Its values v_j come from key/value head {write.value_head}"
            + (f", which heads {', '.join(map(str, shared))} read too (grouped-query attention)" if shared else "")
            + ". Read alone through the final norm and W_U, the logit lens of one head (it ignores every later layer, "
            "and the norm divides by o's own size: only o's direction counts here), it promotes "
            f"{promoted} and suppresses {suppressed}.")


def write_view(lm: LanguageModel, record: AttentionRecord, labels: list[str], layer: int, head: int, query: int):
    """What one head writes at one query: its key shares, the promoted and suppressed tokens, and the text."""
    write = head_write(lm.model, record, layer, head, query)
    tops = tuple([(shown_token(lm.tokenizer, i), float(write.logits[i])) for i in ids]
                 for ids in (write.logits.topk(TOP_TOKENS).indices, (-write.logits).topk(TOP_TOKENS).indices))
    figure = write_bars(*tops, float(write.logits.mean()),
                        f"What layer {layer}, head {head} writes at {labels[query]}: W_U · norm(o)")
    group = record.pattern.shape[1] // record.values.shape[1]
    return write, figure, write_text(write, labels, tops, layer, head, query, group)


@keeps_view
@gpu(duration=60)   # on a ZeroGPU Space: borrow a GPU for this call (the write is decoded through W_U)
def view(settings: Settings, prompt, layer, head, query, overlay):
    """One head: its scores, its pattern, one query's weights, the lines view and what the head writes (no forward
    pass: cached)."""
    return head_view(settings, prompt, layer, head, query, overlay)


def head_view(settings: Settings, prompt, layer, head, query, overlay) -> tuple:
    lm, record, tokens, _ = record_for(settings, prompt)
    layer, head = checked(record, layer, head)
    # the query slider's range follows the prompt and can lag one event behind a new, shorter prompt
    query = min(whole("query", query, 0, MAX_TOKENS - 1), len(tokens) - 1)
    labels = token_labels(tokens)
    H = record.pattern.shape[1]
    heads = sorted({int(h) for h in (overlay or []) if str(h).isdigit() and int(h) < H} | {head})
    write, write_figure, write_note = write_view(lm, record, labels, layer, head, query)
    return (formula(record, labels, layer, head, query),
            scores_figure(record.scores[layer, head], labels, layer, head),
            pattern_figure(record.pattern[layer, head], labels, layer, head),
            query_bars(record.pattern[layer, head, query], write.key_shares.numpy(), labels, query),
            lines_view({h: record.pattern[layer, h] for h in heads}, tokens), write_figure, write_note)


def relation_note(ranking: list[tuple[int, int, float]], labels: list[str], query: int, key: int) -> str:
    weights = np.array([weight for _, _, weight in ranking])
    layer, head, weight = ranking[0]
    return (f"$$a_{{{query},{key}}}^{{(l,h)}} = \\text{{pattern}}^{{(l,h)}}[{query}, {key}]$$ for each of the "
            f"{len(ranking)} heads, read from the prompt's one recorded forward pass. Layer {layer}, head {head} looks "
            f"from **{labels[query]}** to **{labels[key]}** hardest: weight **{weight:.3f}**; {(weights > 0.3).sum()} "
            f"heads give it more than 0.3, the median head {np.median(weights):.3f}. A weight says where a head "
            "looks, not what it moves: pick a head to see what it writes.")


def relation_outputs(record: AttentionRecord, tokens: list[str], query, key, picked: str | None = None) -> tuple:
    """The finder's dropdowns (the prompt's tokens), the ranked heads, the note and the heads to pick from."""
    query, key = checked_relation(query, key, len(tokens))
    labels = token_labels(tokens)
    ranking = relation_ranking(record.pattern, query, key)
    choices = list(zip(labels, range(len(labels))))
    heads = [(f"#{n + 1} L{l} h{h}", f"{l},{h}") for n, (l, h, _) in enumerate(ranking[:TOP_HEADS])]
    return (gr.Dropdown(choices=choices, value=query), gr.Dropdown(choices=choices, value=key),
            relation_bars(ranking, labels[query], labels[key], TOP_HEADS), relation_note(ranking, labels, query, key),
            gr.Radio(choices=heads, value=picked))


def default_relation(prompt: str, tokens: list[str], record: AttentionRecord, layer: int, head: int):
    """A new prompt's (query, key) and whether it is a preset's scene: its named pair (RELATIONS), else the chosen
    head's most focused query and the key it looks at hardest past the first token."""
    name = next((n for n, text in PRESETS.items() if text == prompt), None)
    if name in RELATIONS and RELATIONS[name][0] in tokens:
        query_token, key_token = RELATIONS[name]
        query = len(tokens) - 1 - tokens[::-1].index(query_token)
        before = tokens[:query + 1]
        if key_token in before:
            return query, len(before) - 1 - before[::-1].index(key_token), True
    pattern = record.pattern[layer, head]
    query = most_focused_query(pattern)
    return query, int(np.argmax(pattern[query, 1:query + 1])) + 1 if query else 0, False


@keeps_view
def show_relations(settings: Settings, prompt, query, key, layer, head):
    """The page opened: the ranking for the finder's (query, key) as a link set them; unset, the prompt's own."""
    _, record, tokens, _ = record_for(settings, prompt)
    if query is None or key is None:
        query, key, _ = default_relation(prompt, tokens, record, *checked(record, layer, head))
    return relation_outputs(record, tokens, query, key)


@keeps_view
def new_relation(settings: Settings, prompt, layer, head):
    """A new prompt: a preset's scene opens its relation on the top head; a typed prompt keeps the chosen head."""
    _, record, tokens, _ = record_for(settings, prompt)
    layer, head = checked(record, layer, head)
    query, key, scene = default_relation(prompt, tokens, record, layer, head)
    if scene:
        layer, head, _ = relation_ranking(record.pattern, query, key)[0]
    return *relation_outputs(record, tokens, query, key, f"{layer},{head}" if scene else None), layer, head, query


@keeps_view
def find_relation(settings: Settings, prompt, query, key):
    """The learner picked a query or a key token: every head ranked, and the top one shown at that query."""
    _, record, tokens, _ = record_for(settings, prompt)
    query, key = checked_relation(query, key, len(tokens))
    layer, head, _ = relation_ranking(record.pattern, query, key)[0]
    return *relation_outputs(record, tokens, query, key, f"{layer},{head}"), layer, head, query


@keeps_view
def inspect_head(picked, relation_query):
    """One of the ranked heads picked ('16,3'): show it at the relation's query."""
    layer, head = (int(part) for part in str(picked).split(","))
    return layer, head, relation_query


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
SUMMARY = "every head of SmolLM2: the scores q·k/√d, the pattern, which heads link two tokens and what one writes"


def relation_layout() -> dict:
    """The relation finder: a query and a key token, the heads ranked, one to pick, and what the shown head writes."""
    gr.Markdown("### Each head learns a relation: which heads look from one token to another?")
    positions = [(str(i), i) for i in range(MAX_TOKENS)]        # until a prompt is read: its tokens replace them
    with gr.Row():
        # unset until the page opens (or a link sets them): then the prompt's own pair, see default_relation
        query = gr.Dropdown(positions, value=None, label="query token (the one that looks)", allow_custom_value=True,
                            elem_id="attention-relation-query")
        key = gr.Dropdown(positions, value=None, label="key token (the one looked at: at or before the query)",
                          allow_custom_value=True, elem_id="attention-relation-key")
    with gr.Row():
        with gr.Column():
            ranking = gr.Plot(label="heads ranked", elem_id="attention-relations")
            note = gr.Markdown(latex_delimiters=LATEX, elem_id="attention-relation-note")
            heads = gr.Radio([], label="show one of these heads (layer, head and query above follow)",
                             elem_id="attention-relation-heads")
        with gr.Column():
            write = gr.Plot(label="what the head writes", elem_id="attention-write")
            write_note = gr.Markdown(latex_delimiters=LATEX, elem_id="attention-write-note")
    return dict(query=query, key=key, ranking=ranking, note=note, heads=heads, write=write, write_note=write_note)


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
            "they look at the token that followed the first copy. The relation finder ranks every head for one "
            "query and one key: pick 'it' and 'trophy' in the pronoun preset, then see what the top head really "
            "writes. The Names preset finds a head that copies 'Mary' and one that suppresses it.",
            elem_id="attention-formula")
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
        relation = relation_layout()
        with gr.Row():
            statistic = gr.Radio(STATISTICS, value=STATISTICS[0][1], label="score every head by",
                                 elem_id="attention-statistic")
        with gr.Row():
            stats = gr.Plot(label="head scores", elem_id="attention-stats")
            thumbnails = gr.Plot(label="all heads", elem_id="attention-overview")
        wire(settings, tab, dict(preset=preset, prompt=prompt, layer=layer, head=head, query=query, overlay=overlay,
                                 statistic=statistic), [live, scores, pattern, bars, lines], [thumbnails, stats, note],
             relation)
        gr.api(bind(attention_endpoint, settings), api_name="attention", **HEAVY)
        return link_box("attention", {"prompt": prompt, "layer": layer, "head": head, "query": query,
                                      "relation_query": relation["query"], "relation_key": relation["key"]})


def wire(settings: Settings, tab, controls: dict, head_outputs: list, overview_outputs: list, relation: dict) -> None:
    """The panel's events. controls by name; what view draws (then the write); the overview; the relation finder."""
    prompt, layer, head, query = (controls[name] for name in ("prompt", "layer", "head", "query"))
    views, asked = [prompt, layer, head, query, controls["overlay"]], [prompt, controls["statistic"], layer, head, query]
    shown = [*head_outputs, relation["write"], relation["write_note"]]
    drawn = [*overview_outputs, query, layer, head, controls["overlay"]]
    relations = [relation[name] for name in ("query", "key", "ranking", "note", "heads")]
    moved = [layer, head, query]                                     # a relation's head, shown at its query
    redraw = dict(fn=bind(view, settings), inputs=views, outputs=shown, api_visibility="undocumented")
    new_prompt = dict(fn=bind(run_new_prompt, settings), inputs=asked, outputs=drawn,
                      api_visibility="undocumented", **HEAVY)
    relate = dict(fn=bind(new_relation, settings), inputs=[prompt, layer, head], outputs=[*relations, *moved],
                  api_visibility="undocumented")
    gr.on([tab.opened], bind(open_panel, settings), inputs=[*asked, controls["overlay"]], outputs=[*drawn, *shown],
          api_visibility="undocumented", **HEAVY).then(
        bind(show_relations, settings), inputs=[prompt, relation["query"], relation["key"], layer, head],
        outputs=relations,
        api_visibility="undocumented")
    controls["statistic"].change(bind(run, settings), inputs=asked, outputs=drawn, api_visibility="undocumented",
                                 **HEAVY).then(**redraw)
    prompt.submit(**new_prompt).then(**relate).then(**redraw)
    controls["preset"].select(choose_preset, inputs=controls["preset"], outputs=prompt,
                              api_visibility="undocumented").then(**new_prompt).then(**relate).then(**redraw)
    gr.on([layer.change, head.change, query.change, controls["overlay"].change], **redraw,
          trigger_mode="always_last", show_progress="hidden")
    gr.on([relation["query"].input, relation["key"].input], bind(find_relation, settings),
          inputs=[prompt, relation["query"], relation["key"]], outputs=[*relations, *moved],
          api_visibility="undocumented", trigger_mode="always_last")
    relation["heads"].select(inspect_head, inputs=[relation["heads"], relation["query"]], outputs=moved,
                             api_visibility="undocumented")
