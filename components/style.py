"""One plotly look for every figure: large type for the back of a lecture hall, colours that read in light and dark.

Figures sit on a white card in both of Gradio's modes, so text is dark and lines are saturated.
"""
import plotly.graph_objects as go
import plotly.io as pio

FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=16, color="#1f2937")
COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f"]
POSITIVE, NEGATIVE = "#2563eb", "#dc2626"   # weights and gradients: blue > 0, red < 0
DIVERGING = [[0.0, NEGATIVE], [0.5, "#f8fafc"], [1.0, POSITIVE]]
SEQUENTIAL = "Viridis"
# plotly_white as plotly's default template: plotly applies the default to a new figure without re-validating it
# (about 2 ms a figure), where passing template= to update_layout validates the whole template every time (about
# 28 ms here, more than a slider's whole computation). Every figure builder imports this module, so every figure
# of the app gets the look.
pio.templates.default = "plotly_white"


def styled(fig: go.Figure, title: str | None = None, height: int = 420) -> go.Figure:
    """Apply the shared look in place and return the figure."""
    fig.update_layout(
        font=FONT, height=height, colorway=COLORS,
        title=dict(text=title, font=dict(size=19), x=0.02, xanchor="left") if title else None,
        margin=dict(l=60, r=24, t=56 if title else 24, b=52),
        paper_bgcolor="white", plot_bgcolor="white",
        legend=dict(font=dict(size=14)),
    )
    return fig
