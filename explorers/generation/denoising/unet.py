"""The U-Net opened up (knowledge map: U-Net Denoising, Residual Connections): at the stepper's current x_t, each
level's feature maps read through forward hooks, and two cuts made by hooks: the skip connections (the decoder
concatenates zeros in place of the encoder's maps at that size) and the bottleneck (the mid block returns zeros).
The guess x_0_hat with and without the cut side by side, at this step and at the end of a run cut at every step,
with the difference measured and the separate digit classifier's reading. Folded: drawn when unfolded."""
import gradio as gr
import numpy as np
import torch

from components.card import LATEX
from components.diffusion_figures import IMAGE_RANGE
from components.errors import keeps_view
from components.events import bind
from components.formatting import number
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from components.unet_figures import SHOWN_CHANNELS, Level, image_table, unet_levels
from core.checks import quote, whole
from core.unet_probe import look_inside, top_channels
from explorers.generation.denoising.stepper import an, checked, trajectory
from models.device import pick_device
from models.digit_classifier import load_digit_classifier
from models.digit_diffusion import DiffusionConfig, load_digit_diffusion
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

BOTTLENECK = "bottleneck"


def up_block_sizes(config: DiffusionConfig) -> list[int]:
    """The picture's side in each up block, deepest first (16x16 digits, 3 levels: 4, 8, 16)."""
    n = len(config.block_out_channels)
    return [config.image_size // 2 ** (n - 1 - i) for i in range(n)]


def skip_name(size: int) -> str:
    return f"skips at {size}×{size}"


CUTS = [*(skip_name(size) for size in reversed(up_block_sizes(DiffusionConfig()))), BOTTLENECK]


def checked_cuts(cuts, config: DiffusionConfig) -> tuple[tuple[int, ...], bool]:
    """The cut choices -> (the up blocks whose skips are cut, whether the bottleneck is cut)."""
    cuts = [] if cuts is None else cuts
    if isinstance(cuts, str) or not isinstance(cuts, (list, tuple)):
        raise ValueError(f"The cuts are a list of choices from {', '.join(CUTS)}; got {quote(cuts)}.")
    blocks = {skip_name(size): i for i, size in enumerate(up_block_sizes(config))}
    unknown = [cut for cut in cuts if cut not in blocks and cut != BOTTLENECK]
    if unknown:
        raise ValueError(f"Unknown cut {quote(unknown[0], 30)}; choose from {', '.join(CUTS)}.")
    return tuple(sorted(blocks[cut] for cut in cuts if cut in blocks)), BOTTLENECK in cuts


def shown_levels(seen: dict, cut_skips: tuple, cut_bottleneck: bool) -> list[Level]:
    """Each level's SHOWN_CHANNELS most varied channels, as the figure draws them."""
    shown = []
    for name, feature_map in seen["maps"].items():
        channels, maps = top_channels(feature_map.float().cpu(), SHOWN_CHANNELS)
        index = int(name.partition(".")[2]) if name.startswith("up") else -1
        shown.append(Level(name, maps.numpy(), channels.tolist(), feature_map.shape[0],
                           cut=(name == "mid" and cut_bottleneck) or index in cut_skips,
                           skips=[s for _, s in seen["concatenated"].get(name, [])]))
    return shown


def concat_formula(seen: dict, top: str, mse_step: float, mse_final: float | None, pixels: int) -> str:
    """The decoder's concatenation at full size with its channel numbers, the transformer's addition beside it,
    and the measured differences (mean over the `pixels` pixels)."""
    (h, s), out = seen["concatenated"][top][0], seen["maps"][top].shape[0]
    text = ("$$\\text{U-Net skip (full size):}\\quad h \\leftarrow \\operatorname{ResNet}"
            f"\\big(\\operatorname{{concat}}[\\,h, s\\,]\\big):\\ {h} + {s} = {h + s}\\ \\text{{channels in, }}"
            f"{out}\\text{{ out}}$$\n\n"
            "$$\\text{transformer's residual stream:}\\quad x \\leftarrow x + f(x)\\quad\\text{(adds: the same width "
            "in and out)}$$")
    if mse_final is None:
        return text
    cut, intact = "\\hat x^{\\,\\text{cut}}_{0,i}", "\\hat x_{0,i}"
    return text + (f"\n\n$$\\operatorname{{MSE}}(\\hat x_0^{{\\,\\text{{cut}}}}, \\hat x_0) = \\tfrac{{1}}{{{pixels}}}"
                   f"\\textstyle\\sum_i({cut} - {intact})^2 = {number(mse_step, 4)}\\ \\text{{(this step)}},\\quad "
                   f"{number(mse_final, 4)}\\ \\text{{(final samples)}}$$")


def readings(probabilities: np.ndarray, digit: int) -> list[str]:
    """What the classifier reads in each picture: 'a **3** (p(3) = 0.98)', 'an **8** (p(3) = 0.04)'."""
    return [f"{an(int(p.argmax()))} **{int(p.argmax())}** (p({digit}) = {p[digit]:.2f})" for p in probabilities]


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def unet_view(settings: Settings, digit, seed, steps, w, step, sampler, cuts):
    """The figure of the levels, the table intact | cut | difference, the formula and the measured note."""
    digit, seed, steps, w, sampler = checked(digit, seed, steps, w, sampler)
    i, device = whole("step", step, 1, steps) - 1, str(pick_device(settings.device))
    model = load_digit_diffusion(device=device)
    cut_skips, cut_bottleneck = checked_cuts(cuts, model.config)
    run = trajectory(digit, seed, steps, w, sampler, device)
    t, x_t = run["timesteps"][i], torch.tensor(run["x_t"][i])[None, None].to(device)           # (1, 1, H, W)
    look = dict(t=t, digit=digit, w=w, no_label=model.no_label, abar_t=run["abar"][i])
    intact = look_inside(model.unet, x_t, **look)
    seen = look_inside(model.unet, x_t, **look, cut_skips=cut_skips, cut_bottleneck=cut_bottleneck)
    cut_run = trajectory(digit, seed, steps, w, sampler, device, cut_skips, cut_bottleneck)
    step_pair = [intact["x0_hat"][0, 0].cpu().numpy(), seen["x0_hat"][0, 0].cpu().numpy()]   # (H, W) each
    final_pair = [run["x0_hat"][-1], cut_run["x0_hat"][-1]]
    mse_step, mse_final = (float(np.mean((b - a) ** 2)) for a, b in (step_pair, final_pair))
    pictures = torch.tensor(np.stack(step_pair + final_pair))[:, None]                         # (4, 1, H, W)
    said = readings(load_digit_classifier().probabilities(pictures).numpy(), digit)
    what = ", ".join(cuts) if cuts else "nothing"
    levels = unet_levels(shown_levels(seen, cut_skips, cut_bottleneck), run["x_t"][i],
                         seen["eps"][0, 0].cpu().numpy(),
                         f"Inside the U-Net at step {i + 1} (t = {t}), cut: {what}")
    table = image_table([[*step_pair, step_pair[1] - step_pair[0]], [*final_pair, final_pair[1] - final_pair[0]]],
                        ["intact U-Net", f"cut: {what}", "cut − intact"],
                        [f"x̂₀ at step {i + 1}", "final sample"],
                        "x̂₀ with and without the cut, from the same xₜ",
                        zranges=[IMAGE_RANGE, IMAGE_RANGE, (-2.0, 2.0)], diverging=[False, False, True])
    top = f"up.{len(model.unet.up_blocks) - 1}"
    if not cuts:
        note = ("**Nothing cut:** the hooks only read, and x̂₀ is the stepper's (MSE 0). Tick a cut: the hooks then "
                "put zeros in its place, at this step and at every step of a run from the same noise.")
        return concat_formula(seen, top, 0.0, None, x_t.numel()), levels, table, note
    note = (f"**Cut: {what}.** At this step the classifier reads the intact x̂₀ as {said[0]}, the cut one as "
            f"{said[1]}; MSE between them **{mse_step:.4f}**. Cut at every step from the same noise, the final "
            f"sample is read as {said[3]}, the intact one as {said[2]}; MSE **{mse_final:.4f}**. (Pixels live in [−1, 1]: "
            "an MSE of 1 is a pixel half the range off on average.) Early steps decide the shape: a cut there "
            "changes more than one near the end.")
    return concat_formula(seen, top, mse_step, mse_final, x_t.numel()), levels, table, note


def unet_view_if_unfolded(settings: Settings, unfolded, *values):
    """The stepper or the cuts moved: redraw, if the fold has been opened (else nothing to do)."""
    return unet_view(settings, *values) if unfolded else gr.skip()


def build_unet_part(settings: Settings, tab: PanelFrame, stepper: dict) -> tuple[dict, Fold]:
    """The fold, following the stepper's controls; returns its link's controls and the fold."""
    with fold("The U-Net opened up: feature maps, skips, and what a cut does", "denoising-unet") as part:
        gr.Markdown(
            "The U-Net is an encoder that halves the picture twice (16×16 → 8×8 → 4×4), a bottleneck at 4×4 (with "
            "self-attention), and a decoder that doubles it back. **Skips** carry the encoder's maps at each size "
            "straight across to the decoder, which **concatenates** them with its own (more channels side by side). "
            "That is not the transformer's residual stream, which **adds** (x + f(x)): the knowledge map files both "
            "under residual connections. Cut the skips and the decoder must redraw the detail from the bottleneck "
            "alone; cut the bottleneck and it has only the skips. The figure follows the stepper's xₜ: per level the "
            f"{SHOWN_CHANNELS} of its channels that vary most over the picture (variance over the positions) in the "
            "pass with the digit, each scaled to its own largest |value|, blue > 0 > red.")
        cut = gr.CheckboxGroup(CUTS, value=[], label="cut (hooks replace these tensors with zeros)",
                               elem_id="denoising-cut")
        formula = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="denoising-unet-formula")
        note = gr.Markdown(elem_id="denoising-unet-note")
        levels = gr.Plot(label="the U-Net's levels", elem_id="denoising-unet-levels")
        table = gr.Plot(label="x̂₀ with and without the cut", elem_id="denoising-unet-compare")
        scenes([stepper["step"], cut], {
            "U-Net Denoising · nothing cut, step 3 of 20": [3, []],
            "U-Net Denoising · cut the 16×16 skips: pixels turn to noise": [3, [CUTS[0]]],
            "U-Net Denoising · cut every skip": [3, [c for c in CUTS if c != BOTTLENECK]],
            "U-Net Denoising · cut the bottleneck: the shape goes": [3, [BOTTLENECK]],
            "U-Net Denoising · the 16×16 skips cut late, at step 19": [19, [CUTS[0]]],
        }, elem_id="denoising-unet-scenes")
    inputs = [stepper[name] for name in ("digit", "seed", "steps", "w", "step", "sampler")] + [cut]
    outputs = [formula, levels, table, note]
    drawn_when_unfolded(part, tab.opened, bind(unet_view, settings), inputs, outputs, **HEAVY)
    follow = [stepper[name].change for name in ("step", "digit", "seed", "sampler")] + [cut.change] + \
        [stepper[name].release for name in ("steps", "w")]
    gr.on(follow, bind(unet_view_if_unfolded, settings), inputs=[part.unfolded, *inputs], outputs=outputs,
          trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden", **HEAVY)
    return {"cut": cut}, part
