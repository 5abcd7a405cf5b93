"""The shared formulas (components/formulas.py): the numbers a card shows equal the numbers core/ computes, read back
out of the card's text, for the functions themselves and for every panel that shows them; and w has one maximum:
every w slider ends at core.diffusion.MAX_GUIDANCE and every handler refuses a w above it."""
import re

import gradio as gr
import numpy as np
import pytest
import torch

from components.formulas import GUIDANCE_LABEL, guidance_formula, guidance_note, noising_formula, softmax_formula
from core.diffusion import MAX_GUIDANCE, add_noise, guided_noise, noise_schedule, sampling_timesteps
from core.sampling import softmax_with_temperature
from tests.handlers import bound, refuses

NUMBER = r"(−?\d+(?:\.\d+)?)"


def shape(template: str) -> str:
    """A regular expression from a card's text with @ where a number goes and % where any text goes."""
    return re.escape(template).replace("@", NUMBER).replace("%", "(.+?)")


def value(text: str) -> float:
    """A number as components.formatting.number writes it (a real minus sign)."""
    return float(text.replace("−", "-"))


def guidance_line(card: str) -> tuple[float, float, str, float, str]:
    """w, and the two coefficients with what they multiply, from a card's 'w = 3: ε̂ = 4.00 cond − 3.00 uncond'."""
    found = re.search(shape(r"w = @:\quad \hat\varepsilon = @\,% - @\,%$$"), card)
    assert found, card
    w, scale, cond, minus, uncond = found.groups()
    return value(w), value(scale), cond, value(minus), uncond


def vector(latex: str) -> np.ndarray:
    found = re.fullmatch(shape(r"\begin{pmatrix} @ \\ @ \end{pmatrix}"), latex)
    assert found, latex
    return np.array([value(x) for x in found.groups()])


def noising_numbers(card: str, x0: str = "x_0", noise: str = r"\varepsilon") -> tuple[str, float, float]:
    """The timestep and the two coefficients of the numeric side 'x_{t} = ... = 0.707 x_0 + 0.707 ε'."""
    found = re.search(r"[xz]_\{(\\text\{end\}|[^{}]+)\} = (?:[^$]*? = )?" + shape(rf"@\,{x0} + @\,{noise}"), card)
    assert found, card
    t, keep, mix = found.groups()
    return t, value(keep), value(mix)


# ---- the functions, against core/ ----

@pytest.mark.parametrize("w", [0.0, 0.5, 3.0, 7.5, MAX_GUIDANCE])
def test_the_guidance_card_shows_the_coefficients_core_applies(w):
    shown_w, scale, cond, minus, uncond = guidance_line(guidance_formula(w, condition="7"))
    one, zero = torch.tensor(1.0), torch.tensor(0.0)
    assert shown_w == w
    assert scale == pytest.approx(float(guided_noise(one, zero, w)), abs=5e-3)       # what eps_cond is multiplied by
    assert -minus == pytest.approx(float(guided_noise(zero, one, w)), abs=5e-3)      # and eps_uncond
    assert cond == r"\varepsilon_\theta(x_t, t, 7)" and uncond == r"\varepsilon_\theta(x_t, t, \varnothing)"
    assert "guidance\\_scale} = w+1" in guidance_formula() and "w = " not in guidance_formula()


def test_the_text_prompt_note_names_the_unconditional_branch():
    assert "ε(zₜ, empty)" in guidance_note() and "the empty prompt" in guidance_note()
    assert "ε(zₜ, negative)" in guidance_note("a *dog*") and r"**a \*dog\***" in guidance_note("a *dog*")
    assert "`guidance_scale` is w + 1" in guidance_note()


@pytest.mark.parametrize("schedule, t", [("linear", 0), ("linear", 500), ("cosine", 250), ("scaled-linear", 999)])
def test_the_noising_card_shows_the_mix_core_makes(schedule, t):
    _, alphas_cumprod = noise_schedule(schedule)
    shown_t, keep, mix = noising_numbers(noising_formula(float(alphas_cumprod[t]), t, symbolic=False))
    x0, eps = torch.linspace(-1, 1, 50), torch.randn(50, generator=torch.Generator().manual_seed(t))
    assert shown_t == str(t)
    torch.testing.assert_close(keep * x0 + mix * eps, add_noise(x0, eps, alphas_cumprod, t), atol=2e-3, rtol=0)
    assert noising_formula() == r"x_{t} = \sqrt{\bar\alpha_{t}}\,x_0 + \sqrt{1-\bar\alpha_{t}}\,\varepsilon"


def test_the_noising_card_with_both_sides():
    both = noising_formula(0.25, 40, x="z", x0="z_0")
    assert both == (r"z_{40} = \sqrt{\bar\alpha_{40}}\,z_0 + \sqrt{1-\bar\alpha_{40}}\,\varepsilon"
                    r" = 0.500\,z_0 + 0.866\,\varepsilon")


