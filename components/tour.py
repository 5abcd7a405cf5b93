"""Guided tours: an ordered list of stops, each a panel with its settings (what a deep link carries), a title, a short
narration in the series' rhythm, and optionally a question whose reveal applies more settings, so that the answer is
what the live model then shows, never a number written in the file.

A tour is a TOML file (tours/series.toml is the series, DL1 -> DL8):

    title = "The series in 24 stops"

    [[stop]]
    card = "Softmax"                       # the knowledge-map card it illustrates
    panel = "next-token"                   # a panel's link name (?panel=...)
    title = "Softmax turns scores into probabilities"
    narration = "..."                      # intuition, the formula, what to move
    settings = { prompt = "The Eiffel Tower is located in the city of", T = 1.0 }
    question = "Before T goes to 0.1: which token takes all the probability?"    # optional
    reveal = { T = 0.1 }                   # optional: the settings that show the answer
    focus = "next-bars"                    # optional: the element to scroll to

`?tour=series&stop=7` opens stop 7 (counted from 1) on its panel's page; `&reveal=1` applies its reveal. Navigation
is by links (the next stop's page opens in its state, as a deep link does), so a slide can link to any stop. A tour
file written before a panel was renamed still works: its old panel id (and a focus named after it) is read as the
new one (OLD_PANEL_IDS).
"""
import re
import tomllib
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import urlencode

from components.deeplink import link_text, presenter_on

BUNDLED = Path(__file__).resolve().parents[1] / "tours"
FIELDS = {"card", "panel", "title", "narration", "settings", "question", "reveal", "focus", "choices", "answer"}
MAX_CHOICES, MAX_CHOICE = 6, 40          # a class answers from a phone: a few short choices
REQUIRED = ("panel", "title", "narration")
# Panels renamed so that a panel's id is its module's name. Links, page paths and tour files that name the old id open
# the panel under its new one (here, components/page.py's page_for and server/pages.py).
OLD_PANEL_IDS = {"digits": "digit-network", "facts": "residual", "edit": "editing"}


@dataclass(frozen=True)
class Stop:
    panel: str
    title: str
    narration: str
    card: str = ""
    settings: dict = field(default_factory=dict)
    question: str = ""
    reveal: dict = field(default_factory=dict)
    focus: str = ""
    choices: tuple[str, ...] = ()   # a multiple-choice question (class mode); none: a short free answer
    answer: str = ""                # what the live model shows at the reveal (tests/test_tour_claims.py checks it)


@dataclass(frozen=True)
class Tour:
    name: str                   # what ?tour= names: the file's stem
    title: str
    stops: tuple[Stop, ...]


def current_id(name: str) -> str:
    """A panel id, or an element id that starts with one, under the panel's current id: 'facts' -> 'residual',
    'facts-lens' -> 'residual-lens'. Any other name is returned as it is."""
    for old, new in OLD_PANEL_IDS.items():
        if isinstance(name, str) and (name == old or name.startswith(old + "-")):
            return new + name[len(old):]
    return name


def parse_stop(raw, where: str) -> Stop:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a stop must be a table ([[stop]]).")
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(sorted(FIELDS))}).")
    for name in REQUIRED:
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise ValueError(f"{where}: field {name!r} is missing or empty (a text).")
    for name in ("settings", "reveal"):
        if not isinstance(raw.get(name, {}), dict):
            raise ValueError(f"{where}: field {name!r} must be a table of settings, e.g. {{ T = 0.1 }}.")
    if raw.get("reveal") and not raw.get("question"):
        raise ValueError(f"{where}: a reveal needs a question.")
    choices, answer = checked_choices(raw, where)
    return Stop(**{**raw, "choices": choices, "answer": answer, "panel": current_id(raw["panel"]),
                   "focus": current_id(raw.get("focus", "")),
                   "settings": {k: link_text(v) for k, v in raw.get("settings", {}).items()},
                   "reveal": {k: link_text(v) for k, v in raw.get("reveal", {}).items()}})


