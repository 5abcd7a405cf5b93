"""Deep links: a panel's page and main settings as an address (/neuron?f=relu&b=2), restored on load.

An explorer ends its build() with `return link_box("neuron", {"bias": bias_slider, ...})`: that lays out a
"link to this view" box that follows the controls, and tells the app which controls a link may set.
The address bar is not rewritten as controls move (server/assets/scripts/presenter.js says why): the link box is
the view's URL.
"""
import math
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import gradio as gr


MAX_TEXT = 500          # a text setting in a link is cut to this many characters


@dataclass(frozen=True)
class PanelLink:
    panel: str                                  # the panel's tab id, e.g. "neuron"
    controls: dict                              # query parameter -> the Gradio control it sets
    box: gr.Textbox                             # the panel's "link to this view" box
    folds: tuple = ()                           # its parts drawn when unfolded (components.page.Fold)


def _choices(component) -> list:
    return [c[1] if isinstance(c, (tuple, list)) else c for c in (getattr(component, "choices", None) or [])]


def parse_setting(component, raw: str):
    """The value a link's text sets on a control, or a ValueError saying what is allowed."""
    if isinstance(component, gr.Checkbox):
        if raw.lower() not in ("1", "0", "true", "false", "on", "off"):
            raise ValueError("must be 1 or 0")
        return raw.lower() in ("1", "true", "on")
    if isinstance(component, (gr.Slider, gr.Number)):
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
        low, high = getattr(component, "minimum", None), getattr(component, "maximum", None)
        if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"must be a number between {low:g} and {high:g}" if low is not None else "must be finite")
        return value
    if isinstance(component, gr.CheckboxGroup):           # a comma-separated list of its choices
        choices = {str(choice): choice for choice in _choices(component)}
        picked = [part.strip() for part in raw.split(",") if part.strip()]
        unknown = [part for part in picked if part not in choices]
        if unknown:
            raise ValueError(f"must be a comma-separated list of {', '.join(choices)}")
        return [choices[part] for part in picked]
    if isinstance(component, gr.Dropdown) and component.allow_custom_value and not _choices(component):
        return raw[:MAX_TEXT]       # built without choices, it gets them with the view: its handler checks the text
    if isinstance(component, (gr.Radio, gr.Dropdown)):
        choices = _choices(component)
        for choice in choices:
            if str(choice) == raw:
                return choice
        raise ValueError(f"must be one of {', '.join(map(str, choices))}")
    return raw[:MAX_TEXT]


def bounded_slider(value, top: int) -> gr.Slider:
    """A slider's new maximum `top` (its range follows another control); the value is sent only when it must shrink
    into the range. On a link's page load the other control's change event can read this slider before the link has
    set it, and sending that stale value back would undo the link."""
    return gr.Slider(maximum=top, value=top) if int(value or 0) > top else gr.Slider(maximum=top)


def link_text(value) -> str:
    """A control's value as a link writes it: 1 / 0 for a box, 4 rather than 4.0 for a whole number."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ",".join(map(link_text, value))
    return str(value)


def link_for(page_url: str, panel: str, names: list[str], values: list) -> str:
    """The panel's page address with its settings as the query (/neuron?f=relu&b=2; presenter kept). page_url is the
    address of a page of this app (any page: the panel's page replaces its last part)."""
    parts = urlsplit(page_url or "/")
    kept = [kv for kv in parts.query.split("&") if kv.startswith("presenter=")]
    query = urlencode({n: link_text(v) for n, v in zip(names, values) if v is not None})
    path = parts.path.rsplit("/", 1)[0] + "/" + panel
    return urlunsplit((parts.scheme, parts.netloc, path, "&".join(q for q in [query, *kept] if q), ""))


def link_follower(panel: str, names: list[str], per_fold: tuple = ()):
    """The handler that rewrites a panel's link when a control moves (the page's own address comes from the
    request's referer, so the link works behind a Space's proxy too). per_fold: fold_defaults of the panel's folds;
    the handler's values are the controls', then one flag per fold (unfolded: drawn), see left_out_at_default."""
    def follow_link(request: gr.Request, *values):
        page = request.headers.get("referer", "") if request is not None else ""
        controls, unfolded = values[:len(names)], values[len(names):]
        return link_for(page, panel, names, unfolded_only(names, controls, left_out_at_default(per_fold, unfolded)))
    return follow_link


def fold_defaults(controls: dict, folds: tuple) -> tuple[dict, ...]:
    """Per fold, {name: default} of the link's controls laid out inside it."""
    return tuple({name: control.value for name, control in controls.items() if f.holds(control)} for f in folds)


def left_out_at_default(per_fold: tuple, unfolded) -> dict:
    """{name: default} of the controls a link leaves out while they hold their default: those of every fold not
    unfolded (one flag per fold; a missing flag is folded). A link that sets one unfolds its fold (and draws it), so
    a copied link unfolds only the parts the learner changed or opened."""
    flags = list(unfolded) + [False] * (len(per_fold) - len(unfolded))
    return {name: value for defaults, shown in zip(per_fold, flags) if not shown for name, value in defaults.items()}


def unfolded_only(names: list[str], values, folded: dict) -> list:
    """The values a link writes: a folded control's left out (None) while it is at its default."""
    return [None if name in folded and link_text(value) == link_text(folded[name]) else value
            for name, value in zip(names, values)]


def link_box(panel: str, controls: dict, folds: tuple = ()) -> PanelLink:
    """Lay out the panel's link box (it follows the controls) and return what the app needs to restore a link
    (folds: the panel's components.page.Fold parts, unfolded by a link that sets one of their controls)."""
    names, inputs = list(controls), list(controls.values())
    box = gr.Textbox(label="Link to this view (copy it into a slide deck)", interactive=False, buttons=["copy"],
                     elem_classes=["dle-link"], elem_id=f"{panel}-link", max_lines=1)
    # a slider's release as well: when a typed value is applied on leaving the box, a change event can be lost
    # among the others (seen under load), and the release carries the value the view was computed with
    triggers = [control.change for control in inputs] + [c.release for c in inputs if isinstance(c, gr.Slider)]
    triggers += [f.unfolded.change for f in folds]                          # a fold drawn: its controls join the link
    follow = link_follower(panel, names, fold_defaults(controls, folds))
    gr.on(triggers, follow, inputs=inputs + [f.unfolded for f in folds], outputs=box,
          trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden", queue=False)
    return PanelLink(panel, controls, box, tuple(folds))


def restore_updates(query: dict, link: PanelLink) -> tuple[dict, list[str]]:
    """From a page's query: {control: value} to set on the panel, and the settings that were ignored (with why)."""
    values, ignored = {}, []
    for name, component in link.controls.items():
        if name in query:
            try:
                values[component] = parse_setting(component, str(query[name]))
            except ValueError as error:
                ignored.append(f"{name}={str(query[name])[:20]!r} ({error})")
    return values, ignored


def config_value(component, value):
    """A control's value as the page's config holds it (what Gradio would send for it)."""
    try:
        return component.postprocess(value)
    except Exception:                   # noqa: BLE001 - a value Gradio cannot postprocess: the raw one, as parsed
        return value


def presenter_on(query: dict) -> bool:
    return str(query.get("presenter", "0")).lower() in ("1", "true", "on")
