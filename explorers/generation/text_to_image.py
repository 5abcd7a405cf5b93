"""Text to image (knowledge map: Latent Diffusion (Speed), U-Net Denoising, Classifier-Free Guidance, CLIP): a
prompt becomes an image in an 8x8x4 latent, steered by cross-attention, and each word's cross-attention map shows
where it was read. The default model is the one trained here in Stable Diffusion's shape; a real Stable Diffusion
checkpoint (--image-model) runs through the same code.
"""
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.diffusion_figures import attention_overlays, colour_grid
from components.errors import keeps_view, user_errors
from components.events import bind
from components.checked_number import CheckedNumber
from components.formatting import number, wrapped
from components.formulas import GUIDANCE_LABEL, guidance_note
from components.scenes import scenes
from components.page import drawn_when_unfolded, fold, panel_frame
from core.checks import MAX_SEED, checked_prompt, in_range, whole
from core.cross_attention import cross_attention_maps, recording_cross_attention
from core.diffusion import MAX_GUIDANCE, sampling_timesteps
from core.latent import from_latent, prompt_embeddings, text_sample, to_pixels
from models.image_pipeline import BUNDLED_NAME, app_image_pipeline, default_w
from models.loading import LOAD_LOCK
from models.scene_pipeline import build_pixel_unet
from models.scenes import parse_caption
from models.settings import Settings
from server.gpu import gpu
from server.memo import shared_cache
from server.queue import HEAVY

MAX_STEPS = 100
OVERSHOOT_W = 4.0            # the scenes' model: above it, colours on a coloured background drift (its model card)
SPECIAL = ("<|startoftext|>", "<|endoftext|>")
FUNCTION_WORDS = {"a", "an", "the", "on", "and", "of", "in"}    # their maps are drawn only if nothing else is left
MAX_MAPS = 12
MAX_TIMED_RUNS = 15


def word_tokens(tokenizer, prompt: str) -> list[tuple[int, str]]:
    """(position in the padded sequence, the token as text) for the prompt's own tokens, start and end left out."""
    ids = tokenizer(prompt, truncation=True, max_length=tokenizer.model_max_length).input_ids
    tokens = tokenizer.convert_ids_to_tokens(ids)
    return [(i, token.replace("</w>", "")) for i, token in enumerate(tokens) if token not in SPECIAL]


def unknown_words(tokenizer, prompt: str) -> list[str]:
    """Words the tokenizer splits into pieces: for the scenes' model, words that never were in a caption."""
    return [word for word in prompt.lower().split() if len(tokenizer(word, add_special_tokens=False).input_ids) > 1]


def generate(settings: Settings, prompt, negative_prompt, w, steps, seed) -> dict:
    """One guided DDIM run in latent space with cross-attention recorded: the image, the final latent, the tokens
    and each token's DAAM map (averaged over heads, blocks and steps, conditional branch)."""
    prompt = checked_prompt(prompt)
    negative_prompt = "" if negative_prompt is None else str(negative_prompt)
    negative_prompt = checked_prompt(negative_prompt, "negative prompt") if negative_prompt.strip() else ""
    w = in_range("guidance weight w", w, 0, MAX_GUIDANCE)
    steps, seed = whole("steps", steps, 1, MAX_STEPS), whole("seed", seed, 0, MAX_SEED)
    return sampled(settings, prompt, negative_prompt, float(w), steps, seed)


@shared_cache(maxsize=16)   # the same seed gives the same picture: a class opening one link computes it once
def sampled(settings: Settings, prompt: str, negative_prompt: str, w: float, steps: int, seed: int) -> dict:
    pipe = app_image_pipeline(settings)
    embedded, negative = prompt_embeddings(pipe.tokenizer, pipe.text_encoder, [prompt, negative_prompt]).split(1)
    noise = torch.randn((1, *pipe.latent_shape), generator=torch.Generator().manual_seed(seed))
    noise = noise.to(pipe.device, pipe.unet.dtype)
    with recording_cross_attention(pipe.unet) as record:
        run = text_sample(pipe.unet, embedded, negative, [w], noise, pipe.alphas_cumprod, sampling_timesteps(steps))
    side = pipe.latent_shape[-1]
    maps = cross_attention_maps(record.calls, side, rows=slice(0, 1))                  # (L, side, side)
    image = to_pixels(from_latent(pipe.vae, run.final, pipe.scaling))[0]               # (S, S, 3)
    tokens = word_tokens(pipe.tokenizer, prompt)
    return {"image": image, "latent": run.final[0].float().cpu().numpy(), "maps": maps.numpy(), "tokens": tokens,
            "unknown": unknown_words(pipe.tokenizer, prompt), "prompt": prompt, "negative": negative_prompt, "w": w,
            "steps": steps, "name": pipe.name, "latent_shape": pipe.latent_shape, "image_side": pipe.image_side}


