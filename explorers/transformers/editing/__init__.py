"""Edit & steer (knowledge map: MLP Block (Fact Storage), Residual Stream, Token → Embedding): change what the
language model knows and where its stream points, and watch it follow. The edit and the steering act on this
session's requests only, through hooks (core/transformer.py); the shared weights never change.

Two parts: fact.py (ROME's rank-one edit of one MLP) and steer.py (adding a direction to the residual stream).
"""
import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.errors import keeps_view, user_errors
from components.events import bind
from components.formatting import continued, percent
from components.page import panel_frame
from core.editing import RankOne
from core.sampling import top_k
from core.steering import MAX_ALPHA, MAX_NEW_TOKENS
from core.tokens import shown_token
from explorers.transformers.editing import fact, steer
from explorers.transformers.editing.fact import FACTS, GENERIC_NEIGHBOURS, Fact
from explorers.transformers.editing.steer import STEERS
from models.language import app_language_model, language_model_shape
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

NO_EDIT = "No edit in this session: the model is as it was trained. Press **Edit the fact**."


def fact_fields(f: Fact) -> list:
    return [f.prompt, f.subject, f.new_object, "\n".join(f.paraphrases), fact.neighbour_text(f.neighbours)]


def choose_fact(name):
    return fact_fields(FACTS.get(name, next(iter(FACTS.values()))))


def choose_steer(name):
    return list(STEERS.get(name, next(iter(STEERS.values()))))


def summary(result: dict, prompt: str) -> str:
    b, a = result["before"], result["after"]
    kept = sum(p["top_after"].strip() == result["new_object"].strip() for p in result["paraphrases"])
    moved = max((abs(n["after"] - n["before"]) for n in result["neighbours"]), default=0.0)
    return (f"**{prompt}** → before: **{b['top'].strip()}** (p {b['old_object']:.2f}; p({result['new_object'].strip()}) "
            f"{b['new_object']:.3f}); after: **{a['top'].strip()}** (p({result['new_object'].strip()}) "
            f"{a['new_object']:.2f}, p({result['old_object'].strip()}) {a['old_object']:.3f}). "
            f"Paraphrases now saying {result['new_object'].strip()}: **{kept} of {len(result['paraphrases'])}**. "
            f"Neighbouring facts moved by at most **{moved:.3f}**. The edit stays in this browser session until "
            "you press Reset; other users never see it.")


@keeps_view
@gpu(duration=120)
def show_edit(settings: Settings, prompt, subject, new_object, layer, paraphrases, neighbours,
              progress=gr.Progress()):
    lm = app_language_model(settings, progress)
    result = fact.edit_fact(lm, prompt, subject, new_object, layer, paraphrases, neighbours, progress)
    layer_note = ("where restoring the MLP output at the subject's last token brings back the most of "
                  f"{result['old_object'].strip()}: p {max(result['trace']):.2f}" if result["trace"] else
                  "chosen on the slider")
    edit = result["_edit"]
    continuation = (f"**Before the edit:** {continued(prompt, fact.continuation(lm, prompt, None)[1])}\n\n"
                    f"**After:** {continued(prompt, fact.continuation(lm, prompt, edit)[1])}")
    return (fact.edit_formula(result, layer_note), summary(result, prompt), fact.effect_figure(result), continuation,
            {"layer": edit.layer, "u": edit.u, "w": edit.w, "what": f"{result['old_object'].strip()} → "
             f"{result['new_object'].strip()} at block {edit.layer}"})


def reset_edit():
    return None, NO_EDIT


@keeps_view
@gpu(duration=60)
def try_edited(settings: Settings, text, session_edit):
    """Any prompt, with and without this session's edit: the top 5 and a greedy continuation."""
    lm = app_language_model(settings)
    edit = RankOne(session_edit["layer"], session_edit["u"], session_edit["w"]) if session_edit else None
    rows = []
    for name, applied in (("without the edit", None), (f"with the edit ({session_edit['what']})" if edit else
                                                        "with the edit (none yet)", edit)):
        p, written = fact.continuation(lm, text, applied)
        top = " · ".join(f"{shown_token(lm.tokenizer, i)} {percent(q)}" for i, q in top_k(p, 5))
        rows.append(f"**{name}:** {top}\n\n> {continued(text, written)}")
    return "\n\n".join(rows)


