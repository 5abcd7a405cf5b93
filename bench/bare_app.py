"""The floor for bench/bench_page_load.py: the smallest page that does what a panel does (one small plotly figure in a
gr.Plot, one slider whose change redraws it), with the app's theme and the same launch (port from
GRADIO_SERVER_PORT, analytics off).

    GRADIO_SERVER_PORT=7861 .venv/bin/python bench/bare_app.py
"""
import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"            # before gradio is imported, as app.py does

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import plotly.graph_objects as go  # noqa: E402


def figure(frequency: float) -> go.Figure:
    x = np.linspace(0, 2 * np.pi, 50)
    fig = go.Figure(go.Scatter(x=x, y=np.sin(frequency * x), mode="lines"))
    fig.update_layout(height=300, margin=dict(l=30, r=10, t=10, b=30))
    return fig


with gr.Blocks(title="bare", analytics_enabled=False) as demo:
    plot = gr.Plot(figure(1.0), elem_id="bare-plot")
    slider = gr.Slider(0.5, 5, 1.0, step=0.5, label="frequency", elem_id="bare-slider")
    slider.change(figure, slider, plot)

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", theme=gr.themes.Default(text_size="lg"))
