"""The shared look: every new figure gets it through the default template, and copy_figure keeps it."""
import json

import numpy as np
import plotly.graph_objects as go

from components.diffusion_figures import image_figure, schedule_curves
from components.style import FONT, copy_figure, styled
from core.diffusion import noise_schedule


def as_json(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def test_a_new_figure_has_the_apps_look():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0]))
    assert fig.layout.template.layout.font.size == FONT["size"]
    assert fig.layout.template.layout.font.family == FONT["family"]


def test_a_copy_equals_the_figure_and_changing_it_leaves_the_original_alone():
    fig = styled(go.Figure(go.Heatmap(z=np.arange(6.0).reshape(2, 3))), "original", height=300)
    fig.add_annotation(x=1, y=1, text="a note")
    before = as_json(fig)
    copy = copy_figure(fig)
    assert as_json(copy) == before == as_json(go.Figure(fig))          # the same figure, template included
    assert isinstance(copy.data[0].z, np.ndarray)                      # arrays stay arrays (not base64 dicts)
    copy.data[0].z = np.zeros((2, 3))
    copy.layout.title.text = "changed"
    copy.layout.annotations[0].update(text="another note")
    copy.add_trace(go.Scatter(x=[0], y=[0]))
    assert as_json(fig) == before and as_json(copy) != before


def test_the_cached_bases_survive_many_slider_moves():
    """image_figure and schedule_curves copy a cached base: one move must not leak into the next."""
    _, alphas_cumprod = noise_schedule("cosine")
    alphas_cumprod = alphas_cumprod.numpy()
    first = as_json(schedule_curves(alphas_cumprod, 100, "cosine"))
    for t in (500, 999, 0):
        schedule_curves(alphas_cumprod, t, "cosine")
    assert as_json(schedule_curves(alphas_cumprod, 100, "cosine")) == first
    assert first["data"][3]["x"] == [100, 100] and first["layout"]["annotations"][0]["text"] == "t = 100"
    image = image_figure(np.full((4, 4), 0.5), "a grey square")
    image_figure(np.zeros((4, 4)), "a black square")
    assert np.allclose(np.asarray(image.data[0].z, dtype=float), 0.5) and image.layout.title.text == "a grey square"
    assert as_json(image_figure(np.full((4, 4), 0.5), "a grey square")) == as_json(image)