@keeps_view
@gpu(duration=60)
def show_steer(settings: Settings, prompt, positive, negative, layer, alpha, tokens, progress=gr.Progress()):
    lm = app_language_model(settings, progress)
    return steer.steer_view(steer.steer(lm, prompt, positive, negative, layer, alpha, tokens), prompt)


@user_errors
@gpu(duration=120)
def edit_fact_endpoint(settings: Settings, prompt: str, subject: str, new_object: str, layer: int = -1,
                       paraphrases: str = "", neighbours: str = "") -> dict:
    """ROME's rank-one edit of one MLP (layer -1: where the MLP causal trace peaks), for this call only:
    p(new object) and p(old object) before and after for the prompt and its paraphrases (one per line), p(true
    object) before and after for neighbouring facts ('prompt -> object' lines; default: two well-known facts),
    the norms of k*, u and w, and the optimisation's losses."""
    lm = app_language_model(settings)
    neighbours = neighbours or fact.neighbour_text(GENERIC_NEIGHBOURS)
    result = fact.edit_fact(lm, prompt, subject, new_object, layer, paraphrases, neighbours)
    return {key: value for key, value in result.items() if not key.startswith("_")}


@user_errors
@gpu(duration=60)
def steer_endpoint(settings: Settings, prompt: str, positive: str, negative: str = "", layer: int = 6,
                   alpha: float = 0.3, tokens: int = 20) -> dict:
    """Add α · s · r̂ to the stream after block `layer` (r = mean stream of positive − of negative; negative empty:
    r = W_U[positive's first token]): the greedy continuation and the top 8 next tokens, before and after."""
    lm = app_language_model(settings)
    result = steer.steer(lm, prompt, positive, negative, layer, alpha, tokens)
    return {key: value for key, value in result.items() if not key.startswith("_")}


