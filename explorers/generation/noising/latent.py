"""The latent-space part of the Noising tab (knowledge map: Latent Diffusion), shown only when a text-to-image model
is configured (--image-model; see models/image_pipeline.py): image -> VAE latent -> noise -> decode, with the sizes."""
import gradio as gr
import numpy as np
import torch

from components.diffusion_figures import colour_grid
from components.formulas import noising_formula
from components.network_figures import tile_images
from components.errors import keeps_view, user_errors
from components.events import bind
from core.checks import MAX_SEED, quote, whole
from core.diffusion import T, add_noise
from core.latent import from_latent, to_latent, to_pixels
from models.images import DIGITS, PHOTOS, colour_image
from models.image_pipeline import app_image_pipeline, image_model_name, shown_name
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

LATENT_RANGE = 3.0       # latent values are shown from -3 to 3 (they are roughly unit Gaussian)


def resized(image: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image

    pixels = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).resize((side, side), Image.BICUBIC)
    return np.asarray(pixels, dtype=np.float32) / 255.0                                  # (side, side, 3)


def latent_picture(latent: torch.Tensor, side: int) -> np.ndarray:
    """(C, h, w) latent -> its channels tiled two a row as a grey (side, side, 3) picture in [0, 1]."""
    from PIL import Image

    tiled = tile_images(latent.float().cpu().numpy(), columns=2, gap=0, fill=0.0)        # (2h, 2w) for 4 channels
    grey = np.clip((tiled + LATENT_RANGE) / (2 * LATENT_RANGE), 0, 1)
    grey = np.asarray(Image.fromarray((grey * 255).astype(np.uint8)).resize((side, side), Image.NEAREST)) / 255.0
    return np.repeat(grey[..., None], 3, axis=2)


def noised_latent(settings: Settings, choice, uploaded, t, seed) -> dict:
    t, seed = whole("t", t, 0, T - 1), whole("seed", seed, 0, MAX_SEED)
    pipe = app_image_pipeline(settings)
    image, note = colour_image(choice, uploaded)
    side = pipe.image_side
    x0 = torch.tensor(resized(image, side)).permute(2, 0, 1)[None] * 2 - 1                # (1, 3, S, S)
    x0 = x0.to(pipe.device, pipe.vae.dtype)
    z0 = to_latent(pipe.vae, x0, pipe.scaling)                                            # (1, C, h, w)
    eps = torch.randn(z0.shape, generator=torch.Generator().manual_seed(seed)).to(z0.device, z0.dtype)
    z_t = add_noise(z0, eps, pipe.alphas_cumprod.to(z0.device), t)
    decoded = from_latent(pipe.vae, torch.cat([z0, z_t]), pipe.scaling)                   # (2, 3, S, S)
    abar = float(pipe.alphas_cumprod[t])
    return {"x0": to_pixels(x0)[0], "round_trip": to_pixels(decoded[:1])[0], "decoded": to_pixels(decoded[1:])[0],
            "latent": z_t[0], "latent_shape": tuple(z0.shape[1:]), "image_shape": (side, side, 3), "t": t,
            "alpha_bar": abar, "sqrt_alpha_bar": abar ** 0.5, "note": note, "name": pipe.name}


@keeps_view
@gpu(duration=60)
def latent_view(settings: Settings, choice, uploaded, t, seed):
    r = noised_latent(settings, choice, uploaded, t, seed)
    C, h, w = r["latent_shape"]
    pixels, values = int(np.prod(r["image_shape"])), C * h * w
    side = r["image_shape"][0]
    figure = colour_grid(np.stack([r["x0"], r["round_trip"], latent_picture(r["latent"], side), r["decoded"]])[None],
                         ["x (the image)", "D(E(x)): the VAE round trip", f"zₜ: the {C} latent channels",
                          "D(zₜ): decoded"], [""], f"Latent diffusion with {r['name']}", height=360)
    text = (f"$$z_0 = s\\,E(x):\\ {side}\\times{side}\\times 3 = {pixels:,} \\text{{ numbers}} \\;\\to\\; "
            f"{h}\\times{w}\\times{C} = {values:,}\\ \\ ({pixels / values:.0f}\\times \\text{{ fewer}})$$\n\n"
            f"$${noising_formula(r['alpha_bar'], r['t'], x='z', x0='z_0', symbolic=False)}"
            f"\\qquad x_{{{r['t']}}} = D(z_{{{r['t']}}}/s)$$"
            f"\n\nThe noise is added to the latent, with the checkpoint's own schedule (not the schedule above); "
            f"the decoder turns noisy latents into structured blotches, not pixel snow. Image: {r['note']}.")
    return text, figure


@user_errors
def latent_noise_endpoint(settings: Settings, image: str, t: int, seed: int = 0) -> dict:
    """A bundled image (digit 0 … digit 9 or a scikit-image photo) through the VAE, noised to t in latent space."""
    if image not in DIGITS and image not in PHOTOS:
        raise ValueError(f"Unknown image {quote(image)}; choose digit 0 … digit 9 or one of {', '.join(PHOTOS)}.")
    r = noised_latent(settings, image, None, t, seed)
    return {"latent_shape": list(r["latent_shape"]), "image_shape": list(r["image_shape"]), "t": r["t"],
            "sqrt_alpha_bar": r["sqrt_alpha_bar"], "decoded": np.round(r["decoded"], 4).tolist()}


def build_latent_noising(settings: Settings, choice, uploaded, t, seed) -> None:
    """Inside the Noising tab: the same image, t and seed, in the configured model's latent space."""
    name = image_model_name(settings)
    if not name:
        return
    with gr.Accordion(f"Latent diffusion: the same noising in the latent space of {shown_name(name)}", open=False,
                      elem_id="noising-latent"):
        button = gr.Button("Encode, noise at this t, decode", elem_id="noising-latent-button")
        text = gr.Markdown(elem_id="noising-latent-text")
        figure = gr.Plot(label="latent noising", elem_id="noising-latent-plot")

    button.click(bind(latent_view, settings), inputs=[choice, uploaded, t, seed], outputs=[text, figure],
                 api_visibility="undocumented", **HEAVY)
    gr.api(bind(latent_noise_endpoint, settings), api_name="latent_noise", **HEAVY)


