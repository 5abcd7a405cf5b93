"""Figures of next-token prediction: the top tokens' probabilities at the chosen temperature, with T = 1 beside."""
import plotly.graph_objects as go

from components.style import COLORS, styled


def next_token_bars(tokens: list[str], probabilities: list[float], at_one: list[float], temperature: float) -> go.Figure:
    """Horizontal bars, most likely first: p at temperature T, and a marker at the model's own T = 1."""
    fig = go.Figure()
    fig.add_trace(go.Bar(y=tokens, x=probabilities, orientation="h", name=f"T = {temperature:g}",
                         marker_color=COLORS[0], text=[f"{p:.1%}" for p in probabilities], textposition="outside",
                         hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(y=tokens, x=at_one, mode="markers", name="T = 1 (the model's own)",
                             marker=dict(symbol="line-ns", size=22, line=dict(width=4, color=COLORS[1]))))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title="probability of being the next token", range=[0, min(1.0, max(probabilities + at_one) * 1.25)])
    fig.update_layout(legend=dict(orientation="h", y=-0.18))
    return styled(fig, "Next-token distribution: softmax(logits / T)", height=max(360, 34 * len(tokens) + 140))
