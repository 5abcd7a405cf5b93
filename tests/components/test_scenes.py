"""Scenes from the series: every preset is a valid setting of the controls it sets, and each is labelled with
the knowledge-map card it illustrates."""
import gradio as gr
import pytest

from components.deeplink import link_text, parse_setting

CARDS = ("Weights & Bias", "Activation Functions", "Forward Pass", "Layers", "Backpropagation", "Chain Rule",
         "Token → Embedding", "Vectors & Dot Products", "Softmax", "Output: Logits → Softmax → Token",
         "Cost Function", "Gradient Descent", "SGD", "Gradient", "Attention Block", "MLP Block", "Residual Stream",
         "Forward Diffusion", "U-Net Denoising", "Classifier-Free Guidance", "CLIP", "Latent Diffusion")


@pytest.fixture(scope="module")
def scene_sets(settings):
    import app

    demo = app.create_app(settings)
    return [block for block in demo.blocks.values()
            if isinstance(block, gr.Dataset) and (block.elem_id or "").endswith("-scenes")]


def test_the_first_panels_have_scenes(scene_sets):
    names = {block.elem_id for block in scene_sets}
    assert {"neuron-scenes", "digit-network-scenes", "backprop-scenes", "embeddings-scenes", "next-scenes", "descent-scenes",
            "noising-scenes", "denoising-scenes", "guidance-scenes"} <= names


def test_every_scene_is_a_valid_setting_and_names_its_card(scene_sets):
    for block in scene_sets:
        assert block.sample_labels and len(block.sample_labels) == len(block.raw_samples), block.elem_id
        for label, sample in zip(block.sample_labels, block.raw_samples):
            assert label.split(" · ")[0] in CARDS, f"{block.elem_id}: '{label}' names no knowledge-map card"
            for component, value in zip(block._components, sample):
                parse_setting(component, link_text(value))   # raises on a value out of range or not a choice


def test_a_scene_that_runs_a_model_queues_in_the_models_slot():
    # A scene that sets the digit also fires the digit's change event: both runs must share the heavy slot, so the
    # second finds the first's cached sweep instead of sampling it again beside it.
    from components.scenes import scenes
    from server.queue import HEAVY

    def run(x):
        return x

    with gr.Blocks() as demo:
        box, out = gr.Number(), gr.Number()
        scenes([box], {"Softmax · one": [1]}, fn=run, outputs=out, **HEAVY)
    chained = [fn for fn in demo.fns.values() if fn.fn is run]
    assert len(chained) == 1 and chained[0].concurrency_id == HEAVY["concurrency_id"]
    assert chained[0].concurrency_limit == 1
