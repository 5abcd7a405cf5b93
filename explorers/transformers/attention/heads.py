"""The attention panel's head view: one forward pass per prompt is recorded (cached_record); every head's scores and
pattern, one query's weights, the lines view, what the head writes at that query (W_O Σ_j a_ij v_j, read through the
final norm and W_U), and every head scored by a statistic, are read from that record."""

import gradio as gr
import numpy as np

from components.attention_figures import (lines_view, overview, pattern_figure, query_bars, scores_figure,
                                          statistic_figure, token_labels, write_bars)
from components.errors import keeps_view, user_errors
from components.formulas import softmax_formula
from components.scale import GPT3, WHY, shape_line
from core.attention import (MAX_TOKENS, AttentionRecord, HeadWrite, head_statistics, head_write, most_focused_query,
                            record_attention)
from core.checks import whole
from core.tokens import shown_token, tokenize
from models.language import LanguageModel, ModelShape, app_language_model
from models.settings import Settings
from server.gpu import gpu
from server.memo import shared_cache

PRESETS = {    # scenes for the Attention Block card: text where known head types show
    "Repeated text (induction heads)": "The cat sat on the mat and the dog ran to the park. "
                                       "The cat sat on the mat and the dog ran to the park.",
    "A pronoun (coreference)": "The trophy did not fit in the suitcase because it was too big.",
    "A list (previous-token heads)": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14",
    "Names": "When Mary and John went to the store, John gave a drink to Mary.",
}
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
