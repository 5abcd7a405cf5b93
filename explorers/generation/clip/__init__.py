"""CLIP (knowledge map: CLIP (Text + Image Bridge), Vectors & Dot Products, Softmax): the small CLIP trained here on
captioned scenes of real handwritten digits.

One part per concept: batch.py (a batch's N x N similarity matrix, its loss, a temperature and the shared space),
zero_shot.py (classification with captions the learner types), retrieval.py (a caption finds its images in a
gallery), arithmetic.py (a red seven − a blue seven points at 'red', folded) and learn.py (a fresh copy learning the
diagonal); endpoint.py is /clip_similarity.
"""
import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.events import bind
from components.page import panel_frame
from explorers.generation.clip.arithmetic import build_arithmetic_part
from explorers.generation.clip.batch import COLUMN, ROW, build_batch_part
from explorers.generation.clip.endpoint import clip_similarity_endpoint
from explorers.generation.clip.learn import build_learn_part
from explorers.generation.clip.retrieval import build_retrieval_part
from explorers.generation.clip.zero_shot import build_zero_shot_part
from models.settings import Settings

PANEL = "clip"                       # its page: /clip, and ?panel=clip in a link
TITLE = "CLIP"
SUMMARY = "two encoders, one space: the N x N similarity matrix, zero-shot, retrieval and arithmetic"


INTUITION = (
    "Two encoders, one for images (a ViT over 8 x 8-pixel patches) and one for text (a transformer whose end-of-text "
    "vector is the caption's embedding), each end in the same 64-dimensional space. Training shows them a batch of N "
    "scenes with their N captions and asks every image to point the same way as its own caption and away from the "
    f"other N − 1. The matrix below draws each image above its {COLUMN} and each caption as a {ROW}: a softmax down "
    f"each image's {COLUMN} (which caption?) and one along each caption's {ROW} (which image?), with the diagonal as "
    "the right answers. This CLIP was trained here, on scenes of real handwritten digits; the same text encoder "
    "steers the text-to-image model.")
TRY_THIS = (
    f"Look at the diagonal, then switch the view to the softmax per image: each image's {COLUMN} of numbers is a "
    "zero-shot classifier. Raise the temperature T to 20, as in Next-token sampling: the columns flatten (at T = τ "
    "the softmax reads the bare cosines). In the zero-shot part, change one word of a caption (seven → one, red → "
    "blue) and watch which word CLIP is sure of. Search for 'a small green nine': are the nearest images small, green "
    "and nines? Unfold the arithmetic: a red seven − a blue seven points at which word?")


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:
        formula = explanation_card("CLIP: one space for images and words", INTUITION, "", TRY_THIS,
                                   elem_id="clip-formula", reserve=316)
        batch_links = build_batch_part(settings, tab, formula)
        zero_shot_links = build_zero_shot_part(settings, tab)
        retrieval_links = build_retrieval_part(settings, tab)
        arithmetic_links, arithmetic_part = build_arithmetic_part(settings, tab)
        build_learn_part(settings)
        gr.api(bind(clip_similarity_endpoint, settings), api_name="clip_similarity")
        return link_box(PANEL, {**batch_links, **zero_shot_links, **retrieval_links, **arithmetic_links},
                        folds=(arithmetic_part,))