def latex_word(token: str) -> str:
    """A token inside \\text{}: letters and digits as they are, anything else (byte pieces of emoji) as ·."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "·" for ch in token)[:12] or "·"


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")                                 # 12{,}288: a LaTeX thousands separator


def attention_formula(r: dict) -> str:
    """The attention formula with one query's numbers: the latent cell where the first word's map peaks, and its
    attention over the prompt's tokens, the start token and the end/padding tokens (averaged; they sum to 1)."""
    maps, tokens = r["maps"], r["tokens"]
    c, h, w = r["latent_shape"]
    S = r["image_side"]
    head = (f"$$A = \\mathrm{{softmax}}\\Big(\\frac{{Q K^\\top}}{{\\sqrt d}}\\Big),\\quad Q = W_Q\\,h_{{\\text{{latent}}}},"
            f"\\ K = W_K\\,c_{{\\text{{text}}}},\\ V = W_V\\,c_{{\\text{{text}}}}$$\n\n$${S}\\times{S}\\times 3 = "
            f"{thousands(S * S * 3)} \\to {h}\\times{w}\\times{c} = {thousands(c * h * w)}\\ "
            f"({S * S * 3 / (c * h * w):.0f}\\times)$$")
    if not tokens:
        return head
    first, _ = tokens[0]
    row, col = np.unravel_index(int(maps[first].argmax()), maps[first].shape)
    cell = maps[:, row, col]                                                            # (L,) sums to 1
    terms = [f"\\underbrace{{{number(float(cell[i]), 2)}}}_{{\\text{{{latex_word(t)}}}}}" for i, t in tokens[:6]]
    more = " + \\dots" if len(tokens) > 6 else ""
    rest = float(cell[max(i for i, _ in tokens) + 1:].sum())                           # the end token and padding
    # two lines (a 1024 px projector in presenter mode cut one): the first three words, then the rest
    return head + (f"\n\n$$\\begin{{aligned}}\\text{{at latent cell }}({row},{col}):\\ A &= {' + '.join(terms[:3])}"
                   + (f"\\\\ &\\quad + {' + '.join(terms[3:])}" if len(terms) > 3 else "") + f"{more} + "
                   f"\\underbrace{{{number(float(cell[0]), 2)}}}_{{\\langle\\text{{start}}\\rangle}} + "
                   f"\\underbrace{{{number(rest, 2)}}}_{{\\langle\\text{{end}}\\rangle\\text{{ and padding}}}} = 1"
                   "\\end{aligned}$$")


@keeps_view
@gpu(duration=60)
def show_image(settings: Settings, prompt, negative_prompt, w, steps, seed, progress=gr.Progress()):
    progress(0.05, desc="Sampling in the latent space…")
    r = generate(settings, prompt, negative_prompt, w, steps, seed)
    picture = colour_grid(r["image"][None, None], [""], [""], wrapped(f"“{r['prompt']}”, w = {r['w']:g}", 38),
                          height=440)
    shown = [(i, t) for i, t in r["tokens"] if t not in FUNCTION_WORDS][:MAX_MAPS] or r["tokens"][:MAX_MAPS]
    overlays = (attention_overlays(r["image"], r["maps"][[i for i, _ in shown]], [t for _, t in shown])
                if shown else None)
    note = (f"{guidance_note(r['negative'])} {r['steps']} DDIM steps on a {'×'.join(map(str, r['latent_shape']))} "
            f"latent, then the VAE's decoder ({r['name']}).")
    if r["unknown"]:
        note += (f" Words the tokenizer had to split into pieces, likely never seen in training: "
                 f"**{', '.join(r['unknown'][:5])}**; the model mostly ignores them.")
    return attention_formula(r), picture, overlays, note + coloured_background_note(r)


