"""A panel's own page: the frame an explorer's build() lays its panel in, and the header that links the pages.

Every panel is a page of its own (app.py: `demo.route`), so the browser builds only the components of the panel the
learner opened. An explorer writes

    with panel_frame("neuron") as panel:
        ...
        gr.on([panel.opened, bias.change], update, ...)

`panel.opened` is the page's load event: the panel's opening view is computed once, when the page opens, from the
controls as the page carries them (a deep link's settings are already in the page: server/pages.py).

A part of a panel that not every visit needs (the descent page's second and third parts) is a fold: an accordion,
closed, whose figures are drawn when the learner first unfolds it, or when the page opens unfolded because its link
sets one of the fold's controls:

    with fold("The landscape of a real network", "descent-network") as network:
        ...
    drawn_when_unfolded(network, panel.opened, update, inputs, outputs)
"""
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape

import gradio as gr
from gradio.context import get_blocks_context

from components.deeplink import (PanelLink, config_value, fold_defaults, left_out_at_default, link_for, presenter_on,
                                 restore_updates, unfolded_only)
from components.tour import OLD_PANEL_IDS, current_id, tour_stop


PANEL, PANEL_HERE = ' class="dle-panel"', ' class="dle-panel dle-here" aria-current="page"'


@dataclass(frozen=True)
class PanelFrame:
    panel: str                  # the panel's link name and page path, e.g. "neuron"
    column: gr.Column           # elem_id "tab-<panel>", as when panels were tabs (page script and tests select it)
    opened: object              # the page's load event, a trigger for gr.on


@contextmanager
def panel_frame(panel: str):
    """Lay out a panel's page body; yields its PanelFrame."""
    root = get_blocks_context().root_block
    with gr.Column(elem_id=f"tab-{panel}") as column:
        yield PanelFrame(panel, column, root.load)


def nav_html(sections: list[tuple[str, list[tuple[str, str]]]], current: str) -> str:
    """The header's two rows of links: the sections (each opens its first panel) and the current section's panels.
    sections: [(section title, [(panel, panel title), ...]), ...]; current: the page's panel ('' on the landing)."""
    rows, panels_row = [], ""
    for section, panels in sections:
        here = any(panel == current for panel, _ in panels)
        marks = ' class="dle-section dle-here" aria-current="true"' if here else ' class="dle-section"'
        rows.append(f'<a{marks} href="./{panels[0][0]}">{escape(section)}</a>')
        if here:
            panels_row = "".join(f'<a{PANEL_HERE if panel == current else PANEL} href="./{panel}">{escape(title)}</a>'
                                 for panel, title in panels)
    home = '<a class="dle-home" href="./">Deep Learning Explorer</a>'
    return (f'<nav class="dle-nav" aria-label="sections">{home}{"".join(rows)}</nav>'
            + (f'<nav class="dle-panels" aria-label="panels">{panels_row}</nav>' if panels_row else ""))


JOIN_FORM = ('<form class="dle-join" action="./class/student" method="get">'
             '<label for="dle-join-code">In a class? Type the code on the lecturer\'s screen</label>'
             '<input id="dle-join-code" name="code" maxlength="12" autocomplete="off" autocapitalize="characters" '
             'spellcheck="false" placeholder="e.g. K7PQ2"><button type="submit">Join</button></form>')


def landing_html(sections: list[tuple[str, list[tuple[str, str, str, str]]]]) -> str:
    """The first page: a class's join form (class mode: the student's page, server/class_pages.py), then every panel
    with one line and a picture. sections: [(title, [(panel, panel title, one line, picture URL), ...]), ...]."""
    parts = [JOIN_FORM]
    for section, panels in sections:
        cards = "".join(
            f'<a class="dle-card-link" href="./{panel}"><img src="{escape(picture)}" alt="" loading="lazy" '
            f'width="320" height="180"><b>{escape(title)}</b><span>{escape(line)}</span></a>'
            for panel, title, line, picture in panels)
        parts.append(f'<h2 class="dle-landing-section">{escape(section)}</h2><div class="dle-cards">{cards}</div>')
    return "".join(parts)


@dataclass(frozen=True)
class Fold:
    accordion: gr.Accordion     # closed unless the page's link sets one of its controls
    unfolded: gr.Checkbox       # hidden: True once its figures are drawn (or the page opens with it unfolded)

    def holds(self, component) -> bool:
        """Whether `component` is laid out inside the fold."""
        def inside(block) -> bool:
            return any(child is component or inside(child) for child in getattr(block, "children", []))
        return inside(self.accordion)


