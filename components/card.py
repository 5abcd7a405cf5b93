"""The explanation card every panel opens with: intuition first, the math with live numbers second, the
example third (the knowledge map's rhythm)."""
import gradio as gr

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def explanation_card(title: str, intuition: str, formula: str, try_this: str, elem_id: str | None = None) -> gr.Markdown:
    """Lay out the card; returns the formula Markdown so that handlers can substitute live numbers into it.
    elem_id names the formula block (for browser tests and deep links)."""
    with gr.Column(elem_classes=["dle-card"]):
        gr.Markdown(f"## {title}\n\n{intuition}", elem_classes=["dle-intuition"])
        live = gr.Markdown(formula, latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id=elem_id)
        gr.Markdown(f"**Try this.** {try_this}", elem_classes=["dle-explanation"])
    return live


def number(value: float, digits: int = 3) -> str:
    """A number for a formula: fixed decimals, a real minus sign, no '-0.000'."""
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = f"{0:.{digits}f}"
    return text.replace("-", "−") if text.startswith("-") else text
