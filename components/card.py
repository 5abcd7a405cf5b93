"""The explanation card every panel opens with: intuition first, the math with live numbers second, the
example third (the knowledge map's rhythm). The numbers put into its formula are written by components/formatting.py."""
import gradio as gr

# how every formula Markdown marks its maths: $$display$$ and $inline$
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def explanation_card(title: str, intuition: str, formula: str, try_this: str, elem_id: str | None = None,
                     reserve: int | None = None) -> gr.Markdown:
    """Lay out the card; returns the formula Markdown so that handlers can substitute live numbers into it.
    elem_id names the formula block (for browser tests and deep links). reserve: the drawn formula's height in px at
    1,400 px wide (at most its height at 1,024), held from the start (on a phone not: page.css) so that the page
    below does not jump down when the numbers arrive: a click aimed at a scene button would land elsewhere."""
    with gr.Column(elem_classes=["dle-card"]):
        gr.Markdown(f"## {title}\n\n{intuition}", elem_classes=["dle-intuition"])
        live = gr.Markdown(formula, latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id=elem_id,
                           min_height=reserve)
        gr.Markdown(f"**Try this.** {try_this}", elem_classes=["dle-explanation"])
    return live


def part_opening(explanation: str, elem_id: str) -> gr.Markdown:
    """Lay out the opening of a part of a panel (below the panel's card): its explanation, then its formula, which
    is returned for the handlers' live numbers (elem_id names it)."""
    gr.Markdown(explanation, elem_classes=["dle-explanation"])
    return gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id=elem_id)