@contextmanager
def fold(title: str, elem_id: str):
    """Lay out a closed accordion whose figures wait until it is unfolded; yields its Fold."""
    with gr.Accordion(title, open=False, elem_id=elem_id, elem_classes=["dle-fold"]) as accordion:
        yield Fold(accordion, gr.Checkbox(False, visible=False, elem_id=f"{elem_id}-unfolded"))


def drawn_when_unfolded(part: Fold, opened, handler, inputs: list, outputs: list, **event) -> None:
    """handler(*inputs) -> outputs, run when the page opens with the fold unfolded, or at the fold's first
    unfolding (not again when it is folded and unfolded: its figures are still there)."""
    def on_open(unfolded, *values):
        return handler(*values) if unfolded else gr.skip()

    def on_unfold(unfolded, *values):
        if unfolded:
            return gr.skip()
        drawn = handler(*values)
        if isinstance(drawn, dict) and drawn == gr.skip():     # refused (components/errors.keeps_view): still folded,
            return gr.skip()                                   # undrawn
        drawn = (drawn,) if len(outputs) == 1 else drawn
        complete = isinstance(drawn, tuple) and len(drawn) == len(outputs)
        return (True, *drawn) if complete else gr.skip()                    # an error: skip

    settings = dict(api_visibility="undocumented", show_progress="hidden") | event
    gr.on([opened], on_open, inputs=[part.unfolded, *inputs], outputs=outputs, **settings)
    part.accordion.expand(on_unfold, inputs=[part.unfolded, *inputs], outputs=[part.unfolded, *outputs], **settings)


@dataclass(frozen=True)
class Page:
    link: PanelLink             # the panel's controls that a link sets, and its link box
    presenter: gr.Checkbox      # presenter mode
    tour_bar: gr.HTML           # the guided tour's bar


def unfolded_by(link: PanelLink, values: dict) -> list[bool]:
    """Per fold of the panel, whether a link that sets `values` ({control: value}) opens it: it sets one of the
    fold's controls (even to its default)."""
    return [any(part.holds(control) for control in values) for part in link.folds]


def page_opener(link: PanelLink | None, tours: dict, panels: list[str]):
    """The page's load event (link None: the landing page): what a link asked for that cannot be applied is said (a
    warning; the view stays), and the link box shows the view's link. The settings themselves are already in the
    page (linked_state)."""
    def open_page(request: gr.Request):
        query = dict(request.query_params) if request is not None else {}
        query, _, problems = tour_stop(query, tours)
        panel = query.get("panel")
        if link is None:
            if panel is not None:
                problems.append(f"panel '{panel[:40]}' does not exist (panels: {', '.join(panels)})")
            for problem in problems:
                gr.Warning(problem)
            return None
        values, ignored = restore_updates(query, link)
        for problem in problems + (["Ignored in the link: " + "; ".join(ignored)] if ignored else []):
            gr.Warning(problem)
        page = request.headers.get("referer", "") if request is not None else ""
        names, shown = list(link.controls), [values.get(c, c.value) for c in link.controls.values()]
        folded = left_out_at_default(fold_defaults(link.controls, link.folds), unfolded_by(link, values))
        return link_for(page, link.panel, names, unfolded_only(names, shown, folded))
    return open_page


def page_for(pages: dict, tours: dict):
    """For server/pages.py: the page that serves a query (a tour stop's panel, ?panel=..., a renamed panel under its
    old id: ?panel=facts), None to serve it here. Asked for a path that is no page, the page that took its name
    (/facts -> residual), or None."""
    def target(page: str, query: dict):
        if page and page not in pages:
            return OLD_PANEL_IDS.get(page)
        query, _, _ = tour_stop(query, tours)
        panel = current_id(query.get("panel", ""))
        return panel if panel in pages else None
    return target


def linked_state(pages: dict, tours: dict):
    """For server/pages.py: the values a page starts with for a query: the link's settings (a tour stop's too),
    presenter mode, the tour's bar, as {component id: {prop: value}}."""
    def state(page: str, query: dict) -> dict:
        if page not in pages:
            return {}
        query, bar, _ = tour_stop(query, tours)
        values, _ = restore_updates(query, pages[page].link)
        patches = {c._id: {"value": config_value(c, v)} for c, v in values.items()}
        for part, unfolded in zip(pages[page].link.folds, unfolded_by(pages[page].link, values)):
            if unfolded:
                patches[part.accordion._id] = {"open": True}
                patches[part.unfolded._id] = {"value": True}
        if presenter_on(query):
            patches[pages[page].presenter._id] = {"value": True}
        if bar is not None:
            patches[pages[page].tour_bar._id] = {"value": bar, "visible": True}
        return patches
    return state
