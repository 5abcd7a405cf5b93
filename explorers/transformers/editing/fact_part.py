"""The "Edit a fact" part of Edit & steer: the presets, the edit's formula with the live numbers, its effect on the
prompt, the paraphrases and the neighbouring facts, any prompt on the edited model, and /edit_fact. The edit is this
session's (a gr.State), applied through hooks; the shared weights never change."""
import gradio as gr

from components.editing_figures import edit_effect_figure
from components.errors import keeps_view, user_errors
from components.events import bind
from components.formatting import continued, number, percent, wrapped
from core.editing import RankOne
from core.sampling import top_k
from core.tokens import shown_token
from explorers.transformers.editing import fact
from explorers.transformers.editing.fact import FACTS, GENERIC_NEIGHBOURS, Fact
from models.language import app_language_model
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

LABEL_WIDTH = 30          # a prompt's bar label wraps at this many characters (a phone's third of the figure)

NO_EDIT = "No edit in this session: the model is as it was trained. Press **Edit the fact**."


def fact_fields(f: Fact) -> list:
    return [f.prompt, f.subject, f.new_object, "\n".join(f.paraphrases), fact.neighbour_text(f.neighbours)]


def choose_fact(name):
    return fact_fields(FACTS.get(name, next(iter(FACTS.values()))))


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


def effect_figure(result: dict):
    new, old = result["new_object"].strip(), result["old_object"].strip()
    edited_rows = [("the edited prompt", result["after"], result["before"])] + [
        (p["prompt"], None, None) for p in result["paraphrases"]]
    labels = [wrapped(label, LABEL_WIDTH) for label, _, _ in edited_rows]
    groups = [(f"p({new}): the edit, then its paraphrases (should rise)", labels,
               [result["before"]["new_object"]] + [p["new_object"]["before"] for p in result["paraphrases"]],
               [result["after"]["new_object"]] + [p["new_object"]["after"] for p in result["paraphrases"]]),
              (f"p({old}): what the model said before (should fall)", labels,
               [result["before"]["old_object"]] + [p["old_object"]["before"] for p in result["paraphrases"]],
               [result["after"]["old_object"]] + [p["old_object"]["after"] for p in result["paraphrases"]])]
    if result["neighbours"]:
        groups.append(("neighbouring facts: p(their true object) (should not move)",
                       [wrapped(f"{n['prompt']} → {n['object']}", LABEL_WIDTH) for n in result["neighbours"]],
                       [n["before"] for n in result["neighbours"]], [n["after"] for n in result["neighbours"]]))
    return edit_effect_figure(groups)


def edit_formula(result: dict, layer_note: str) -> str:
    n = result["norms"]
    return (f"$$W_\\downarrow' = W_\\downarrow + \\underbrace{{(v^* - W_\\downarrow k^*)}}_{{u,\\ |u| = "
            f"{number(n['u'], 2)}}}\\;\\underbrace{{\\frac{{(C^{{-1}}k^*)^\\top}}{{k^{{*\\top}} C^{{-1}} k^*}}}}"
            f"_{{w^\\top,\\ |w| = {number(n['w'], 4)}}}, \\qquad |k^*| = {number(n['key'], 2)},\\quad "
            f"W_\\downarrow' k^* = v^*$$\n\n"
            f"Block **{result['layer']}** ({layer_note}). C = E[k kᵀ] over **{result['covariance_tokens']:,} tokens** "
            f"of SmolLM2's own generations (models/corpus). v* was found in {len(result['loss'])} Adam steps "
            f"(loss {result['loss'][0]:.2f} → {result['loss'][-1]:.2f}). The change is rank one: it adds "
            f"u (w·k) to what this MLP writes, which is u itself for the key k* and almost nothing for keys C "
            "says are unrelated.")


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
    return (edit_formula(result, layer_note), summary(result, prompt), effect_figure(result), continuation,
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


def build_fact_part(settings: Settings, layers: int) -> dict:
    first = fact_fields(next(iter(FACTS.values())))
    first_prompt, first_subject, first_object, first_paraphrases, first_neighbours = first
    gr.Markdown("### Edit a fact: a rank-one change to one MLP (ROME)")
    with gr.Row():
        preset = gr.Dropdown(list(FACTS), value=next(iter(FACTS)), label="fact to edit", elem_id="editing-preset")
        prompt = gr.Textbox(first_prompt, label="prompt (the model's top answer is the fact it knows)", scale=2,
                            elem_id="editing-prompt")
    with gr.Row():
        subject = gr.Textbox(first_subject, label="subject (words of the prompt)", elem_id="editing-subject")
        new_object = gr.Textbox(first_object, label="new object (what it should say instead)",
                                elem_id="editing-object")
        layer = gr.Slider(-1, layers - 1, -1, step=1, label="MLP block to edit (−1: where the causal trace peaks)",
                          elem_id="editing-layer")
    with gr.Row():
        paraphrases = gr.Textbox(first_paraphrases, lines=2, label="paraphrases (one per line): should "
                                 "follow the edit", elem_id="editing-paraphrases")
        neighbours = gr.Textbox(first_neighbours, lines=3, label="neighbouring facts ('prompt -> object'): must not "
                                "move", elem_id="editing-neighbours")
    with gr.Row():
        run = gr.Button("Edit the fact (this session only, about 10-20 s)", variant="primary", elem_id="editing-run")
        reset = gr.Button("Reset: remove my edit", elem_id="editing-reset")
    formula = gr.Markdown(elem_id="editing-formula")
    note = gr.Markdown(NO_EDIT, elem_id="editing-note")
    with gr.Row():
        effect = gr.Plot(label="before and after", elem_id="editing-effect", scale=3)
        continuation = gr.Markdown(elem_id="editing-continuation")
    with gr.Row():
        probe = gr.Textbox("The Eiffel Tower is in", label="try any prompt on the edited model (Enter runs it)",
                           scale=3, elem_id="editing-probe")
        probe_run = gr.Button("Compare with and without the edit", elem_id="editing-probe-run")
    probed = gr.Markdown(elem_id="editing-probed")
    session_edit = gr.State(None)                                     # per user: this session's rank-one edit
    fields = [prompt, subject, new_object, paraphrases, neighbours]
    preset.select(choose_fact, inputs=preset, outputs=fields, api_visibility="undocumented")
    gr.on([run.click, new_object.submit], bind(show_edit, settings),
          inputs=[prompt, subject, new_object, layer, paraphrases, neighbours],
          outputs=[formula, note, effect, continuation, session_edit], api_visibility="undocumented", **HEAVY)
    reset.click(reset_edit, outputs=[session_edit, note], api_visibility="undocumented")
    gr.on([probe_run.click, probe.submit], bind(try_edited, settings), inputs=[probe, session_edit], outputs=probed,
          api_visibility="undocumented", **HEAVY)
    return {"prompt": prompt, "subject": subject, "object": new_object, "layer": layer}
