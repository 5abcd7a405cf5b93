"""The formulas that several cards show, each written in one place: classifier-free guidance, forward noising and
softmax, as LaTeX for a card's formula block (and as plain text for a note), with the live numbers substituted.
The maths itself lives in core/ (core.diffusion.guided_noise, core.diffusion.add_noise, core.sampling); these only
say it. Plain functions, no gradio: the panels put the text into their cards."""
from components.formatting import as_plain, number, significant

# the guidance weight's slider label, the same on every panel (diffusers' guidance_scale is w + 1)
GUIDANCE_LABEL = "guidance weight w (guidance_scale = w + 1)"

# forward noising in a sentence or a summary line
NOISING_TEXT = "xₜ = √ᾱₜ·x₀ + √(1−ᾱₜ)·ε"


def guidance_formula(w: float | None = None, condition: str = "c", cond: str | None = None,
                     uncond: str | None = None) -> str:
    r"""Classifier-free guidance (core.diffusion.guided_noise) as a card shows it, in $$ blocks:

        ε̂ = (w+1) ε_θ(x_t, t, c) − w ε_θ(x_t, t, ∅)      (diffusers: guidance_scale = w+1)

    and, given w, a second line with its numbers: w = 3: ε̂ = 4.00 ε_θ(x_t, t, c) − 3.00 ε_θ(x_t, t, ∅), where c
    is `condition` (a digit, a class name as LaTeX) and cond / uncond replace the two predictions by their values
    (the vector field's arrows, as LaTeX)."""
    text = (r"$$\hat\varepsilon = (w+1)\,\varepsilon_\theta(x_t, t, c) - w\,\varepsilon_\theta(x_t, t, \varnothing)"
            r"\qquad(\text{diffusers: guidance\_scale} = w+1)$$")
    if w is None:
        return text
    cond = rf"\varepsilon_\theta(x_t, t, {condition})" if cond is None else cond
    uncond = r"\varepsilon_\theta(x_t, t, \varnothing)" if uncond is None else uncond
    return text + (f"\n\n$$w = {significant(w, 4)}:\\quad \\hat\\varepsilon = {number(w + 1, 2)}\\,{cond} - "
                   f"{number(w, 2)}\\,{uncond}$$")


def guidance_note(negative: str = "") -> str:
    """Guidance with a text prompt, for a Markdown note: the formula, and what its unconditional branch reads (the
    negative prompt if there is one, else the empty prompt)."""
    reads = f"the negative prompt **{as_plain(negative)}**" if negative else "the empty prompt"
    return (f"ε̂ = (w + 1)·ε(zₜ, prompt) − w·ε(zₜ, {'negative' if negative else 'empty'}) (diffusers' "
            f"`guidance_scale` is w + 1): the unconditional branch reads {reads}.")


def noising_formula(alpha_bar: float | None = None, t: int | str = "t", x: str = "x", x0: str = "x_0",
                    noise: str = r"\varepsilon", symbolic: bool = True) -> str:
    r"""Forward noising (core.diffusion.add_noise) as LaTeX, without the $$ (a card adds its own neighbours):

        x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε   and, given ᾱ_t,   = 0.707 x_0 + 0.707 ε

    t: the timestep's number or symbol; x, x0, noise: the names of the noised and clean samples and of the noise
    (z for a latent, \hat x_0 and \hat\varepsilon in a DDIM step); symbolic=False: the numbers alone."""
    sides = [f"{x}_{{{t}}}"]
    if symbolic:
        sides.append(rf"\sqrt{{\bar\alpha_{{{t}}}}}\,{x0} + \sqrt{{1-\bar\alpha_{{{t}}}}}\,{noise}")
    if alpha_bar is not None:
        sides.append(rf"{number(alpha_bar ** 0.5)}\,{x0} + {number((1 - alpha_bar) ** 0.5)}\,{noise}")
    return " = ".join(sides)


def softmax_formula(temperature: float | str | None = "T", output: str = "p_i", logit: float | str = "z_i",
                    others: str = "z_j", over: str = "_j", value: float | None = None) -> str:
    r"""Softmax as LaTeX, without the $$: output = e^{logit / T} / Σ_over e^{others / T} [= value].

    temperature: a number, a symbol, or None for none (attention's scores are already divided by √d); logit: the
    top's symbol or its number (two decimals); over: the sum's limits as LaTeX ("_j", "_{j=1}^{49,152}"); value:
    the probability it comes to (three decimals)."""
    scale = "" if temperature is None else f" / {temperature if isinstance(temperature, str) else f'{temperature:g}'}"
    top = logit if isinstance(logit, str) else f"{logit:.2f}"
    text = rf"{output} = \frac{{e^{{{top}{scale}}}}}{{\sum{over} e^{{{others}{scale}}}}}"
    return text if value is None else f"{text} = {value:.3f}"
