"""Figures of next-token prediction: the top tokens' probabilities at the chosen temperature, with T = 1 beside, and
what top-k and top-p cut."""
import plotly.graph_objects as go

from components.style import COLORS, styled

CUT = dict(color="#e2e8f0", pattern=dict(shape="/", fgcolor="#94a3b8", fillmode="overlay"))  # grey, hatched


def next_token_bars(tokens: list[str], probabilities: list[float], at_one: list[float], temperature: float,
                    kept: list[bool] | None = None, renormalised: list[float] | None = None) -> go.Figure:
    """Horizontal bars, most likely first, and a marker at the model's own T = 1.

    Without kept, every bar is p at temperature T. With kept (top-k / top-p on), a kept token's bar is its
    renormalised q (what sampling draws from) and a cut token's bar is its p at T, grey and hatched."""
    kept = [True] * len(tokens) if kept is None else list(kept)
    renormalised = list(probabilities) if renormalised is None else list(renormalised)
    truncating = not all(kept)
    shown = [q if keep else p for keep, p, q in zip(kept, probabilities, renormalised)]
    fig = go.Figure()
    for keep, name, marker in (
            (True, f"kept: q = p / kept mass (T = {temperature:g})" if truncating else f"T = {temperature:g}",
             dict(color=COLORS[0])),
            (False, "cut by top-k / top-p (its p at T)", CUT)):
        rows = [i for i, k in enumerate(kept) if k == keep]
        if rows:
            fig.add_trace(go.Bar(y=[tokens[i] for i in rows], x=[shown[i] for i in rows], orientation="h",
                                 name=name, marker=marker, text=[f"{shown[i]:.1%}" for i in rows],
                                 textposition="auto", hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(y=tokens, x=at_one, mode="markers", name="T = 1 (the model's own)",
                             marker=dict(symbol="line-ns", size=22, line=dict(width=4, color=COLORS[1]))))
    fig.update_yaxes(autorange="reversed", type="category", categoryorder="array", categoryarray=tokens)
    fig.update_xaxes(title="probability of being the next token", range=[0, min(1.0, max(shown + at_one) * 1.25)])
    fig.update_layout(legend=dict(orientation="h", y=-0.18))
    title = "Next-token distribution: softmax(logits / T)" + (", then top-k / top-p" if truncating else "")
    return styled(fig, title, height=max(360, 34 * len(tokens) + 140))
