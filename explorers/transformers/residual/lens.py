"""The logit lens, each block's writes, direct logit attribution and one MLP's top neurons as keys and values
(knowledge map: Residual Stream, Residual Connections, MLP Block: Fact Storage, Output logits), on the bundled SmolLM2
(or a hub model when enabled). The part of Residual stream & facts that opens with the page, its handlers and
/logit_lens."""
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import gradio as gr

from components.card import explanation_card
from components.errors import keeps_view, user_errors
from components.events import bind
from components.formatting import number
from components.residual_figures import (LENS_COLOURS, attribution_figure, layer_labels, lens_grid_figure,
                                         neuron_figure, token_labels, write_norms_figure)
from components.scale import shape_line
from components.page import PanelFrame
from core import residual
from core.checks import whole
from core.facts import promoted_tokens, read_neurons, top_neurons
from core.residual import (direct_logit_attribution, logit_lens, readout_direction, record_residual,
                           target_token)
from core.tokens import shown_token, tokenize
from core.transformer import layout
from models.language import LanguageModel, ModelShape, app_language_model
from models.settings import Settings
from server.memo import shared_cache
from server.queue import HEAVY

TOP_NEURONS = 8
# name -> (prompt, subject, target). p(target) measured on SmolLM2-135M-Instruct; the panel shows it live too.
PRESETS = {
    "Eiffel Tower → Paris (p 0.70)": ("The Eiffel Tower is located in the city of", "Eiffel Tower", "Paris"),
    "capital of France → Paris (p 0.77)": ("The capital of France is", "France", "Paris"),
    "opposite of hot → cold (p 0.68)": ("The opposite of hot is", "hot", "cold"),
    "Tiger Woods → golf (p 0.08, still its top guess)": ("Tiger Woods plays the sport of", "Tiger Woods", "golf"),
    "Colosseum → Rome (p 0.73)": ("The Colosseum is located in the city of", "Colosseum", "Rome"),
    "Pyramids of Giza → Egypt (p 0.94)": ("The Pyramids of Giza are located in the country of", "Pyramids of Giza",
                                          "Egypt"),
    "Taj Mahal → India (p 0.61)": ("The Taj Mahal is located in the country of", "Taj Mahal", "India"),
    "Shakespeare → England (p 0.66)": ("Shakespeare was born in the country of", "Shakespeare", "England"),
}


@shared_cache(maxsize=8)      # prompt -> one forward pass with every block's writes; bounded LRU
def cached_record(lm: LanguageModel, ids: tuple[int, ...]):
    return record_residual(lm.model, list(ids))


@shared_cache(maxsize=8)      # (prompt, target) -> the lens and the attribution, from the cached forward pass
def analysis(lm: LanguageModel, ids: tuple[int, ...], target: int):
    record = cached_record(lm, ids)
    return record, logit_lens(lm.model, record, target), direct_logit_attribution(lm.model, record, target)


def question(settings: Settings, prompt, target, max_tokens, progress=None, top_guess_if_empty=False):
    """Checked inputs: the model, the prompt's ids (at most max_tokens), the target's id and a note."""
    lm = app_language_model(settings, progress)
    ids, cut = tokenize(lm.tokenizer, prompt, max_tokens, keep="first")
    if cut:
        raise ValueError(f"The prompt is {len(ids) + cut} tokens; this view reads at most {max_tokens}. Shorten it.")
    if top_guess_if_empty and isinstance(target, str) and not target.strip():
        top = int(cached_record(lm, tuple(ids)).logits[-1].argmax())
        return lm, ids, top, "No target given: the model's top prediction is used."
    target_id, note = target_token(lm.tokenizer, prompt, target)
    return lm, ids, target_id, note


def neuron_view(lm: LanguageModel, record, target_id: int, layer: int):
    """The top neurons of one MLP for the target, and the formula line with the top neuron's numbers."""
    direction, _ = readout_direction(lm.model, record.stream[-1, -1], target_id)
    mlp = layout(lm.model).mlps[layer]
    reading = read_neurons(mlp, record.mlp_input[layer, -1], direction)
    neurons = top_neurons(reading, TOP_NEURONS)
    writes = reading.activation[neurons, None] * reading.values[neurons]                 # (k, d): a_i v_i
    promoted = [[shown_token(lm.tokenizer, i) for i, _ in row] for row in promoted_tokens(lm.model, writes, 5)]
    target = shown_token(lm.tokenizer, target_id)
    figure = neuron_figure(neurons, reading.contribution[neurons].numpy(), reading.activation[neurons].numpy(),
                           promoted, layer, target)
    i = neurons[0]
    if reading.gate is not None:
        key = (f"a_{{{i}}} = \\text{{SiLU}}(x\\cdot g_{{{i}}})\\,(x\\cdot u_{{{i}}}) = {number(reading.gate[i])} "
               f"\\times {number(reading.up[i])} = {number(reading.activation[i])}")
    else:
        key = f"a_{{{i}}} = \\text{{GELU}}(x\\cdot k_{{{i}}} + b_{{{i}}}) = {number(reading.activation[i])}"
    line = (f"$$\\text{{mlp}}_{{{layer}}}\\cdot d = \\sum_{{i=1}}^{{{len(reading.activation)}}} a_i\\,(v_i\\cdot d) "
            f"= {number(float(reading.contribution.sum()) + reading.bias)}, \\qquad {key}, \\quad "
            f"a_{{{i}}}\\,(v_{{{i}}}\\cdot d) = {number(reading.contribution[i])}$$")
    return figure, line