def checked_choices(raw: dict, where: str) -> tuple[tuple[str, ...], str]:
    """A stop's choices and answer: both need a question; the answer is one of the choices when there are any."""
    choices, answer = raw.get("choices", []), raw.get("answer", "")
    if (choices or answer) and not raw.get("question"):
        raise ValueError(f"{where}: choices and an answer need a question.")
    texts = isinstance(choices, list) and all(isinstance(c, str) and 0 < len(c.strip()) <= MAX_CHOICE for c in choices)
    if not texts or len(choices) == 1 or len(choices) > MAX_CHOICES:
        raise ValueError(f"{where}: field 'choices' must be a list of 2 to {MAX_CHOICES} texts of at most "
                         f"{MAX_CHOICE} characters, e.g. [\"yes\", \"no\"].")
    if not isinstance(answer, str) or (choices and answer not in choices):
        raise ValueError(f"{where}: field 'answer' must be a text, one of the choices when there are any.")
    return tuple(choices), answer.strip()


def parse_tour(text: str, name: str) -> Tour:
    """A tour from TOML text; a ValueError names the file, the stop and the field that is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"tour {name!r} is not valid TOML: {error}") from None
    raw_stops = data.get("stop")
    if not isinstance(raw_stops, list) or not raw_stops:
        raise ValueError(f"tour {name!r} has no stops: add [[stop]] tables.")
    stops = []
    for i, raw in enumerate(raw_stops, start=1):
        title = raw.get("title", "") if isinstance(raw, dict) else ""
        stops.append(parse_stop(raw, f"tour {name!r}, stop {i}" + (f" ({title[:40]!r})" if title else "")))
    return Tour(name, str(data.get("title", name)), tuple(stops))


def load_tour(path: str | Path) -> Tour:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No tour file at {str(path)[:200]}.")
    return parse_tour(path.read_text(encoding="utf-8"), path.stem)


def bundled_tours() -> dict[str, Tour]:
    return {tour.name: tour for tour in (load_tour(p) for p in sorted(BUNDLED.glob("*.toml")))}


def check_stops(tour: Tour, panels: dict[str, dict], parse) -> None:
    """Every stop names a panel that exists and settings that panel's link accepts: panels maps a panel's link
    name to {setting: control}; parse(control, text) raises ValueError for a value the control refuses."""
    for i, stop in enumerate(tour.stops, start=1):
        where = f"tour {tour.name!r}, stop {i} ({stop.title[:40]!r})"
        if stop.panel not in panels:
            raise ValueError(f"{where}: panel {stop.panel!r} does not exist (panels: {', '.join(panels)}).")
        for kind, settings in (("settings", stop.settings), ("reveal", stop.reveal)):
            for key, text in settings.items():
                if key not in panels[stop.panel]:
                    raise ValueError(f"{where}: {kind} has {key!r}, which panel {stop.panel!r} does not take "
                                     f"(it takes {', '.join(panels[stop.panel])}).")
                try:
                    parse(panels[stop.panel][key], text)
                except ValueError as error:
                    raise ValueError(f"{where}: {kind} {key}={text[:30]!r} {error}.") from None


def stop_query(tour: Tour, number: int, revealed: bool) -> dict:
    """The deep-link query that stop `number` (from 1) shows: its panel and settings, plus the reveal's."""
    stop = tour.stops[number - 1]
    return {"panel": stop.panel, **stop.settings, **(stop.reveal if revealed else {})}


def stop_number(raw, tour: Tour) -> int:
    """?stop= as a stop number (1 .. len), or a ValueError that says the range."""
    try:
        number = int(str(raw))
    except ValueError:
        raise ValueError(f"stop must be a whole number from 1 to {len(tour.stops)}") from None
    if not 1 <= number <= len(tour.stops):
        raise ValueError(f"stop must be from 1 to {len(tour.stops)}")
    return number


def tour_href(tour: Tour, number: int, presenter: bool, revealed: bool = False) -> str:
    """A stop's link (on its panel's page), ready for an href attribute."""
    query = {"tour": tour.name, "stop": number, **({"reveal": 1} if revealed else {}),
             **({"presenter": 1} if presenter else {})}
    return escape(f"./{tour.stops[number - 1].panel}?" + urlencode(query))     # as an attribute: & written &amp;


SUBSCRIPT = re.compile(r"(\w)_(?:\{([^{}]+)\}|([A-Za-z0-9]+))")


