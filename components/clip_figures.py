"""CLIP's figures, built from data: the N x N similarity matrix with the images above their columns (its rows labelled
with captions shortened where that keeps them apart), zero-shot bars, the shared space with matching pairs joined,
and caption words ranked by their cosine with a difference of two images (the arithmetic)."""
import base64
import html
import io
import unicodedata
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from components.formatting import number, percent
from components.heatmap import heatmap
from components.style import COLORS, styled

# The figure draws images as columns and captions as rows, so a softmax per image runs down each column (over the
# captions) and a softmax per caption along each row (over the images): the one place the panel's texts take the
# words from (the card, the scenes and the formula say the same; a test checks the sums of what is drawn).
SOFTMAX_ALONG = {"per image": "column", "per caption": "row"}
VIEWS = {                                   # what the matrix shows -> (title, colour-bar title)
    "similarity": ("s_ij = τ · cos(image i, caption j)", "s"),
    "per image": (f"softmax(s/T) over each {SOFTMAX_ALONG['per image']}: p(caption | image)", "p"),
    "per caption": (f"softmax(s/T) over each {SOFTMAX_ALONG['per caption']}: p(image | caption)", "p"),
}


LABEL_WIDTH, LABEL_LINES, LABEL_FONT = 18, 3, 13    # a caption beside the matrix: 3 lines of 18 characters in 13 px
                                                    # type, about 125 px wide: a 390 px phone keeps 150 px of matrix