def coloured_background_note(r: dict) -> str:
    """The scenes' model on a coloured background under strong guidance: its colours overshoot (its model card)."""
    parsed = parse_caption(r["prompt"]) if r["name"] == BUNDLED_NAME else None
    if not parsed or parsed[1] in (None, "black") or r["w"] <= OVERSHOOT_W:
        return ""
    return (f" On a {parsed[1]} background, above w = {OVERSHOOT_W:g} this small model's colours overshoot toward a "
            "brighter neighbour (a green nine on yellow often comes out teal, which the judge reads as blue): the "
            "card's \"less realistic\". Its colour is right in 97 % of such samples at w = 3 and in 84 to 91 % at "
            "w = 7.5.")


@lru_cache(maxsize=2)
def pixel_unet(pipe) -> torch.nn.Module:
    """The pipeline's U-Net rebuilt on the image's pixels, untrained (only its speed is asked), built once (under the
    models' lock: a model built while another loads can get meta weights)."""
    with LOAD_LOCK:
        unet = build_pixel_unet(dict(pipe.unet.config), pipe.image_side)
    return unet.to(pipe.device, pipe.unet.dtype).eval().requires_grad_(False)


@keeps_view
@gpu(duration=60)
def time_steps(settings: Settings, runs=5, progress=gr.Progress()):
    """One U-Net step with guidance (batch 2) in the latent space and on pixels, timed here and now (the median of
    `runs`, after one run that warms up)."""
    import time

    runs = whole("timed runs", runs, 3, MAX_TIMED_RUNS)
    pipe = app_image_pipeline(settings, progress)
    d = pipe.unet.config.cross_attention_dim
    text = torch.randn((2, pipe.tokenizer.model_max_length, d), device=pipe.device, dtype=pipe.unet.dtype)
    unet_pixels = pixel_unet(pipe)
    times = {}
    for name, unet, x in (("latent", pipe.unet, torch.randn((2, *pipe.latent_shape))),
                          ("pixels", unet_pixels, torch.randn((2, 3, pipe.image_side, pipe.image_side)))):
        x = x.to(pipe.device, pipe.unet.dtype)
        seconds = []
        with torch.inference_mode():
            for _ in range(runs + 1):
                start = time.perf_counter()
                unet(x, torch.tensor(500, device=pipe.device), encoder_hidden_states=text)
                seconds.append(time.perf_counter() - start)
        times[name] = float(np.median(seconds[1:]))                                    # the first run warms up
    c, h, w = pipe.latent_shape
    S = pipe.image_side
    return (f"**One denoising step** (batch 2: with and without the prompt), timed on this machine just now: in the "
            f"{h}×{w}×{c} latent **{1000 * times['latent']:.1f} ms**; the same U-Net (same blocks and widths, "
            f"untrained) on the {S}×{S}×3 pixels **{1000 * times['pixels']:.1f} ms**: the latent step is "
            f"**{times['pixels'] / times['latent']:.1f}× faster**, for {S * S * 3 / (c * h * w):.0f}× fewer numbers. "
            f"(median of {runs} runs each). That is why Stable Diffusion fits on a consumer GPU.")


@user_errors
@gpu(duration=60)
def text_to_image_endpoint(settings: Settings, prompt: str, negative_prompt: str = "", w: float | None = None,
                           steps: int = 30, seed: int = 0) -> dict:
    """Guided DDIM in the latent space, the negative prompt (or "") in guidance's unconditional branch: the image
    (H x W x 3 in 0..1), the prompt's tokens, and each token's cross-attention map over the latent grid (averaged
    over heads, blocks and steps; a repeated token is keyed 'token#2'). Without w, the model's default_w."""
    r = generate(settings, prompt, negative_prompt, default_w(settings) if w is None else w, steps, seed)
    keys, seen = [], {}
    for _, token in r["tokens"]:
        seen[token] = seen.get(token, 0) + 1
        keys.append(token if seen[token] == 1 else f"{token}#{seen[token]}")
    return {"image": np.round(r["image"], 4).tolist(), "tokens": [t for _, t in r["tokens"]],
            "cross_attention": {k: np.round(r["maps"][i], 5).tolist() for k, (i, _) in zip(keys, r["tokens"])}}


