"""Fixtures the panels' tests share: a tiny random Stable Diffusion pipeline (noising's and guidance's latent parts,
text to image) and the app's scene buttons."""
from dataclasses import replace

import gradio as gr
import pytest

from tests.tiny_pipeline import tiny_pipeline


@pytest.fixture(scope="session")
def folder(tmp_path_factory):
    """A tiny random Stable Diffusion pipeline saved with save_pretrained (no download)."""
    return tiny_pipeline(tmp_path_factory.mktemp("tiny-sd-panels"))


@pytest.fixture(scope="session")
def sd_settings(settings, folder):
    """The app's settings with that pipeline as its image model (--image-model <folder>)."""
    return replace(settings, image_model=str(folder))


@pytest.fixture(scope="session")
def app_scene(settings):
    """app_scene(panel, start): the values the app's one scene button of `panel` (its elem_id, e.g. "descent-scenes")
    whose label starts with `start` sets, read from the app itself (a changed scene cannot silently break a claim)."""
    import app

    demo = app.create_app(settings)
    scenes = {block.elem_id: dict(zip(block.sample_labels, block.raw_samples)) for block in demo.blocks.values()
              if isinstance(block, gr.Dataset) and (block.elem_id or "").endswith("-scenes")}

    def find(panel: str, start: str):
        matches = [sample for label, sample in scenes[panel].items() if label.startswith(start)]
        assert len(matches) == 1, f"{panel}: no single scene starts with {start!r}"
        return matches[0]
    return find
