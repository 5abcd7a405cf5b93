"""Every widget range that depends on the language model comes from that model's config: the app opened with a
tiny random GPT-2 of another shape (3 layers x 5 heads, saved here, no download) builds its sliders from it, and its
handlers accept exactly that range."""
from dataclasses import replace

import gradio as gr
import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

import app
from components.events import bind
from explorers.transformers.attention import attention_endpoint
from explorers.transformers.residual import logit_lens_endpoint
from models.language import ModelShape, language_model_shape

LAYERS, HEADS = 3, 5


@pytest.fixture(scope="module")
def tiny_settings(tmp_path_factory, settings, language_model):
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=language_model.vocab_size, n_embd=40, n_layer=LAYERS,
                                       n_head=HEADS, n_positions=128))
    model.save_pretrained(folder)
    language_model.tokenizer.save_pretrained(folder)
    model.set_attn_implementation("eager")                   # the reference returns its attention weights
    return replace(settings, language_model=str(folder)), model.eval()


def widgets(demo) -> dict:
    return {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}


def test_the_shape_is_read_from_the_config_alone(tiny_settings, settings):
    assert language_model_shape(tiny_settings[0]) == ModelShape(LAYERS, HEADS, HEADS)
    assert language_model_shape(settings) == ModelShape(30, 9, 3)          # the bundled SmolLM2


def test_the_page_is_built_with_the_models_ranges(tiny_settings, settings):
    built = widgets(app.create_app(tiny_settings[0]))
    assert built["attention-layer"].maximum == LAYERS - 1 and built["attention-head"].maximum == HEADS - 1
    assert built["residual-layer"].maximum == LAYERS - 1
    assert [value for _, value in built["attention-overlay"].choices] == [str(h) for h in range(HEADS)]
    bundled = widgets(app.create_app(settings))
    assert bundled["attention-layer"].maximum == 29 and bundled["attention-head"].maximum == 8


def test_the_handlers_take_exactly_the_models_range(tiny_settings, language_model):
    settings, model = tiny_settings
    endpoint = bind(attention_endpoint, settings)
    prompt = "The cat sat on the mat"
    result = endpoint(prompt, LAYERS - 1, HEADS - 1)
    ids = torch.tensor([language_model.tokenizer(prompt, add_special_tokens=False).input_ids])
    with torch.inference_mode():
        reference = model(ids, output_attentions=True).attentions[LAYERS - 1][0, HEADS - 1]
    np.testing.assert_allclose(result["pattern"], reference.numpy(), atol=1e-6)
    with pytest.raises(gr.Error, match=f"layer must be between 0 and {LAYERS - 1}"):
        endpoint(prompt, LAYERS, 0)
    with pytest.raises(gr.Error, match=f"head must be between 0 and {HEADS - 1}"):
        endpoint(prompt, 0, HEADS)
    lens = bind(logit_lens_endpoint, settings)(prompt, "")
    assert len(lens["layers"]) == LAYERS + 1                 # the embedding, then one row per block


def test_the_series_tour_is_left_out_when_its_stops_do_not_fit_the_model(tiny_settings, caplog):
    """The series tour names SmolLM2's layer 18: with a 3-layer model the app starts without it and says why."""
    import app

    with caplog.at_level("WARNING"):
        app.create_app(tiny_settings[0])
    assert "Tour left out: tour 'series'" in caplog.text and "layer='18'" in caplog.text
