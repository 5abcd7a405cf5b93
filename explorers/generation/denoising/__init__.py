"""The reverse process (knowledge map: U-Net Denoising, DDIM vs DDPM): the digit U-Net trained here predicts the
noise in x_t, a sampler turns that into a guess of the clean image x_0_hat and a slightly less noisy x_t', step
after step.

One part per module: stepper.py (the steps with DDIM or DDPM from the same noise, the GIF, /denoise), unet.py (the
U-Net opened up: its levels' feature maps, the skips and the bottleneck cut, folded) and ask.py (what it is trained
to do: the noise it finds in a real digit noised with a known noise, and the training loss across t, folded)."""
from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.page import panel_frame
from explorers.generation.denoising.ask import build_ask_part
from explorers.generation.denoising.stepper import (build_stepper, denoise_endpoint, denoising_gif, play, step_back,
                                                    step_forward, step_view, trajectory)
from explorers.generation.denoising.unet import build_unet_part
from models.settings import Settings

__all__ = ["build", "denoise_endpoint", "denoising_gif", "play", "step_back", "step_forward", "step_view",
           "trajectory"]

PANEL = "denoising"                       # its page: /denoising, and ?panel=denoising in a link
TITLE = "Denoising"
SUMMARY = "a diffusion U-Net trained here, step by step: xₜ, the noise it predicts, x̂₀; DDIM or DDPM; opened up"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:
        live = explanation_card(
            "Denoising: the U-Net at work, one step at a time",
            "Start from pure noise. At each step a U-Net looks at the noisy image and predicts the noise in it; "
            "subtracting that prediction gives a guess of the clean image x̂₀, and the next, slightly less noisy "
            "image mixes that guess with a little of the predicted noise. DDIM stops there; DDPM also adds a little "
            "fresh noise at every step. The noisy images are hard to read; the guesses x̂₀ show what the network "
            "believes at each step.",
            "Press a step: the formula fills in with that step's numbers.", "Step from 1 to the end and watch x̂₀: "
            "blurry average digit first, details last. Switch the sampler to DDPM with the same seed: the same "
            "starting noise, a different digit. Try guidance w = 0 and w = 8. Then open the U-Net and cut its "
            "skips, and ask it to find the noise in a real digit.", elem_id="denoising-formula", reserve=275)
        stepper = build_stepper(settings, tab, live)
        unet_links, unet_part = build_unet_part(settings, tab, stepper)
        ask_links, ask_part = build_ask_part(settings, tab)
        return link_box(PANEL, {**stepper, **unet_links, **ask_links}, folds=(unet_part, ask_part))