def prose(text: str) -> str:
    """A stop's text as HTML: escaped, and a subscript written as in the series (x_t, ᾱ_t, ε_{cond}, W_down) shown as
    one, not with its underscore."""
    return SUBSCRIPT.sub(lambda m: f"{m[1]}<sub>{m[2] or m[3]}</sub>", escape(text))


def class_link(tour: Tour, number: int) -> str:
    """The lecturer's console for a class on this tour from this stop (server/class_pages.py), in a new tab."""
    href = escape("./class/lecturer?" + urlencode({"tour": tour.name, "stop": number}))
    return f'<a class="tour-class" href="{href}" target="_blank" rel="noopener">start a class ↗</a>'


def tour_bar(tour: Tour, number: int, revealed: bool, presenter: bool) -> str:
    """The tour's bar as HTML: progress, the stop's narration and question, and the navigation links that the
    page script also drives from the keyboard (→ or space: next, ←: previous, r: reveal, f: full screen). A
    one-line copy (tour-mini) is pinned to the top of the window once the bar has scrolled out of sight."""
    stop, total = tour.stops[number - 1], len(tour.stops)
    nav = []
    if number > 1:
        nav.append(f'<a class="tour-nav tour-prev" href="{tour_href(tour, number - 1, presenter)}">◀ previous</a>')
    if number < total:
        nav.append(f'<a class="tour-nav tour-next" href="{tour_href(tour, number + 1, presenter)}">next ▶</a>')
    question = ""
    if stop.question:
        reveal = ('<span class="tour-revealed">revealed: the view now shows the answer</span>' if revealed else
                  f'<a class="tour-nav tour-reveal" href="{tour_href(tour, number, presenter, True)}">reveal (r)</a>')
        question = f'<p class="tour-question"><b>Predict first.</b> {prose(stop.question)} {reveal}</p>'
    jump = "".join(f'<li><a class="tour-nav" href="{tour_href(tour, i, presenter)}">{i}. {prose(s.title)}</a></li>'
                   if i != number else f'<li class="tour-here"><b>{i}. {prose(s.title)} (here)</b></li>'
                   for i, s in enumerate(tour.stops, start=1))
    card = f" · <i>{escape(stop.card)}</i>" if stop.card else ""
    mini = (f'<div class="tour-mini"><b>{number}/{total}</b> {prose(stop.title)}'
            + (f" · <b>Predict first:</b> {prose(stop.question)}" if stop.question and not revealed else "")
            + f' {" ".join(nav)}</div>')
    return (f'<div class="tour-bar" data-focus="{escape(stop.focus)}">{mini}'
            f'<div class="tour-head"><b>{escape(tour.title)}</b> · stop {number} of {total}{card}'
            f'<progress value="{number}" max="{total}"></progress>{" ".join(nav)}{class_link(tour, number)}</div>'
            f'<h3 class="tour-title">{prose(stop.title)}</h3><p class="tour-narration">{prose(stop.narration)}</p>'
            f'{question}<details><summary>all stops</summary><ul class="tour-jump">{jump}</ul></details>'
            '<p class="tour-keys">keys: → or space next · ← previous · r reveal · f full screen</p></div>')


def tour_stop(query: dict, tours: dict) -> tuple[dict, str | None, list[str]]:
    """?tour=name&stop=n[&reveal=1]: the stop's deep-link query (presenter kept), the tour bar's HTML and what was
    wrong in the link (to say so); any other page: the query unchanged, no bar, nothing wrong."""
    if "tour" not in query:
        return query, None, []
    tour = tours.get(query["tour"])
    if tour is None:
        return {}, None, [f"There is no tour {query['tour'][:40]!r}; tours: {', '.join(tours) or 'none'}."]
    problems = []
    try:
        number = stop_number(query.get("stop", "1"), tour)
    except ValueError as error:
        problems.append(f"Ignored in the link: {error}; showing stop 1.")
        number = 1
    revealed = query.get("reveal", "0") in ("1", "true", "on")
    presenter = presenter_on(query)
    linked = {**stop_query(tour, number, revealed), **({"presenter": "1"} if presenter else {})}
    return linked, tour_bar(tour, number, revealed, presenter), problems
