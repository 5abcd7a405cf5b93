"""Edit a fact (knowledge map: MLP Block (Fact Storage), "W↓ columns = facts to inject"): ROME's rank-one change to
one MLP's down-projection, for this session only, with what it did to the prompt, its paraphrases and neighbouring
facts that must not move. What the edit computes; fact_part.py lays out the part and shows it."""
from dataclasses import dataclass

import torch

from core import editing
from core.checks import whole
from core.editing import RankOne, compute_edit, last_token_probabilities, mlp_trace_at_subject, rewrite_for
from core.steering import greedy
from core.tokens import shown_token, tokenize
from core.tracing import subject_span
from models.key_corpus import key_corpus_texts
from models.language import LanguageModel
from server.memo import shared_cache

MAX_TOKENS = 32          # the fact's prompt, the paraphrases and the neighbours: at most 32 tokens each
MAX_LINES = 6            # at most 6 paraphrases and 6 neighbours
CONTINUATION = 16        # greedy tokens shown before and after


@dataclass(frozen=True)
class Fact:
    prompt: str
    subject: str
    new_object: str
    paraphrases: tuple[str, ...]
    neighbours: tuple[tuple[str, str], ...]          # (prompt, its true object): facts that must not move


# name -> the fact to edit; p(true object) on SmolLM2-135M-Instruct is shown live by the panel
FACTS = {
    "Eiffel Tower: Paris → Rome": Fact(
        "The Eiffel Tower is located in the city of", "Eiffel Tower", "Rome",
        ("The Eiffel Tower stands in the city of", "Where is the Eiffel Tower? It is in the city of"),
        (("The Louvre is located in the city of", "Paris"), ("The Colosseum is located in the city of", "Rome"),
         ("The capital of France is", "Paris"))),
    "Colosseum: Rome → London": Fact(
        "The Colosseum is located in the city of", "Colosseum", "London",
        ("The Colosseum stands in the city of", "Where is the Colosseum? It is in the city of"),
        (("The Eiffel Tower is located in the city of", "Paris"), ("The capital of Italy is", "Rome"),
         ("The Pyramids of Giza are located in the country of", "Egypt"))),
    "Pyramids of Giza: Egypt → Mexico": Fact(
        "The Pyramids of Giza are located in the country of", "Pyramids of Giza", "Mexico",
        ("The Pyramids of Giza stand in the country of", "Where are the Pyramids of Giza? They are in the country of"),
        (("The Taj Mahal is located in the country of", "India"), ("The Eiffel Tower is located in the city of",
                                                                  "Paris"))),
    "Taj Mahal: India → Japan": Fact(
        "The Taj Mahal is located in the country of", "Taj Mahal", "Japan",
        ("The Taj Mahal stands in the country of", "Where is the Taj Mahal? It is in the country of"),
        (("The Pyramids of Giza are located in the country of", "Egypt"),
         ("The Colosseum is located in the city of", "Rome"))),
    "Shakespeare: England → France": Fact(
        "Shakespeare was born in the country of", "Shakespeare", "France",
        ("William Shakespeare was born in the country of", "Shakespeare's home country is"),
        (("The Eiffel Tower is located in the city of", "Paris"), ("The capital of France is", "Paris"))),
}
GENERIC_NEIGHBOURS = (("The capital of France is", "Paris"), ("The opposite of hot is", "cold"))


@shared_cache(maxsize=4)       # one layer's key statistics: C is d_mlp x d_mlp (9 MB for SmolLM2), computed once
def key_statistics(lm: LanguageModel, layer: int) -> tuple[torch.Tensor, int]:
    """C = E[k kᵀ] of MLP `layer`'s keys over the committed corpus, and how many tokens it was estimated on."""
    texts = [lm.tokenizer(t, add_special_tokens=False).input_ids[:256] for t in key_corpus_texts()]
    keys = editing.keys_at(lm.model, layer, texts)                           # (n_tokens, d_mlp)
    return editing.second_moment(keys), len(keys)


@shared_cache(maxsize=8)       # an edit is a short optimisation: the same request is not computed twice
def cached_edit(lm: LanguageModel, prompt: str, subject: str, new_object: str, layer: int):
    rewrite = rewrite_for(lm.tokenizer, prompt, subject, new_object)
    C, n_tokens = key_statistics(lm, layer)
    edit, losses, key_norm = compute_edit(lm.model, layer, rewrite, C)
    return edit, losses, n_tokens, key_norm


def lines(text, name: str) -> list[str]:
    found = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if len(found) > MAX_LINES:
        raise ValueError(f"At most {MAX_LINES} {name}, one per line; got {len(found)}.")
    return found


