"""W_E as a lookup (knowledge map: Token -> Embedding): a word becomes token ids, and each id picks one row of the
embedding matrix W_E; that row is the first vector the model has for the token. Where the model ties its output
to it (SmolLM2 does, as GPT-2), W_U = W_Eᵀ: the logit of a token is the last stream · that same row.
The part of the Embeddings tab, its handler and its layout."""
import gradio as gr

from components.card import LATEX
from components.errors import keeps_view
from components.events import bind
from components.formatting import as_plain, number
from core.checks import quote
from core.embeddings import embedding_lookup, tied
from core.tokens import shown_token
from models.language import app_language_model
from models.settings import Settings
from models.vector_spaces import token_space

MAX_WORD = 40            # characters
SHOWN = 4                # numbers of each row written out


def checked_word(word) -> str:
    if not isinstance(word, str) or not word.strip():
        raise ValueError("Type a word, e.g. queen.")
    if len(word.strip()) > MAX_WORD:
        raise ValueError(f"Type one word or a short phrase, at most {MAX_WORD} characters; got {quote(word, 20)}.")
    return word.strip()


@keeps_view
def look_up(settings: Settings, word, progress=gr.Progress()):
    """The word's tokens as the model reads it mid-sentence (with its leading space), each id's row of W_E, and
    whether W_U is the same matrix."""
    word = checked_word(word)
    lm = app_language_model(settings, progress)
    ids = lm.tokenizer(" " + word, add_special_tokens=False).input_ids
    w_e = token_space(lm).raw                                                          # (V, d)
    rows = embedding_lookup(w_e, ids)                                                  # (n, d)
    table = "\n".join(f"| {as_plain(shown_token(lm.tokenizer, i))} | {i} | "
                      + ", ".join(number(float(v), 3) for v in row[:SHOWN]) + ", … |" for i, row in zip(ids, rows))
    w_u = lm.model.get_output_embeddings().weight.detach().float().cpu().numpy()
    tie = (f"{lm.name} ties its output to this table: W_U = W_Eᵀ, so the logit of a token is the last stream · "
           "the same row (the row picked here is the one read out at the end)." if tied(w_e, w_u) else
           f"{lm.name} does not tie them: its W_U is a separate matrix, learned on its own.")
    pieces = (f"'{as_plain(word)}' is {len(ids)} tokens, so {len(ids)} rows." if len(ids) > 1 else
              f"'{as_plain(word)}' is one token, so one row.")
    return (f"$$x = W_E[\\text{{id}}] = \\text{{onehot}}(\\text{{id}})\\, W_E,\\qquad W_E \\in "
            f"\\mathbb{{R}}^{{{w_e.shape[0]} \\times {w_e.shape[1]}}}$$\n\n"
            f"| token | id | its row W_E[id]: the first {SHOWN} of {w_e.shape[1]} numbers |\n|---|---|---|\n{table}\n\n"
            f"{pieces} The first layer's input is the row itself: looking up is indexing, the same as multiplying a "
            f"one-hot vector by W_E ({w_e.shape[0]:,} rows of {w_e.shape[1]} numbers). {tie}")


def build_lookup_part(settings: Settings) -> gr.Textbox:
    with gr.Accordion("W_E is a lookup table: a token's id picks its row", open=False):
        with gr.Row():
            word = gr.Textbox("queen", label="a word (read with its leading space, as mid-sentence)",
                              elem_id="embeddings-lookup-word")
            run = gr.Button("Look it up in the language model's W_E", elem_id="embeddings-lookup-button")
        rows = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="embeddings-lookup")
    gr.on([run.click, word.submit], bind(look_up, settings), inputs=word, outputs=rows, api_visibility="undocumented")
    return word