def build_fact_part(settings: Settings, layers: int) -> dict:
    first = fact_fields(next(iter(FACTS.values())))
    first_prompt, first_subject, first_object, first_paraphrases, first_neighbours = first
    gr.Markdown("### Edit a fact: a rank-one change to one MLP (ROME)")
    with gr.Row():
        preset = gr.Dropdown(list(FACTS), value=next(iter(FACTS)), label="fact to edit", elem_id="edit-preset")
        prompt = gr.Textbox(first_prompt, label="prompt (the model's top answer is the fact it knows)", scale=2,
                            elem_id="edit-prompt")
    with gr.Row():
        subject = gr.Textbox(first_subject, label="subject (words of the prompt)", elem_id="edit-subject")
        new_object = gr.Textbox(first_object, label="new object (what it should say instead)",
                                elem_id="edit-object")
        layer = gr.Slider(-1, layers - 1, -1, step=1, label="MLP block to edit (−1: where the causal trace peaks)",
                          elem_id="edit-layer")
    with gr.Row():
        paraphrases = gr.Textbox(first_paraphrases, lines=2, label="paraphrases (one per line): should "
                                 "follow the edit", elem_id="edit-paraphrases")
        neighbours = gr.Textbox(first_neighbours, lines=3,
                                label="neighbouring facts ('prompt -> object'): must not move", elem_id="edit-neighbours")
    with gr.Row():
        run = gr.Button("Edit the fact (this session only, about 10-20 s)", variant="primary", elem_id="edit-run")
        reset = gr.Button("Reset: remove my edit", elem_id="edit-reset")
    formula = gr.Markdown(elem_id="edit-formula")
    note = gr.Markdown(NO_EDIT, elem_id="edit-note")
    with gr.Row():
        effect = gr.Plot(label="before and after", elem_id="edit-effect", scale=3)
        continuation = gr.Markdown(elem_id="edit-continuation")
    with gr.Row():
        probe = gr.Textbox("The Eiffel Tower is in", label="try any prompt on the edited model (Enter runs it)",
                           scale=3, elem_id="edit-probe")
        probe_run = gr.Button("Compare with and without the edit", elem_id="edit-probe-run")
    probed = gr.Markdown(elem_id="edit-probed")
    session_edit = gr.State(None)                                     # per user: this session's rank-one edit
    fields = [prompt, subject, new_object, paraphrases, neighbours]
    preset.input(choose_fact, inputs=preset, outputs=fields, api_visibility="undocumented")
    gr.on([run.click, new_object.submit], bind(show_edit, settings),
          inputs=[prompt, subject, new_object, layer, paraphrases, neighbours],
          outputs=[formula, note, effect, continuation, session_edit], api_visibility="undocumented", **HEAVY)
    reset.click(reset_edit, outputs=[session_edit, note], api_visibility="undocumented")
    gr.on([probe_run.click, probe.submit], bind(try_edited, settings), inputs=[probe, session_edit], outputs=probed,
          api_visibility="undocumented", **HEAVY)
    return {"prompt": prompt, "subject": subject, "object": new_object, "layer": layer}


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
    with gr.Row():
        text = gr.Markdown(elem_id="steer-text")
        bars = gr.Plot(label="next token", elem_id="steer-bars", scale=2)
    inputs, outputs = [prompt, positive, negative, layer, alpha, tokens], [formula, text, bars]
    preset.input(choose_steer, inputs=preset, outputs=inputs[:5], api_visibility="undocumented").then(
        bind(show_steer, settings), inputs=inputs, outputs=outputs, api_visibility="undocumented", **HEAVY)
    gr.on([tab.opened, run.click, prompt.submit, positive.submit, negative.submit, layer.release, alpha.release,
           tokens.release], bind(show_steer, settings), inputs=inputs, outputs=outputs,
          api_visibility="undocumented", trigger_mode="always_last", **HEAVY)
    return {"steer_prompt": prompt, "positive": positive, "negative": negative, "steer_layer": layer,
            "alpha": alpha, "tokens": tokens}


PANEL = "edit"                       # its page: /edit, and ?panel=edit in a link
TITLE = "Edit & steer"
SUMMARY = "ROME's rank-one edit of a fact, and steering the residual stream"


def build(settings: Settings) -> PanelLink:
    layers = language_model_shape(settings).layers
    with panel_frame(PANEL) as tab:
        explanation_card(
            "Change what the model knows, and where its stream points",
            "If an MLP is a key/value memory, a fact can be rewritten: find the key the subject's last token "
            "produces in one MLP (k*), find the value that makes the model say the new object (v*), and change "
            "that MLP's down-projection W↓ by the smallest rank-one matrix that maps k* to v* (ROME, Meng et al. "
            "2022). Paraphrases should follow the edit; unrelated facts should not move. Steering shows the other "
            "half of 'directions = meaning': the difference between the streams of two prompts is a direction "
            "inside the model, and adding it to the stream pushes every next token that way.",
            "", "Edit the Eiffel Tower to Rome: the prompt and its paraphrases now say Rome, while the Louvre stays in "
            "Paris. Then ask the edited model about the tower in your own words. In the steering part, the love − "
            "hate direction at α = 0.3 makes the movie 'a dream come true'; at α = −0.3 'a nightmare'. Past α ≈ "
            "0.5 the added vector drowns the stream and the text breaks down.",
            elem_id="edit-card")
        fact_links = build_fact_part(settings, layers)
        steer_links = build_steer_part(settings, tab, layers)
        gr.api(bind(edit_fact_endpoint, settings), api_name="edit_fact", **HEAVY)
        gr.api(bind(steer_endpoint, settings), api_name="steer", **HEAVY)
        return link_box("edit", {**fact_links, **steer_links})