def attribution_formula(a, target: str, L: int) -> str:
    """logit = embedding + Σ attention + Σ MLP (+ bias), with the numbers, and the readout direction d."""
    return (f"$$\\text{{logit}}(\\text{{{target}}}) = \\underbrace{{x_0\\cdot d}}_{{{number(a.embedding)}}} + "
            f"\\underbrace{{\\textstyle\\sum_l \\text{{attn}}_l\\cdot d}}_{{{number(float(a.attention.sum()))}}} + "
            f"\\underbrace{{\\textstyle\\sum_l \\text{{mlp}}_l\\cdot d}}_{{{number(float(a.mlp.sum()))}}}"
            + (f" + \\underbrace{{b\\cdot W_U}}_{{{number(a.bias)}}}" if a.bias else "")
            + f" = {number(a.total)} \\quad (\\text{{the model's own logit: }} {number(a.logit)})$$\n\n"
            f"$$d = \\frac{{g \\odot W_U[\\text{{{target}}}]}}{{\\text{{size}}(x_{{{L}}})}}$$ "
            "with the final norm's scale held at its value for the full stream: the norm divides by the "
            "stream's size (its RMS in SmolLM2's RMSNorm, its standard deviation in GPT-2's LayerNorm), and "
            "freezing that one number makes the readout a sum over blocks.\n\n")


def opens_on_best_block(follow, request) -> bool:
    """Whether the MLP-block slider moves to the block the note names (the largest MLP push): on the first view
    (follow is None) unless the page came from a link that sets the layer; after a preset is picked (True); never
    once the user moved the slider (False)."""
    if follow is None:
        page = request.headers.get("referer", "") if request is not None else ""
        query = parse_qs(urlsplit(page).query)
        return "layer" not in query
    return bool(follow)


def checked_colour(colour) -> str:
    allowed = [value for _, value in LENS_COLOURS]
    if colour not in allowed:
        raise ValueError(f"Colour the logit lens by one of: {', '.join(allowed)}.")
    return colour


def lens_figure(tokenizer, lens, tokens: list[str], target: str, colour: str):
    """The whole lens grid, every cell's top token as readable text."""
    top_tokens = [[shown_token(tokenizer, i) for i in row] for row in lens.top_id.tolist()]      # (L + 1, T)
    cells = {name: getattr(lens, name).numpy() for name in ("top_probability", "entropy", "target_rank",
                                                            "target_probability")}
    return lens_grid_figure(top_tokens, cells, token_labels(tokens), target, colour)


def top_rows(tokenizer, lens, L: int) -> list[list[str]]:
    """The table: after each layer, p(target) at the last position and the top 5 there (tokens cut to 12
    characters, so that the row fits a projector)."""
    def entry(i, p):
        token = shown_token(tokenizer, i)
        return f"{token if len(token) <= 12 else token[:11] + '…'} {p:.2f}"
    return [[label, f"{lens.target_probability[r, -1]:.3f}",
             " · ".join(entry(i, p) for i, p in zip(lens.top_ids[r].tolist(), lens.top_probabilities[r].tolist()))]
            for r, label in enumerate(layer_labels(L, with_embedding=True))]