def png_uri(image: np.ndarray) -> str:
    """(H, W, 3) in [0, 1] -> a data URI a plotly layout image can show."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def short_caption(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def line_spans(text: str, width: int) -> list[tuple[int, int]]:
    """Where to break `text` into lines of at most `width` characters: (start, end) of each line, broken at spaces (a
    word longer than a line is split)."""
    spans, i = [], 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        if i + width >= len(text):
            spans.append((i, len(text)))
            break
        space = text.rfind(" ", i, i + width + 1)
        next_word = text[space + 1:].split(" ", 1)[0]
        end = space if space > i and len(next_word) <= width else i + width    # a word longer than a line fills it
        spans.append((i, end))
        i = end
    return spans


def fitted(text: str, width: int, lines: int) -> tuple[list[str], int]:
    """`text` in at most `lines` lines of `width` characters, the last ending in '…' when some is left out (its last
    words dropped to make room), and how many of its characters are shown."""
    spans = line_spans(text, width)
    if len(spans) <= lines:
        return [text[a:b] for a, b in spans], len(text)
    a, b = spans[lines - 1]
    if b - a + 1 > width:
        space = text.rfind(" ", a, b)
        b = space if space > a else a + width - 1
    return [text[a:b] for a, b in spans[:lines - 1]] + [text[a:b] + "…"], b


def common_length(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def caption_labels(captions: Sequence[str], width: int = 18, lines: int = 3) -> list[str]:
    """Axis labels that tell captions apart, each at most `lines` lines of `width` characters (joined by <br>): the
    caption's number, then the caption wrapped at spaces. A caption too long for that is cut at its end, unless the
    cut would hide the first character in which it differs from the caption most like it: then it is shown from as
    early a word ('…' before it) as still shows that character. Equal captions are told apart by their numbers (so
    are, rarely, two that differ only where a shared run of words sits); the hover shows each caption whole."""
    texts = [" ".join(unicodedata.normalize("NFC", str(caption)).split()) for caption in captions]
    labels = []
    for j, text in enumerate(texts):
        number = f"{j + 1}. "
        differs = max([common_length(text, other) for other in texts if other != text], default=0)
        word_starts = [0] + [i + 1 for i, c in enumerate(text[:differs]) if c == " "]
        for start in word_starts + [max(0, differs - width // 2)]:                  # last: inside a long word
            prefix = number + ("…" if start else "")
            shown, end = fitted(prefix + text[start:], width, lines)
            if end == len(prefix + text[start:]) or differs - start + len(prefix) < end:
                break
        labels.append("<br>".join(html.escape(line) for line in shown))
    return labels


def similarity_matrix(values: np.ndarray, images: np.ndarray, captions: Sequence[str], view: str) -> go.Figure:
    """values (N_images, N_captions); images (N_images, H, W, 3). Captions are rows, images are columns (each
    image drawn above its column), so that the true pairs sit on the diagonal."""
    n_images, n_captions = values.shape
    title, bar = VIEWS[view]
    columns = [str(i + 1) for i in range(n_images)]
    rows = caption_labels(captions, LABEL_WIDTH, LABEL_LINES)
    row = max(40, 10 + int(1.3 * LABEL_FONT) * max(label.count("<br>") + 1 for label in rows))   # px: its lines fit
    thumb = int(min(110, 760 / max(n_images, 1)))                               # room above for the images (px)
    height = 110 + row * n_captions + thumb
    fig = heatmap(values.T, columns, rows, title=None, x_title=f"image · {title}", colorbar_title=bar,
                  text_format=".1f" if view == "similarity" else ".2f", hover="%{customdata}<br>image %{x}: %{z:.3f}",
                  height=height, zmin=0 if view != "similarity" else None, zmax=1 if view != "similarity" else None)
    # the whole caption in the hover; the numbers in the cells as large as the cells allow (small on a phone)
    fig.update_traces(customdata=np.repeat(np.asarray(captions, dtype=object)[:, None], n_images, axis=1),
                      textfont_size=None, colorbar=dict(orientation="h", yref="container", y=1, yanchor="top", x=1,
                                                         xanchor="right", len=0.6, thickness=12, tickfont_size=13,
                                                         title_side="top", ypad=4))
    for i, image in enumerate(images):
        fig.add_layout_image(source=png_uri(image), xref="x", yref="paper", x=i, y=1.01, sizex=0.92,
                             sizey=thumb / (height - thumb - 124), xanchor="center", yanchor="bottom",
                             sizing="contain", layer="above")
    fig.update_layout(margin=dict(t=thumb + 64, l=8, r=8, b=60))              # the colour bar above the images
    fig.update_yaxes(automargin=True, tickfont_size=LABEL_FONT, ticklabelstandoff=4)
    fig.update_xaxes(side="bottom", tickangle=0)
    return fig


def zero_shot_bars(captions: Sequence[str], probabilities: np.ndarray, logits: np.ndarray) -> go.Figure:
    """One image against captions: p = softmax(s) as horizontal bars, the logit s in the hover and the label."""
    order = np.argsort(probabilities)                                            # largest at the top
    labels = [short_caption(captions[i], 50) for i in order]
    fig = go.Figure(go.Bar(x=probabilities[order], y=labels, orientation="h",
                           marker_color=[COLORS[0] if i == order[-1] else "#94a3b8" for i in order],
                           text=[f"{percent(float(probabilities[i]))}  (s = {logits[i]:.1f})" for i in order],
                           textposition="auto", hovertemplate="%{y}: p = %{x:.3f}<extra></extra>"))
    fig.update_xaxes(range=[0, 1], title="p(caption | image) = softmax(s)")
    fig.update_yaxes(automargin=True, type="category")
    return styled(fig, "Zero-shot: which caption fits this image?", height=140 + 42 * len(captions))


def shared_space(image_xy: np.ndarray, text_xy: np.ndarray, captions: Sequence[str],
                 explained: np.ndarray) -> go.Figure:
    """Image and text embeddings on one plane (PCA of both), each image joined to its own caption."""
    fig = go.Figure()
    xs, ys = [], []
    for (x0, y0), (x1, y1) in zip(image_xy, text_xy):
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#cbd5e1", width=1.5), hoverinfo="skip",
                             name="a matching pair"))
    numbers = [str(i + 1) for i in range(len(image_xy))]
    fig.add_trace(go.Scatter(x=image_xy[:, 0], y=image_xy[:, 1], mode="markers+text", text=numbers,
                             textposition="top center", marker=dict(size=13, color=COLORS[0], symbol="square"),
                             name="image", hovertemplate="image %{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=text_xy[:, 0], y=text_xy[:, 1], mode="markers+text", text=numbers,
                             textposition="bottom center", marker=dict(size=13, color=COLORS[4]), name="caption",
                             customdata=list(captions), hovertemplate="caption %{text}: %{customdata}<extra></extra>"))
    fig.update_xaxes(title=f"component 1 ({100 * explained[0]:.0f} % of the variance)", zeroline=False)
    fig.update_yaxes(title=f"component 2 ({100 * explained[1]:.0f} %)", zeroline=False, scaleanchor="x")
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return styled(fig, "Shared space (PCA of both)", height=480)


def learning_curve(losses: Sequence[float], total_steps: int) -> go.Figure:
    fig = go.Figure(go.Scatter(x=np.arange(1, len(losses) + 1), y=losses, mode="lines", line=dict(color=COLORS[1]),
                               name="loss", hovertemplate="step %{x}: L = %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title="training step", range=[0, total_steps])
    fig.update_yaxes(title="contrastive loss L", rangemode="tozero")
    return styled(fig, "The loss of the fresh copy", height=320)


def word_bars(words: Sequence[str], cosines: Sequence[float], ranks: Sequence[int], total: int,
              marked: Sequence[str] = (), title: str = "Which words point along d?") -> go.Figure:
    """Words with their cos(T_word, d) as horizontal bars in rank order (rank 1 on top); a gap row where ranks are
    skipped; the marked words (those the two scenes differ in, a word looked up) in colour, the others grey."""
    rows = []                                                                       # (label, cos, colour, text)
    for k, (word, value, rank) in enumerate(zip(words, cosines, ranks)):
        if k and rank > ranks[k - 1] + 1:                                           # ranks left out: say how many
            rows.append((f"⋯ {rank - ranks[k - 1] - 1} more ⋯", None, "#94a3b8", ""))
        colour = (COLORS[0] if value >= 0 else COLORS[1]) if word in marked else "#94a3b8"
        shown = number(float(value), 2)                                             # −0.00 never: 0.00
        rows.append((f"{rank}. {word}", float(value), colour, "+" + shown if value > 0 and shown != "0.00" else shown))
    labels, values, colours, texts = (list(column) for column in zip(*rows))
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=colours, text=texts,
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: cos = %{x:.3f}<extra></extra>"))
    reach = max([abs(v) for v in values if v is not None] + [0.1])
    fig.update_xaxes(range=[-1.25 * reach, 1.25 * reach], zeroline=True, zerolinecolor="#475569",
                     title=f"cos(T_word, d), rank among {total} caption words")
    fig.update_yaxes(automargin=True, type="category", autorange="reversed")
    return styled(fig, title, height=130 + 30 * len(labels))
