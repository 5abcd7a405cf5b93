"""The attention panel's relation finder (knowledge map: many heads, each learning a different type of relationship):
a query token and a key token, every head ranked by how much that query attends to that key, read from the prompt's
one recorded forward pass (heads.record_for), and one head picked to be shown at that query."""

import gradio as gr
import numpy as np

from components.attention_figures import relation_bars, token_labels
from components.card import LATEX
from components.errors import keeps_view
from core.attention import MAX_TOKENS, AttentionRecord, checked_relation, most_focused_query, relation_ranking
from models.settings import Settings

from .heads import PRESETS, checked, record_for

# the relation each preset opens the finder on: (query token, key token) as the panel shows them; the query is the
# token's last occurrence, the key the key token's last occurrence at or before it
RELATIONS = {"Repeated text (induction heads)": ("␣sat", "␣on"),     # the second 'sat' -> the 'on' after the first
             "A pronoun (coreference)": ("␣it", "␣trophy"),
             "A list (previous-token heads)": ("4", "1"),            # '14' is two tokens, '1' then '4'
             "Names": ("␣to", "␣Mary")}                             # 'gave a drink to' -> the name not yet repeated
TOP_HEADS = 10          # heads drawn in the relation ranking (of L × H = 270 on SmolLM2)
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
