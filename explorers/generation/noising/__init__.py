"""Forward diffusion (knowledge map: Forward Diffusion): noise any image to any t in one jump with diffusers'
own schedules, and check the jump against the step-by-step chain it replaces.

One part per module: jump.py (the one-jump formula, the upload, the GIF, /noise), chain.py (the step-by-step chain
against the jump), latent.py (the same noising in a text-to-image model's latent space)."""
import gradio as gr

from components.card import explanation_card
from components.checked_number import CheckedNumber
from components.deeplink import PanelLink, link_box
from components.formulas import NOISING_TEXT
from components.page import panel_frame
from components.scenes import scenes
from components.upload import ImageUpload
from core.checks import MAX_SEED
from core.diffusion import SCHEDULES, T
from explorers.generation.noising.chain import compare_chain
from explorers.generation.noising.jump import clean_view, noise_endpoint, noised_view, noising_gif, on_upload
from explorers.generation.noising.latent import build_latent_noising
from models.images import DIGITS, PHOTOS, UPLOAD
from models.settings import Settings

PANEL = "noising"                       # its page: /noising, and ?panel=noising in a link
TITLE = "Noising"
SUMMARY = f"{NOISING_TEXT} on a digit, a photo or your upload"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:     # drawn when opened (fast start)
        live = explanation_card(
            "Forward diffusion: from image to noise in one jump",
            "Diffusion models learn to undo noise. To make training examples, add Gaussian noise to a clean "
            "image, a little at each of T = 1000 steps, until only noise is left. There is a shortcut: any "
            "noise level t can be reached in a single jump, a weighted sum of the image and one noise sample.",
            "", "Slide t slowly: the image fades while the noise grows, along one fixed noise sample. Compare "
            "the schedules at t = 500: the linear one has destroyed the digit, the cosine one has not. Then press "
            "the step-by-step button: a different path, the same distribution.", elem_id="noising-formula", reserve=180)
        uploaded = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                choice = gr.Dropdown([*DIGITS, *PHOTOS, UPLOAD], value="digit 3", label="image",
                                     elem_id="noising-image")
                t = gr.Slider(0, T - 1, 250, step=1, label="timestep t (0 … 999)", elem_id="noising-t")
                schedule = gr.Radio(list(SCHEDULES), value="cosine", label="noise schedule (diffusers' betas)",
                                    elem_id="noising-schedule")
                seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="noise seed",
                                 elem_id="noising-seed")
                upload = ImageUpload(type="filepath", sources=["upload"], height=160, elem_id="noising-upload",
                                     label="or upload an image (any size; converted to grey)")
                note = gr.Markdown(elem_id="noising-note")
            clean_plot = gr.Plot(label="clean image", elem_id="noising-clean")
            noised_plot = gr.Plot(label="noised image", elem_id="noising-noised")
        curves = gr.Plot(label="schedule", elem_id="noising-curves")
        with gr.Row():
            chain_button = gr.Button("Noise step by step (the chain) and compare with the jump",
                                     elem_id="noising-chain-button")
            gif_button = gr.Button("Export the noising sweep as a GIF", elem_id="noising-gif-button")
        chain_text = gr.Markdown(elem_id="noising-chain-text")
        with gr.Row():
            chain_plot = gr.Plot(label="chain vs jump", elem_id="noising-chain")
            gif = gr.File(label="GIF of xₜ for t = 0 … 999", height=70, elem_id="noising-gif")
        build_latent_noising(settings, choice, uploaded, t, seed)         # only with --image-model
        inputs = [choice, uploaded, t, schedule, seed]
        scenes([choice, t, schedule, seed], {
            "Forward Diffusion · t = 0: one step of noise, still clean": ["digit 3", 0, "cosine", 0],
            "Forward Diffusion · t = 250: still readable": ["digit 3", 250, "cosine", 0],
            "Forward Diffusion · t = 500: half signal, half noise": ["digit 3", 500, "cosine", 0],
            "Forward Diffusion · t = 999: nothing but noise": ["digit 3", 999, "cosine", 0],
            "Forward Diffusion · a photo, linear schedule, t = 250": ["camera", 250, "linear", 0],
        }, elem_id="noising-scenes")
        upload.upload(on_upload, inputs=upload, outputs=[uploaded, choice, note], api_visibility="undocumented")
        gr.on([tab.opened, choice.change], clean_view, inputs=[choice, uploaded], outputs=[clean_plot, note],
              api_visibility="undocumented", show_progress="hidden")
        gr.on([tab.opened, choice.change, t.change, schedule.change, seed.change], noised_view, inputs=inputs,
              outputs=[live, noised_plot, curves], trigger_mode="always_last", api_visibility="undocumented",
              show_progress="hidden")
        chain_button.click(compare_chain, inputs=inputs, outputs=[chain_plot, chain_text],
                           api_visibility="undocumented")
        gif_button.click(noising_gif, inputs=[choice, uploaded, schedule, seed], outputs=gif,
                         api_visibility="undocumented")
        gr.api(noise_endpoint, api_name="noise")
        return link_box("noising", {"image": choice, "t": t, "schedule": schedule, "seed": seed})