@keeps_view
def show(settings: Settings, prompt, target, layer, colour, follow=None, request: gr.Request = None,
         progress=gr.Progress()):
    """The logit lens, each block's writes, the direct logit attribution and one MLP's top neurons. follow: whether
    the MLP-block slider opens on the block the note names (None: the panel's first view; see opens_on_best_block)."""
    lm, ids, target_id, note = question(settings, prompt, target, residual.MAX_TOKENS, progress)
    colour = checked_colour(colour)
    record, lens, a = analysis(lm, tuple(ids), target_id)
    L, d = record.stream.shape[0], record.stream.shape[-1]
    best = int(a.mlp.argmax())
    follow = opens_on_best_block(follow, request)
    layer = best if follow else whole("MLP block", layer, 0, L - 1)
    tokens = [shown_token(lm.tokenizer, i) for i in ids]
    target = shown_token(lm.tokenizer, target_id)
    norms = residual.write_norms(record)
    neurons, neuron_line = neuron_view(lm, record, target_id, layer)
    summary = (f"{len(ids)} tokens ({lm.name}). p({target}) at the last position: "
               f"**{float(lens.target_probability[-1, -1]):.3f}** (rank {int(lens.target_rank[-1, -1])}). The MLP "
               f"that pushes {target} most is block {best} ({a.mlp[best]:+.2f})"
               + (", opened below" if layer == best else f"; block {layer} is opened below") + f". {note}\n\n"
               + shape_line(lm.name, L, lm.n_heads, d, lm.vocab_size))
    return (attribution_formula(a, target, L) + neuron_line, lens_figure(lm.tokenizer, lens, tokens, target, colour),
            top_rows(lm.tokenizer, lens, L),
            write_norms_figure(norms["attention"][:, -1].numpy(), norms["mlp"][:, -1].numpy(),
                               norms["stream"][:, -1].numpy(), f"the last token {tokens[-1]!r}"),
            attribution_figure(a.attention.numpy(), a.mlp.numpy(), a.embedding, a.logit, target), neurons,
            summary, gr.Slider(maximum=L - 1, value=layer) if follow else gr.Slider(maximum=L - 1), follow)


def keep_layer() -> bool:
    """The user moved the MLP-block slider: their block is kept from now on (until a preset is picked)."""
    return False


@user_errors
def logit_lens_endpoint(settings: Settings, prompt: str, target: str = "") -> dict:
    """Per layer (embedding, block 0, ...), p(target) at the last position and the top 5 tokens there; and the
    whole grid, grid[key][layer][position]: the top token, its probability, the entropy (bits), the target's rank
    and probability. An empty target means the model's own top prediction; a multi-token target uses its first
    token."""
    lm, ids, target_id, note = question(settings, prompt, target, residual.MAX_TOKENS, top_guess_if_empty=True)
    record, lens, _ = analysis(lm, tuple(ids), target_id)
    decode = lm.tokenizer.decode
    return {"tokens": [decode([i]) for i in ids], "target": decode([target_id]), "note": note,
            "layers": layer_labels(len(record.stream), with_embedding=True),
            "target_probability": [float(p) for p in lens.target_probability[:, -1]],
            "top_tokens": [[[decode([int(i)]), float(p)] for i, p in zip(ids_row, ps)]
                           for ids_row, ps in zip(lens.top_ids, lens.top_probabilities)],
            "grid": {"top_token": [[decode([i]) for i in row] for row in lens.top_id.tolist()],
                     "top_probability": lens.top_probability.tolist(), "entropy": lens.entropy.tolist(),
                     "target_rank": lens.target_rank.tolist(), "target_probability": lens.target_probability.tolist()}}


def choose_preset(name):
    """A preset's prompt, subject and target; and True: the MLP-block slider opens on the note's block again."""
    return *PRESETS.get(name, next(iter(PRESETS.values()))), True




@dataclass(frozen=True)
class LensView:
    """The part's controls and outputs, as lens_layout lays them out."""
    live: gr.Markdown           # the card's formula: the attribution and the top neuron, with the numbers
    preset: gr.Dropdown
    prompt: gr.Textbox
    target: gr.Textbox
    layer: gr.Slider            # the MLP block whose neurons are opened
    note: gr.Markdown
    colour: gr.Radio
    lens: gr.Plot
    table: gr.Dataframe
    norms: gr.Plot
    attribution: gr.Plot


