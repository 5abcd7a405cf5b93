"""Figures of editing and steering the language model: what an edit did to each prompt (before and after bars), and
the next-token distribution with and without a steering vector."""
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.style import COLORS, styled

BEFORE = "#94a3b8"     # grey: the model as it was


def edit_effect_figure(groups: list[tuple[str, list[str], list[float], list[float]]]) -> go.Figure:
    """groups: (title, prompt labels, p before, p after), one panel each, e.g. ("p(Rome): the edit and its
    paraphrases", ...), ("p(the true object): facts that must not move", ...). Bars before (grey) and after."""
    fig = make_subplots(rows=len(groups), cols=1, subplot_titles=[title for title, *_ in groups],
                        vertical_spacing=0.16, row_heights=[max(1, len(labels)) for _, labels, _, _ in groups])
    for row, (_, labels, before, after) in enumerate(groups, start=1):
        for name, values, color in (("before the edit", before, BEFORE), ("after the edit", after, COLORS[0])):
            fig.add_trace(go.Bar(y=labels, x=values, orientation="h", name=name, marker_color=color,
                                 text=[f"{v:.1%}" if v >= 0.001 else "< 0.1%" for v in values], textposition="auto",
                                 legendgroup=name, showlegend=row == 1,
                                 hovertemplate="%{y}<br>p = %{x:.4f}<extra>" + name + "</extra>"), row=row, col=1)
        fig.update_yaxes(autorange="reversed", row=row, col=1, automargin=True)
        fig.update_xaxes(range=[0, 1], row=row, col=1, title="probability of the next token" if row == len(groups)
                         else None)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.12))
    rows = sum(max(1, len(labels)) for _, labels, _, _ in groups)
    return styled(fig, "What the edit changed", height=200 + 70 * rows)


def steered_bars(tokens_before: list[str], p_before: list[float], tokens_after: list[str], p_after: list[float],
                 alpha: float) -> go.Figure:
    """The top next tokens without and with the steering vector, side by side, on the same probability axis."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["without steering", f"steered, α = {alpha:g}"],
                        horizontal_spacing=0.22)
    top = max(p_before + p_after + [0.05]) * 1.15          # one axis for both: bars compare across the two charts
    for col, (tokens, values, color) in enumerate(((tokens_before, p_before, BEFORE),
                                                   (tokens_after, p_after, COLORS[0])), start=1):
        fig.add_trace(go.Bar(y=tokens, x=values, orientation="h", marker_color=color, showlegend=False,
                             text=[f"{v:.1%}" if v >= 0.001 else "< 0.1%" for v in values], textposition="auto",
                             hovertemplate="%{y}: %{x:.4f}<extra></extra>"), row=1, col=col)
        fig.update_yaxes(autorange="reversed", type="category", row=1, col=col, automargin=True)
        fig.update_xaxes(range=[0, top], title="p(next token)", row=1, col=col)
    return styled(fig, "The next token, without and with the added direction", height=120 + 34 * len(tokens_before))
