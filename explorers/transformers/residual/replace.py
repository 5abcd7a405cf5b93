"""Add, don't replace (knowledge map: Residual Connections): the same prompt with one block that replaces the stream
instead of adding to it, x_(l+1) = attn_l + mlp_l with x_l dropped. The lens of the last position and p(target)
after every block, with and without the cut: what the blocks before had built is gone, and the answer with it.
The part of Residual stream & facts, its handler and its layout."""
import gradio as gr

from components.card import LATEX
from components.errors import keeps_view
from components.events import bind
from components.formatting import significant
from components.residual_figures import add_vs_replace_figure
from core import residual
from core.checks import whole
from core.tokens import shown_token
from explorers.transformers.residual.lens import cached_record, question
from models.language import LanguageModel
from models.settings import Settings
from server.gpu import gpu
from server.memo import shared_cache
from server.queue import HEAVY

REPLACED_BLOCK = 10          # the first view: a middle block of SmolLM2's 30


@shared_cache(maxsize=8)      # (prompt, block) -> one forward pass with that block replacing the stream
def cached_replaced(lm: LanguageModel, ids: tuple[int, ...], block: int):
    return residual.record_residual(lm.model, list(ids), replace_at=block)


def last_position_lens(lm: LanguageModel, record, target: int):
    """p(target) and the top token at the last position, decoded after the embedding and after every block."""
    logits = residual.decode(lm.model, residual.streams(record)[:, -1])                 # (L + 1, V)
    probabilities = logits.softmax(-1)
    return probabilities[:, target], probabilities.argmax(-1)


def formula(block: int, target: str, p: tuple[float, float], tops: tuple[str, str], sizes: tuple[float, float]) -> str:
    """The two updates, then the measured outcome: p(target) and the top token both ways, and how big the stream
    coming in is against what the block writes (what replacing throws away)."""
    kept, written = sizes
    return (f"$$\\text{{adds: }} x_{{{block + 1}}} = x_{{{block}}} + \\text{{attn}}_{{{block}}} + "
            f"\\text{{mlp}}_{{{block}}} \\qquad \\text{{replaces: }} x_{{{block + 1}}}' = \\text{{attn}}_{{{block}}} + "
            f"\\text{{mlp}}_{{{block}}}$$\n\n"
            f"At the last position the model says **{tops[0]}** with p({target}) = **{significant(p[0], 3, latex=False)}**; "
            f"with block {block} replacing the stream it says **{tops[1]}**, p({target}) = "
            f"**{significant(p[1], 3, latex=False)}**. There the stream coming into block {block} has size "
            f"{significant(kept, 3, latex=False)}, and the block writes a change of size "
            f"{significant(written, 3, latex=False)}: "
            + ("replacing throws away what the blocks before had built, and the blocks after read a stream they "
               "were never trained on." if kept >= written else
               "the stream coming in is small next to what this block writes, so replacing it loses little here."))


@keeps_view
@gpu(duration=60)
def show_replaced(settings: Settings, prompt, target, block, progress=gr.Progress()):
    lm, ids, target_id, note = question(settings, prompt, target, residual.MAX_TOKENS, progress)
    block = whole("block", block, 0, lm.n_layers - 1)
    plain = cached_record(lm, tuple(ids))
    p_add, top_add = last_position_lens(lm, plain, target_id)
    p_replace, top_replace = last_position_lens(lm, cached_replaced(lm, tuple(ids), block), target_id)
    shown = shown_token(lm.tokenizer, target_id)
    figure = add_vs_replace_figure(p_add.numpy(), p_replace.numpy(), block, shown)
    kept = float(residual.streams(plain)[block, -1].norm())                               # |x_l| at the last position
    written = float((plain.attention[block, -1] + plain.mlp[block, -1]).norm())
    text = formula(block, shown, (float(p_add[-1]), float(p_replace[-1])),
                   (shown_token(lm.tokenizer, int(top_add[-1])), shown_token(lm.tokenizer, int(top_replace[-1]))),
                   (kept, written))
    return text + (f" {note}" if note else ""), figure


def build_replace_part(settings: Settings, prompt: gr.Textbox, target: gr.Textbox, layers: int) -> gr.Slider:
    """The block to cut, the button, the formula and the figure; returns the block slider (a link setting)."""
    gr.Markdown("### Add, don't replace: cut one block's connection", elem_id="residual-replace-title")
    with gr.Row():
        block = gr.Slider(0, layers - 1, min(REPLACED_BLOCK, layers - 1), step=1,
                          label="block that replaces the stream (its input dropped)", elem_id="residual-replace-block")
        run = gr.Button("Run with this block replacing the stream", elem_id="residual-replace-button")
    text = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="residual-replace-formula")
    figure = gr.Plot(label="adds vs replaces", elem_id="residual-replace")
    run.click(bind(show_replaced, settings), inputs=[prompt, target, block], outputs=[text, figure],
              api_visibility="undocumented", **HEAVY)
    return block
