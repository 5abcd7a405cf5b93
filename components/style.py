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
# The look is plotly's default template (plotly_white plus the settings below): plotly applies the default to a new
# figure without validating it, where setting the same values on each figure validates them every time (passing
# template= cost about 28 ms a figure; the font, colours, margins and legend set one by one about 6 ms). Every figure
# builder imports this module, so every figure of the app gets the look.
LOOK = go.layout.Template(pio.templates["plotly_white"])
LOOK.layout.update(font=FONT, colorway=COLORS, margin=dict(l=60, r=24, t=56, b=52), paper_bgcolor="white",
                   plot_bgcolor="white", legend=dict(font=dict(size=14)),
                   title=dict(font=dict(size=19), x=0.02, xanchor="left"))
pio.templates["deep-learning-explorer"] = LOOK
pio.templates.default = "deep-learning-explorer"


def styled(fig: go.Figure, title: str | None = None, height: int = 420) -> go.Figure:
    """The figure's title and height (the rest of the look is the default template); in place, returned."""
    if title:
        fig.update_layout(height=height, title_text=title)
    else:
        fig.update_layout(height=height, margin_t=24)
    return fig


def copy_figure(fig: go.Figure) -> go.Figure:
    """A new figure equal to fig, to change without touching fig (a cached base figure, say). go.Figure(fig) would
    validate fig's copy of the whole template again (about 12 ms); built from fig's dict without it, the copy gets
    the default template unvalidated, like any new figure (about 3 ms). Only for figures with the default look."""
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    return go.Figure(data=fig.data, layout=layout)                  # the traces are copied, their arrays kept as such
