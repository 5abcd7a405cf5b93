"""Figures of the residual stream: the logit lens, what each block writes, each block's push on the target's logit,
the top MLP neurons as key/value pairs, and the causal trace. Heatmaps all go through components/heatmap.py."""
from html import escape

import numpy as np
import plotly.graph_objects as go

from components.heatmap import heatmap
from components.style import COLORS, styled


def token_labels(tokens: list[str], marked: tuple[int, int] | None = None) -> list[str]:
    """Unique axis labels ('3·Tower'); tokens inside `marked` [start, end) get a '*' (the corrupted subject)."""
    start, end = marked or (0, 0)
    return [f"{i}·{t}" + ("*" if start <= i < end else "") for i, t in enumerate(tokens)]


def layer_labels(n_layers: int, with_embedding: bool) -> list[str]:
    return (["embedding"] if with_embedding else []) + [f"block {l}" for l in range(n_layers)]


LENS_COLOURS = [("top token's probability", "top_probability"), ("entropy (bits)", "entropy"),
                ("target's rank (log scale)", "target_rank")]      # (label, core.residual.Lens field)


def cell_text(token: str, columns: int) -> str:
    """A token cut to what fits in a cell of a grid `columns` wide on a 1024 px projector (the hover has it all)."""
    room = max(2, min(8, 110 // max(columns, 1)))        # about 730 px of cells, 6-7 px a character
    return token if len(token) <= room else (token[:room - 1] + "…" if room >= 4 else token[:room])


def as_typed(text: str) -> str:
    """plotly reads <b>, <br>... in text as markup: a token such as '<br>' is escaped so that it shows as typed."""
    return escape(text, quote=False)


def lens_colour(cells: dict[str, np.ndarray], colour: str, target: str) -> dict:
    """What the colour shows: z (L + 1, T), its range, colour bar and scale, for one of LENS_COLOURS."""
    if colour == "entropy":
        return dict(z=cells["entropy"], zmin=0, zmax=None, colorbar_title="bits", colorscale=None,
                    what="the entropy of the decoded distribution (bits; 0 = certain)")
    if colour == "target_rank":                                            # log colour: rank 1, 10, 100, ...
        z = np.log10(cells["target_rank"].astype(np.float64))
        return dict(z=z, zmin=0, zmax=max(1.0, float(np.ceil(z.max()))), colorbar_title="rank",
                    colorscale="Viridis_r", what=f"the rank of {as_typed(target)} (1 = the top token)")
    return dict(z=cells["top_probability"], zmin=0, zmax=1, colorbar_title="p", colorscale=None,
                what="the probability of the token written in the cell")


def lens_grid_figure(top_tokens: list[list[str]], cells: dict[str, np.ndarray], labels: list[str], target: str,
                     colour: str) -> go.Figure:
    """The whole logit lens: the stream after the embedding and after each block (rows) decoded at every position
    (columns), each cell naming its top token. cells: top_probability, entropy, target_rank, target_probability,
    each (L + 1, T); colour: which one colours the cells (the hover gives them all, and the whole token)."""
    rows, columns = len(top_tokens), len(labels)
    shown = lens_colour(cells, colour, target)
    fig = heatmap(shown["z"], labels, layer_labels(rows - 1, with_embedding=True), zmin=shown["zmin"],
                  zmax=shown["zmax"], colorbar_title=shown["colorbar_title"], colorscale=shown["colorscale"],
                  title=f"Logit lens at every position: the top token after each layer<br>colour = {shown['what']}",
                  x_title="position (token)", y_title="stream after", height=860,
                  hover=("after %{y} · at %{x}<br>top token: %{customdata[0]} (p %{customdata[1]:.3f})<br>"
                         f"entropy: %{{customdata[2]:.2f}} bits<br>{as_typed(target)}: p %{{customdata[4]:.3g}}, "
                         "rank %{customdata[3]:,}"))
    numbers = [cells[name] for name in ("top_probability", "entropy", "target_rank", "target_probability")]
    customdata = [[[as_typed(top_tokens[r][c]), *(n[r, c].item() for n in numbers)] for c in range(columns)]
                  for r in range(rows)]
    fig.update_traces(text=[[as_typed(cell_text(t, columns)) for t in row] for row in top_tokens],
                      texttemplate="%{text}", textfont=dict(size=12 if columns <= 16 else 10), customdata=customdata)
    if colour == "target_rank":
        ticks = list(range(int(shown["zmax"]) + 1))
        fig.update_traces(colorbar=dict(tickvals=ticks, ticktext=[f"{10 ** t:,}" for t in ticks]))
    return fig


def write_norms_figure(attention: np.ndarray, mlp: np.ndarray, stream: np.ndarray, position: str) -> go.Figure:
    """attention, mlp: (L,) |what each block adds| at one position; stream: (L + 1,) |the stream| there."""
    blocks = list(range(len(attention)))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=blocks, y=attention, name="|attention write|", marker_color=COLORS[0]))
    fig.add_trace(go.Bar(x=blocks, y=mlp, name="|MLP write|", marker_color=COLORS[4]))
    fig.add_trace(go.Scatter(x=[-0.5] + [b + 0.5 for b in blocks], y=stream, name="|stream| after it",
                             mode="lines+markers", line=dict(color=COLORS[3], width=3), yaxis="y2"))
    fig.update_layout(barmode="group", xaxis=dict(title="block (layer)", dtick=2),
                      yaxis=dict(title="size of the write"),
                      yaxis2=dict(title="size of the stream", overlaying="y", side="right", showgrid=False,
                                  rangemode="tozero"),
                      legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", yanchor="top"))
    return styled(fig, f"What each block adds at {position}<br>(every block adds to the stream; none replaces it)",
                  height=500)


def attribution_figure(attention: np.ndarray, mlp: np.ndarray, embedding: float, logit: float,
                       target: str) -> go.Figure:
    """Each block's direct push on the target's logit at the last position: (L,) for attention and MLP."""
    blocks = list(range(len(attention)))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=blocks, y=attention, name="attention", marker_color=COLORS[0],
                         hovertemplate="block %{x} attention: %{y:+.3f}<extra></extra>"))
    fig.add_trace(go.Bar(x=blocks, y=mlp, name="MLP", marker_color=COLORS[4],
                         hovertemplate="block %{x} MLP: %{y:+.3f}<extra></extra>"))
    fig.add_hline(y=0, line_color="#6b7280")
    fig.update_layout(barmode="group", xaxis=dict(title="block (layer)", dtick=2),
                      yaxis=dict(title=f"push on logit({target})"),
                      legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", yanchor="top"))
    title = (f"Each block's direct push on logit({target})<br>embed {embedding:+.2f}, attn {attention.sum():+.2f}, "
             f"MLP {mlp.sum():+.2f}: sum {embedding + attention.sum() + mlp.sum():.2f} = logit {logit:.2f}")
    return styled(fig, title, height=500)


def neuron_figure(neurons: list[int], contributions: np.ndarray, activations: np.ndarray,
                  promoted: list[list[str]], layer: int, target: str) -> go.Figure:
    """The top neurons of one MLP: horizontal bars of a_i (v_i · d), labelled with the tokens a_i v_i promotes."""
    names = [f"neuron {n} (a = {a:+.1f}) → {as_typed(', '.join(tokens[:4]))}"
             for n, a, tokens in zip(neurons, activations, promoted)]
    fig = go.Figure(go.Bar(y=names, x=contributions, orientation="h",
                           marker_color=[COLORS[0] if c >= 0 else COLORS[1] for c in contributions],
                           hovertemplate="%{y}<br>push on the logit: %{x:+.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=f"neuron's push on logit({target}) = a_i (v_i · d)", zeroline=True,
                     zerolinecolor="#6b7280")
    return styled(fig, f"Block {layer}'s MLP: the neurons that move logit({target}) most<br>each with its activation a "
                       "(how strongly its key fired) → the tokens a·v pushes up (its value)", height=110 + 48 * len(neurons))


def trace_heatmap(restored: np.ndarray, labels: list[str], kind: str, clean: float, corrupted: float,
                  target: str) -> go.Figure:
    """restored: (L, T) p(target) with one (layer, position) restored to its clean value."""
    what = {"hidden": "the stream (hidden state)", "mlp": "the MLP output", "attention": "the attention output"}[kind]
    top = max(clean, float(np.nanmax(restored)))
    return heatmap(restored, labels, layer_labels(restored.shape[0], with_embedding=False),
                   title=f"Restoring {what} at one (block, token): p({target}) comes back "
                         f"(clean {clean:.3f}, corrupted {corrupted:.3f}; * = corrupted subject)",
                   x_title="restored token", y_title="restored at", zmin=0, zmax=top, colorbar_title="p",
                   hover="restore %{y} at %{x}: p = %{z:.3f}", height=760)


def add_vs_replace_figure(p_add: np.ndarray, p_replace: np.ndarray, block: int, target: str) -> go.Figure:
    """p(target) at the last position after the embedding and after every block (L + 1,), as the model runs (adds)
    and with block `block` replacing the stream; the cut block marked."""
    after = list(range(-1, len(p_add) - 1))                        # -1: the embedding, then after block 0, 1, ...
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=after, y=p_add, name="every block adds (the model)", mode="lines+markers",
                             line=dict(color=COLORS[0], width=3)))
    fig.add_trace(go.Scatter(x=after, y=p_replace, name=f"block {block} replaces the stream", mode="lines+markers",
                             line=dict(color=COLORS[4], width=3, dash="dash")))
    fig.add_vline(x=block, line=dict(color="#6b7280", dash="dot"), annotation_text=f"block {block} cut",
                  annotation_position="top left")
    fig.update_layout(xaxis=dict(title="stream after block (−1: the embedding)", dtick=2),
                      yaxis=dict(title=f"p({as_typed(target)}) at the last position", range=[0, 1.02]),
                      legend=dict(orientation="h", y=-0.22, x=0.5, xanchor="center", yanchor="top"))
    return styled(fig, f"p({as_typed(target)}) read from the stream, block by block", height=440)