@pytest.mark.parametrize("temperature", [0.01, 0.7, 1.0, 2.5])
def test_the_softmax_card_shows_the_probability_torch_computes(temperature):
    logits = torch.randn(500, generator=torch.Generator().manual_seed(3)) * 4                 # (V,)
    best = int(logits.argmax())
    p = float(softmax_with_temperature(logits, temperature)[best])
    card = softmax_formula(temperature, r"p(\text{best})", float(logits[best]), over=r"_{j=1}^{500}", value=p)
    found = re.fullmatch(shape(r"p(\text{best}) = \frac{e^{@ / @}}{\sum_{j=1}^{500} e^{z_j / @}} = @"), card)
    assert found, card
    z, shown_t, again, shown_p = map(value, found.groups())
    assert z == pytest.approx(float(logits[best]), abs=5e-3) and shown_t == again == pytest.approx(temperature)
    assert shown_p == pytest.approx(float(torch.softmax(logits.double() / temperature, -1)[best]), abs=5e-4)


def test_the_softmax_card_without_temperature():
    assert softmax_formula() == r"p_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}"
    assert softmax_formula(None, "a", "s_1", "s_j") == r"a = \frac{e^{s_1}}{\sum_j e^{s_j}}"


# ---- the panels' cards, against core/ ----

def test_the_denoising_card_shows_its_steps_numbers(settings):
    from explorers.generation import denoising

    step_view, = bound(settings, (denoising.step_view,))
    _, alphas_cumprod = noise_schedule("cosine")
    timesteps = sampling_timesteps(8)
    for step in (1, 5, 8):
        card = step_view(3, 0, 8, 2.5, step)[0]
        w, scale, cond, minus, _ = guidance_line(card)
        assert (w, scale, minus) == (2.5, float(guided_noise(torch.tensor(1.0), torch.tensor(0.0), 2.5)), 2.5)
        assert cond == r"\varepsilon_\theta(x_t, t, 3)"
        t_prev, keep, mix = noising_numbers(card, r"\hat x_0", r"\hat\varepsilon")
        abar_prev = float(alphas_cumprod[timesteps[step]]) if step < 8 else 1.0        # the last step: no noise
        assert t_prev == (str(timesteps[step]) if step < 8 else r"\text{end}")
        assert (keep, mix) == pytest.approx((abar_prev ** 0.5, (1 - abar_prev) ** 0.5), abs=5e-4)


def test_the_guidance_card_shows_the_headline_weight(settings):
    from explorers.generation.guidance import digit_sweep

    card = digit_sweep.run_sweep(settings, 2, "0, 3", 2, 5, 0)[0]
    w, scale, cond, minus, _ = guidance_line(card)
    assert f"**w = {w:g}**" in card and (scale, minus) == (w + 1, w) and cond == r"\varepsilon_\theta(x_t, t, 2)"


def test_the_vector_field_card_shows_the_fields_numbers():
    from core.vector_field import field_at
    from explorers.generation.vector_field.field import DEFAULT_FIELDS, PROBE, field_view
    from models.toy_diffusion import load_toy_diffusion

    w, t = 3.0, 150
    card = field_view("moons", t, 0, w, 9, DEFAULT_FIELDS)[0]
    model = load_toy_diffusion("moons")
    at = field_at(model.network, torch.tensor([PROBE]), t, 0, w, model.no_label, model.alphas_cumprod)
    shown_w, scale, cond, minus, uncond = guidance_line(card)
    assert (shown_w, scale, minus) == (w, w + 1, w)
    np.testing.assert_allclose(vector(cond), at["cond"][0].numpy(), atol=5e-4)
    np.testing.assert_allclose(vector(uncond), at["uncond"][0].numpy(), atol=5e-4)
    guided = re.search(r"\\hat\\varepsilon = (\\begin\{pmatrix\}.+?\\end\{pmatrix\})", card).group(1)   # at the probe
    np.testing.assert_allclose(vector(guided), guided_noise(at["cond"], at["uncond"], w)[0].numpy(), atol=5e-4)
    assert noising_formula() in card and f"\\bar\\alpha_{{{t}}}" in card
    assert "w = " not in field_view("moons", t, -1, w, 9, DEFAULT_FIELDS)[0]                     # no class: no guidance line


def test_the_noising_card_shows_the_slider_t(settings):
    from explorers.generation.noising.jump import noised_view

    _, alphas_cumprod = noise_schedule("linear")
    card = noised_view("digit 3", None, 600, "linear", 0)[0]
    t, keep, mix = noising_numbers(card.split("\n\n")[1])
    abar = float(alphas_cumprod[600])
    assert t == "600" and (keep, mix) == pytest.approx((abar ** 0.5, (1 - abar) ** 0.5), abs=5e-4)
    assert noising_formula() in card


def test_the_next_token_card_shows_torchs_softmax(settings, language_model):
    from explorers.transformers.next_token import show

    show, = bound(settings, (show,))
    prompt, temperature = "The capital of France is", 0.7
    card = show(prompt, temperature, 5)[0]
    ids = language_model.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.inference_mode():
        logits = language_model.model(ids).logits[0, -1].double()                                  # (V,)
    best = int(logits.argmax())
    found = re.search(shape(r"\frac{e^{@ / @}}{\sum_{j=1}^{49,152} e^{z_j / @}} = @$$"), card)
    assert found and softmax_formula() in card, card
    z, shown_t, _, p = map(value, found.groups())
    assert z == pytest.approx(float(logits[best]), abs=5e-3) and shown_t == temperature
    assert p == pytest.approx(float(torch.softmax(logits / temperature, -1)[best]), abs=5e-4)