PANEL = "text-to-image"                       # its page: /text-to-image, and ?panel=text-to-image in a link
TITLE = "Text to image"
SUMMARY = "a prompt becomes an image in a latent, through cross-attention"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:
        formula = explanation_card(
            "Text to image: a prompt steers the denoiser through cross-attention",
            "Stable Diffusion does not denoise pixels. A VAE squeezes the image into a small latent (here 64 x 64 x 3 "
            "→ 8 x 8 x 4, 48 x fewer numbers, the same ratio as 512 x 512 x 3 → 64 x 64 x 4), the U-Net denoises "
            "the latent, and the decoder paints the result. The prompt enters through cross-attention: each "
            "position of the latent asks a query, each word of the CLIP-encoded prompt answers with a key and a "
            "value. The maps below show, for each word, where the latent listened to it.",
            "", "Look at the maps of 'a red seven on the left and a blue two on the right': 'red' and 'seven' are read "
            "on the left, where the red seven is drawn, 'blue' and 'two' on the right. Swap the sides in the prompt "
            "('a blue two on the left and a red seven on the right'): the digits and their words' maps move "
            "together. Then lower w to 0 and watch the prompt lose its grip, or raise it toward the map's typical 7-15 (those "
            "are Stable Diffusion's guidance_scale = w + 1, so w = 6-14 here) with 'a green nine on a yellow "
            "background': the green overshoots to teal. Put 'blue' in the negative "
            "prompt.",
            elem_id="t2i-formula", reserve=248)
        with gr.Row():
            prompt = gr.Textbox("a red seven on the left and a blue two on the right", label="prompt (Enter draws)",
                                scale=3, elem_id="t2i-prompt")
            negative = gr.Textbox("", label="negative prompt (replaces the empty prompt)", scale=2,
                                  elem_id="t2i-negative")
        with gr.Row():
            w = gr.Slider(0, MAX_GUIDANCE, default_w(settings), step=0.5, label=GUIDANCE_LABEL, elem_id="t2i-w")
            steps = gr.Slider(1, MAX_STEPS, 30, step=1, label="DDIM steps", elem_id="t2i-steps")
            seed = CheckedNumber(2, label="seed (the starting noise)", precision=0, minimum=0, maximum=MAX_SEED,
                             elem_id="t2i-seed")
            run = gr.Button("Draw", variant="primary", elem_id="t2i-run")
        note = gr.Markdown(elem_id="t2i-note")
        with gr.Row():
            picture = gr.Plot(label="image", elem_id="t2i-image", scale=2)
            overlays = gr.Plot(label="cross-attention per word", elem_id="t2i-maps", scale=3)
        runs, timing_part = build_timing_part(settings, tab)
        inputs, outputs = [prompt, negative, w, steps, seed], [formula, picture, overlays, note]
        scenes(inputs, {"U-Net Denoising · where is each word of a pair read?":
                        ["a red seven on the left and a blue two on the right", "", 7.5, 30, 2],
                        "Classifier-Free Guidance · w = 0: the prompt only suggests": ["a small yellow three", "", 0, 30, 15],
                        "Classifier-Free Guidance · a negative prompt: not yellow": ["a small three", "yellow", 7.5, 30, 2]},
               fn=bind(show_image, settings), outputs=outputs, elem_id="t2i-scenes", **HEAVY)
        gr.on([tab.opened, run.click, prompt.submit, negative.submit, w.release, steps.release, seed.submit],
              bind(show_image, settings), inputs=inputs, outputs=outputs, api_visibility="undocumented",
              trigger_mode="always_last", **HEAVY)
        gr.api(bind(text_to_image_endpoint, settings), api_name="text_to_image", **HEAVY)
        return link_box("text-to-image", {"prompt": prompt, "negative": negative, "w": w, "steps": steps,
                                          "seed": seed, "runs": runs}, folds=(timing_part,))


def build_timing_part(settings: Settings, tab):
    """The fold that times one step in the latent and on the pixels, drawn at its first unfolding (or by a link
    that sets its runs); returns its control and the fold."""
    with fold("How much faster is a step in the latent? Time one", "t2i-timing") as part:
        with gr.Row():
            runs = gr.Slider(3, MAX_TIMED_RUNS, 5, step=1, label="timed runs of each (the median is shown)",
                             elem_id="t2i-runs")
            timing = gr.Button("Time it again", elem_id="t2i-time", scale=0, min_width=160)
        timed = gr.Markdown(elem_id="t2i-timed")
    timer = bind(time_steps, settings)
    drawn_when_unfolded(part, tab.opened, timer, [runs], [timed], **HEAVY)
    gr.on([timing.click, runs.release], timer, inputs=runs, outputs=timed, api_visibility="undocumented", **HEAVY)
    return runs, part