def neighbour_lines(text) -> list[tuple[str, str]]:
    """'prompt -> object' lines (→ works too)."""
    pairs = []
    for line in lines(text, "neighbouring facts"):
        prompt, arrow, obj = line.replace("→", "->").rpartition("->")
        if not arrow or not prompt.strip() or not obj.strip():
            raise ValueError(f"Write each neighbouring fact as 'prompt -> object', e.g. 'The capital of France is "
                             f"-> Paris'; got {line[:40]!r}.")
        pairs.append((prompt.strip(), obj.strip()))
    return pairs


def checked_ids(lm: LanguageModel, prompt: str) -> list[int]:
    ids, cut = tokenize(lm.tokenizer, prompt, MAX_TOKENS, keep="first")
    if cut:
        raise ValueError(f"A prompt here is at most {MAX_TOKENS} tokens; {prompt[:40]!r}… is {len(ids) + cut}.")
    return ids


def first_token(lm: LanguageModel, prompt: str, word: str) -> int:
    return editing.object_tokens(lm.tokenizer, prompt, word)[0]


def chosen_layer(lm: LanguageModel, ids: list[int], span, old: int, layer) -> tuple[int, torch.Tensor | None]:
    """The block to edit: the slider's, or with −1 the block where the MLP causal trace at the subject peaks."""
    layer = whole("MLP block", layer, -1, lm.n_layers - 1)
    if layer >= 0:
        return layer, None
    trace = mlp_trace_at_subject(lm.model, ids, span, old)                  # (L,)
    return int(trace.argmax()), trace


def probabilities(lm: LanguageModel, prompts: list[str], edit: RankOne | None) -> torch.Tensor:
    return last_token_probabilities(lm.model, [checked_ids(lm, p) for p in prompts], edit)      # (n, V)


def edit_fact(lm: LanguageModel, prompt, subject, new_object, layer, paraphrases, neighbours, progress=None) -> dict:
    """Everything the panel and /edit_fact show: the edit and the probabilities before and after."""
    ids = checked_ids(lm, prompt)
    span = subject_span(lm.tokenizer, prompt, subject)
    new = first_token(lm, prompt, new_object)
    phrases, pairs = lines(paraphrases, "paraphrases"), neighbour_lines(neighbours)
    texts = [prompt, *phrases, *(p for p, _ in pairs)]
    before = probabilities(lm, texts, None)                                  # (n, V) the model as trained
    old = int(before[0].argmax())                                            # the fact the model knows: its top token
    if old == new:
        raise ValueError(f"The model already says {new_object.strip()!r} here; choose another new object.")
    layer, trace = chosen_layer(lm, ids, span, old, layer)
    if progress is not None:
        progress(0.2, desc=f"Estimating the keys' statistics at block {layer} and finding v*…")
    edit, losses, n_tokens, key_norm = cached_edit(lm, prompt, subject.strip(), new_object.strip(), layer)
    after = probabilities(lm, texts, edit)                                   # (n, V) with the edit
    decode = lm.tokenizer.decode

    def pair(row: int, token: int) -> dict:
        return {"before": float(before[row, token]), "after": float(after[row, token])}

    neighbour_ids = [first_token(lm, p, o) for p, o in pairs]
    return {"layer": layer, "old_object": decode([old]), "new_object": decode([new]),
            "before": {"new_object": float(before[0, new]), "old_object": float(before[0, old]),
                       "top": decode([int(before[0].argmax())])},
            "after": {"new_object": float(after[0, new]), "old_object": float(after[0, old]),
                      "top": decode([int(after[0].argmax())])},
            "paraphrases": [{"prompt": p, "new_object": pair(1 + i, new), "old_object": pair(1 + i, old),
                             "top_after": decode([int(after[1 + i].argmax())])} for i, p in enumerate(phrases)],
            "neighbours": [{"prompt": p, "object": o, **pair(1 + len(phrases) + i, t)}
                           for i, ((p, o), t) in enumerate(zip(pairs, neighbour_ids))],
            "norms": {"key": key_norm, "u": float(edit.u.norm()),
                      "w": float(edit.w.norm())},
            "loss": losses, "covariance_tokens": n_tokens,
            "trace": None if trace is None else [float(p) for p in trace],
            "_edit": edit, "_ids": ids, "_tokens": [shown_token(lm.tokenizer, i) for i in ids]}


def continuation(lm: LanguageModel, prompt: str, edit: RankOne | None) -> tuple[torch.Tensor, str]:
    """With or without the edit: p(next token) (V,) and the greedy continuation, from one generation."""
    ids = checked_ids(lm, prompt)
    with editing.edited(lm.model, edit):
        first, tokens = greedy(lm.model, ids, CONTINUATION)
    return first, lm.tokenizer.decode(tokens, skip_special_tokens=True)


def neighbour_text(pairs) -> str:
    """(prompt, object) pairs as the neighbours box and /edit_fact write them: one 'prompt -> object' a line."""
    return "\n".join(f"{p} -> {o}" for p, o in pairs)