def lens_layout(shape: ModelShape) -> LensView:
    """The card, the question (preset, prompt, target, block), the lens grid and table, the writes and the
    attribution; the real neurons come after the series' toy neuron (real_neurons_layout)."""
    first_prompt, _, first_target = next(iter(PRESETS.values()))
    live = explanation_card(
        "The residual stream: every block adds, and facts come from the MLPs",
        "A token's vector flows up through the blocks like a stream: each attention block and each MLP reads it "
        "and *adds* what it writes, never replacing it. Decoding the stream early (the logit lens) shows the "
        "answer forming layer by layer; because the final stream is a sum, the target's logit splits into one "
        "share per block. An MLP is a key/value memory: each neuron's key decides how strongly it fires on this "
        "stream, and its value (a column of W_down) is the direction it then adds. The series draws the gate "
        "as a ReLU of x·k; SmolLM2's MLP is gated (SwiGLU): SiLU(x·g) acts as a soft switch that multiplies a "
        "second, signed key x·u, so a neuron can also fire negatively and write −v. Causal tracing (Meng et al. "
        "2022) asks where the fact is needed: blur the subject, then put back one clean activation at a time.",
        "", "Open the Eiffel Tower preset: Paris appears only in the last few blocks of the lens, and the biggest "
        "MLP pushes come late. Colour it by entropy: the first column goes flat from block 11 to 28 (' the', p "
        "0.03, about 10 bits), because block 11's MLP writes a vector about 150 times the usual size into the first "
        "position, almost all along one of the 576 dimensions, which the lens cannot read as a word. Run the "
        "causal trace: restoring the subject's last token (' Tower') brings Paris back hardly at all (p 0.05 at "
        "best; 0.04 with the subject blurred); restoring 'iffel' does (0.45–0.64 from block 0 to 20), and from "
        "block 23 the last token takes over (0.77 at block 23; clean 0.70). Switch to *MLP output*: only block 0's "
        "MLP at 'iffel' brings much back (0.30; any other MLP 0.09 at most). \"Michael Jordan "
        "plays the sport of\" → basketball needs a larger model (p 0.002 here): run with `--online --lm "
        "gpt2-xl` to try it, or unfold the series' own fact neuron below, built by hand.",
        elem_id="residual-formula", reserve=275)
    with gr.Row():
        preset = gr.Dropdown(list(PRESETS), value=next(iter(PRESETS)), label="fact (p measured on SmolLM2)",
                             elem_id="residual-preset")
        prompt = gr.Textbox(first_prompt, label=f"prompt (at most {residual.MAX_TOKENS} tokens)", scale=3,
                            elem_id="residual-prompt")
    with gr.Row():
        target = gr.Textbox(first_target, label="target (the next word; a multi-token word uses its first token)",
                            elem_id="residual-target")
        layer = gr.Slider(0, shape.layers - 1, shape.layers - 1, step=1, label="MLP block to open as keys and values",
                          elem_id="residual-layer")    # the first view opens the note's block: opens_on_best_block
    note = gr.Markdown(elem_id="residual-note")
    colour = gr.Radio(LENS_COLOURS, value="top_probability", label="colour the logit lens by",
                      elem_id="residual-lens-colour")
    lens = gr.Plot(label="logit lens", elem_id="residual-lens")
    table = gr.Dataframe(headers=["stream after", "p(target)", "top 5 at the last position"],
                         label="the last position, decoded after each block", interactive=False, wrap=True,
                         column_widths=["16%", "12%", "72%"], elem_id="residual-top", max_height=560)
    with gr.Row():
        norms = gr.Plot(label="what each block writes", elem_id="residual-norms")
        attribution = gr.Plot(label="direct logit attribution", elem_id="residual-attribution")
    return LensView(live, preset, prompt, target, layer, note, colour, lens, table, norms, attribution)


def real_neurons_layout() -> gr.Plot:
    """From the series' toy neuron to the real ones: one sentence, then the opened block's top neurons."""
    gr.Markdown("**The real model: SiLU(x·g)·(x·u).** Each neuron of a real MLP block has two learned keys "
                "instead of the toy's one named key and bias: SiLU(x·g), a soft version of the ReLU switch, times "
                "x·u, a signed amount, so a = SiLU(x·g)·(x·u) can also be negative and write −v; below, the "
                "neurons of the opened block that push the target most, each with the tokens its value promotes.",
                elem_id="residual-real-neurons")
    return gr.Plot(label="MLP neurons as keys and values", elem_id="residual-neurons")


def wire_lens(settings: Settings, tab: PanelFrame, view: LensView, neurons: gr.Plot, subject: gr.Textbox) -> None:
    """Redraw on the page's opening, a new prompt, target or colour, a moved block; a preset also sets the trace's
    subject."""
    follow = gr.State(None)     # per user: does the MLP-block slider follow the note's block? None: first view
    outputs = [view.live, view.lens, view.table, view.norms, view.attribution, neurons, view.note, view.layer, follow]
    redraw = dict(fn=bind(show, settings), inputs=[view.prompt, view.target, view.layer, view.colour, follow],
                  outputs=outputs, api_visibility="undocumented", **HEAVY)
    view.preset.select(choose_preset, inputs=view.preset, outputs=[view.prompt, subject, view.target, follow],
                       api_visibility="undocumented").then(**redraw)
    gr.on([tab.opened, view.prompt.submit, view.target.submit, view.colour.input], **redraw,
          trigger_mode="always_last")
    view.layer.release(keep_layer, outputs=follow, api_visibility="undocumented", queue=False).then(**redraw)
