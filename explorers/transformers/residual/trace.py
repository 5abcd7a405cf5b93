"""Causal tracing (Meng et al. 2022; knowledge map: MLP Block (Fact Storage)): blur the subject's tokens, then put back
one clean activation at a time and see where the fact comes back. The part of Residual stream & facts, its handlers
and /trace."""
import gradio as gr

from components.errors import keeps_view, user_errors
from components.events import bind
from components.residual_figures import token_labels, trace_heatmap
from core import tracing
from core.tokens import shown_token
from explorers.transformers.residual.lens import question
from models.language import LanguageModel
from models.settings import Settings
from server.gpu import gpu
from server.memo import shared_cache
from server.queue import HEAVY

KIND_CHOICES = [("hidden state (the whole stream)", "hidden"), ("MLP output", "mlp"), ("attention output", "attention")]


@shared_cache(maxsize=8)      # a trace is 30 x T restored copies of the prompt: computed once per question
def cached_trace(lm: LanguageModel, ids: tuple[int, ...], span: tuple[int, int], target: int, kind: str):
    return tracing.causal_trace(lm.model, list(ids), span, target, kind)


def traced(settings: Settings, prompt, subject, target, kind, progress=None):
    kind = tracing.checked_kind(kind)                                    # cheap checks first
    lm, ids, target_id, note = question(settings, prompt, target, tracing.MAX_TOKENS, progress)
    span = tracing.subject_span(lm.tokenizer, prompt, subject)
    if progress is not None:
        progress(0.3, desc=f"Restoring {len(ids)} positions × {lm.n_layers} blocks in batches…")
    return lm, ids, target_id, note, cached_trace(lm, tuple(ids), span, target_id, kind)


@keeps_view
@gpu(duration=120)
def show_trace(settings: Settings, prompt, subject, target, kind, progress=gr.Progress()):
    lm, ids, target_id, note, result = traced(settings, prompt, subject, target, kind, progress)
    tokens, target = [shown_token(lm.tokenizer, i) for i in ids], shown_token(lm.tokenizer, target_id)
    labels = token_labels(tokens, result.span)
    layer, position = divmod(int(result.restored.argmax()), len(ids))
    note = (f"Clean run: p({target}) = **{result.clean:.3f}**. Subject tokens {result.span[0]}–{result.span[1] - 1} "
            f"corrupted with noise: **{result.corrupted:.3f}**. The most recovery: restoring block {layer} at "
            f"{labels[position]} gives back **{result.restored[layer, position]:.3f}**. {note}")
    return trace_heatmap(result.restored.numpy(), labels, result.kind, result.clean, result.corrupted, target), note


@user_errors
@gpu(duration=120)
def trace_endpoint(settings: Settings, prompt: str, subject: str, target: str, kind: str = "hidden") -> dict:
    """Causal trace: restored[layer][position] = p(target) with that one activation (kind: hidden, mlp or
    attention) restored to its clean value, plus the clean and corrupted probabilities."""
    lm, ids, target_id, note, result = traced(settings, prompt, subject, target, kind)
    return {"tokens": [lm.tokenizer.decode([i]) for i in ids], "target": lm.tokenizer.decode([target_id]),
            "note": note, "kind": result.kind, "subject_tokens": list(result.span),
            "restored": result.restored.tolist(), "clean": result.clean, "corrupted": result.corrupted}


def build_trace_part(settings: Settings, prompt, target, first_subject: str):
    """The causal trace's controls, note and figure, wired; returns the subject box and the kind radio."""
    gr.Markdown("### Causal tracing: where is the fact needed?")
    with gr.Row():
        subject = gr.Textbox(first_subject, label="subject (words of the prompt to corrupt)",
                             elem_id="residual-subject")
        kind = gr.Radio(KIND_CHOICES, value="hidden", label="restore one", elem_id="residual-kind")
        run_trace = gr.Button(f"Run the causal trace (prompts up to {tracing.MAX_TOKENS} tokens)",
                              variant="primary", elem_id="residual-trace-run")
    trace_note = gr.Markdown(elem_id="residual-trace-note")
    trace = gr.Plot(label="causal trace", elem_id="residual-trace")
    run_trace.click(bind(show_trace, settings), inputs=[prompt, subject, target, kind], outputs=[trace, trace_note],
                    api_visibility="undocumented", **HEAVY)
    return subject, kind
