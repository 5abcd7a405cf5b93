"""Diffusion as a vector field (knowledge map: Forward Diffusion, U-Net Denoising, Classifier-Free Guidance, and the
Gradient card's "CFG score matching"): on 2-D toy data the learned noise prediction is an arrow at every point (the
score, a gradient), the samplers are paths through that field, and guidance is field arithmetic.

One part per module: field.py (the score and the implicit classifier's field, their card's numbers, /vector_field),
sampling.py (DDPM, DDIM and DDPM without its noise, their distances to the data, the guidance sweep,
/sample_paths)."""
import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.formulas import GUIDANCE_LABEL
from components.page import panel_frame
from components.scenes import scenes
from core.diffusion import MAX_GUIDANCE, T
from core.toy_data import DATASETS
from explorers.generation.vector_field.field import (DEFAULT_FIELDS, FIELDS, MAX_GRID, NO_CLASS, class_choices,
                                                     field_view, vector_field_endpoint)
from explorers.generation.vector_field.sampling import build_sampling_part, sample_paths_endpoint
from models.settings import Settings

PANEL = "vector-field"                       # its page: /vector-field, and ?panel=vector-field in a link
TITLE = "Vector field"
SUMMARY = "diffusion in 2-D, where every prediction is an arrow: the score, a gradient"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:     # drawn when opened
        live = explanation_card(
            "Diffusion as a vector field",
            "In two dimensions every point of the noise predictor's input is a point of the plane, so its prediction "
            "is an arrow: −ε̂/√(1−ᾱₜ) is the gradient ∇ log pₜ (the score), pointing from where a noisy point is "
            "toward where the data is dense. Sampling follows the arrows from noise back to the data. With a class, "
            "the difference of the class's field and no class's is a classifier's gradient, and guidance adds it "
            "w + 1 times to the unconditional field.",
            "", "Slide t from 999 down: at large t every arrow is short and points to the middle of everything, at "
            "small t the arrows grow long (one scale for every t, said under the title) and lead into the fine "
            "structure. Pick the moons, a class, tick the implicit classifier, and raise w: the guided arrow is "
            "the no-class arrow plus w + 1 classifier arrows (the card's numbers at ◆).",
            elem_id="vector-field-formula", reserve=216)
        with gr.Row():
            dataset = gr.Radio(list(DATASETS), value="spiral", label="data set", elem_id="vector-field-dataset")
            label = gr.Dropdown(class_choices(), value=NO_CLASS, label="class (the moons and the clusters have them)",
                                elem_id="vector-field-class")
            grid_size = gr.Slider(5, MAX_GRID, 25, step=1, label="arrows per side", elem_id="vector-field-grid")
        with gr.Row():
            t = gr.Slider(0, T - 1, 300, step=1, label="timestep t (0 … 999)", elem_id="vector-field-t")
            w = gr.Slider(0, MAX_GUIDANCE, 3, step=0.5, label=GUIDANCE_LABEL, elem_id="vector-field-w")
            fields = gr.CheckboxGroup([(name, key) for key, name in FIELDS.items()], value=DEFAULT_FIELDS,
                                      label="fields drawn (with a class)", elem_id="vector-field-fields")
        with gr.Row():
            cloud = gr.Plot(label="forward process", elem_id="vector-field-cloud")
            field = gr.Plot(label="the learned field", elem_id="vector-field-arrows")
        field_inputs = [dataset, t, label, w, grid_size, fields]
        scenes(field_inputs, {
            "Forward Diffusion · the spiral noised to t = 300": ["spiral", 300, NO_CLASS, 0, 25, DEFAULT_FIELDS],
            "Gradient · at t = 900 the arrows point to the middle": ["spiral", 900, NO_CLASS, 0, 25, DEFAULT_FIELDS],
            "Gradient · at t = 20 into the fine structure": ["spiral", 20, NO_CLASS, 0, 25, DEFAULT_FIELDS],
            "Classifier-Free Guidance · upper moon, w = 3: three fields": ["moons", 150, 0, 3, 25, DEFAULT_FIELDS],
            "Gradient · guided = no class + (w+1) × classifier": ["moons", 150, 0, 3, 15,
                                                                   ["uncond", "classifier", "guided"]],
            "Forward Diffusion · a 3's strokes at t = 100": ["digit 3", 100, NO_CLASS, 0, 25, DEFAULT_FIELDS],
        }, elem_id="vector-field-scenes")
        gr.on([tab.opened, *[c.change for c in field_inputs]], field_view, inputs=field_inputs,
              outputs=[live, cloud, field], trigger_mode="always_last", api_visibility="undocumented",
              show_progress="hidden")
        gr.Markdown("### Sampling: paths through the field")
        controls = build_sampling_part(tab, dataset, label, w)
        gr.api(vector_field_endpoint, api_name="vector_field")
        gr.api(sample_paths_endpoint, api_name="sample_paths")
        return link_box(PANEL, {"data": dataset, "t": t, "class": label, "w": w, "grid": grid_size, "fields": fields,
                                **controls})