def test_the_attention_card_shows_torchs_softmax_of_the_scores(settings):
    from explorers.transformers.attention.heads import PRESETS, WEIGHT, attention_endpoint, view

    view, endpoint = bound(settings, (view, attention_endpoint))
    prompt, layer, head, query = PRESETS["A pronoun (coreference)"], 5, 3, 6
    card = view(prompt, layer, head, query, [])[0]
    scores = torch.tensor(endpoint(prompt, layer, head)["scores"][query][:query + 1], dtype=torch.float64)  # (q+1,)
    weights = torch.softmax(scores, -1)
    key = int(weights.argmax())
    found = re.search(shape("score @, and softmax % gives weight **@**"), card)
    assert found and WEIGHT in card, card
    assert value(found.group(1)) == pytest.approx(float(scores[key]), abs=5e-3)
    assert value(found.group(3)) == pytest.approx(float(weights[key]), abs=5e-4)


# ---- one maximum of w ----

ABOVE = f"guidance weight w must be between 0 and {MAX_GUIDANCE:g}, got {MAX_GUIDANCE + 0.5:g}"

@pytest.fixture(scope="module")
def app_blocks(settings):
    import app

    return list(app.create_app(settings).blocks.values())


def test_every_w_slider_ends_at_the_one_maximum(app_blocks):
    sliders = {b.elem_id: b for b in app_blocks if isinstance(b, gr.Slider) and "guidance" in str(b.label)}
    assert set(sliders) == {"denoising-w", "t2i-w", "vector-field-w"}
    for slider in sliders.values():
        assert (slider.minimum, slider.maximum, slider.label) == (0, MAX_GUIDANCE, GUIDANCE_LABEL), slider.elem_id
    [weights] = [b for b in app_blocks if getattr(b, "elem_id", None) == "guidance-weights"]
    assert weights.label.startswith(GUIDANCE_LABEL) and f"0 … {MAX_GUIDANCE:g}" in weights.label


def endpoints(settings):
    """Every endpoint that takes w, called with w, cheaply (few steps, one sample)."""
    from explorers.generation.denoising import denoise_endpoint
    from explorers.generation.guidance.digit_sweep import cfg_sweep_endpoint
    from explorers.generation.guidance.text import text_cfg_sweep_endpoint
    from explorers.generation.text_to_image import text_to_image_endpoint
    from explorers.generation.vector_field import sample_paths_endpoint, vector_field_endpoint

    return {"denoise": lambda w: denoise_endpoint(settings, 3, 0, 2, w),
            "cfg_sweep": lambda w: cfg_sweep_endpoint(settings, 3, [0, w], 1, 2, 0),
            "text_cfg_sweep": lambda w: text_cfg_sweep_endpoint(settings, "a red seven", [w], 1, 2, 0),
            "text_to_image": lambda w: text_to_image_endpoint(settings, "a red seven", "", w, 2, 0),
            "vector_field": lambda w: vector_field_endpoint("moons", 100, 0, w, 5),
            "sample_paths": lambda w: sample_paths_endpoint("moons", "ddim", 5, w, 0, 10, 0)}


@pytest.mark.parametrize("name", ["denoise", "cfg_sweep", "text_cfg_sweep", "text_to_image", "vector_field",
                                  "sample_paths"])
def test_every_endpoint_refuses_a_w_above_the_maximum(settings, name):
    with pytest.raises(gr.Error, match=ABOVE):
        endpoints(settings)[name](MAX_GUIDANCE + 0.5)


@pytest.mark.parametrize("name", ["denoise", "cfg_sweep", "vector_field", "sample_paths"])
def test_the_maximum_itself_is_taken(settings, name):
    result = endpoints(settings)[name](MAX_GUIDANCE)
    assert np.isfinite(np.asarray(result.get("field", result.get("paths", result.get("images", result.get("final")))),
                                  dtype=float)).all()


def test_every_panel_view_refuses_a_w_above_the_maximum(settings):
    from explorers.generation.denoising import step_view
    from explorers.generation.guidance.digit_sweep import run_sweep
    from explorers.generation.text_to_image import show_image
    from explorers.generation.vector_field.field import DEFAULT_FIELDS, field_view
    from explorers.generation.vector_field.sampling import sampling_view

    step_view, run_sweep, show_image = bound(settings, (step_view, run_sweep, show_image))
    above, words = MAX_GUIDANCE + 0.5, ABOVE
    refuses(lambda: step_view(3, 0, 5, above, 1), words)
    refuses(lambda: run_sweep(3, f"0, {above:g}", 1, 2, 0), words)
    refuses(lambda: show_image("a red seven", "", above, 2, 0), words)
    refuses(lambda: field_view("moons", 100, 0, above, 5, DEFAULT_FIELDS), words)
    refuses(lambda: sampling_view("moons", 0, above, 5, 10, 0, ["ddpm"]), words)
