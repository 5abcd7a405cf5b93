"""Deep Learning Explorer: compose the tabs and launch. Flags, each also an environment variable: see --help."""
import argparse
import os
from functools import partial
from pathlib import Path

from models.settings import BUNDLED_LM, Settings

TRUE = ("1", "true", "yes", "on")


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in TRUE


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return os.environ.get("DLE_CACHE_DIR") or str(Path(base) / "deep-learning-explorer")


def parse_settings(argv: list[str] | None = None) -> tuple[Settings, str]:
    parser = argparse.ArgumentParser(
        prog="python app.py", description="Deep Learning Explorer: the 3Blue1Brown deep-learning series as "
        "hands-on panels backed by real models. Runs offline by default.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to listen on (env GRADIO_SERVER_NAME; default 127.0.0.1, 0.0.0.0 on a Space)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="port (env GRADIO_SERVER_PORT; default 7860)")
    parser.add_argument("--share", action="store_true", default=env_flag("DLE_SHARE"),
                        help="open a public gradio.live link; needs internet (env DLE_SHARE=1; default off)")
    parser.add_argument("--device", default=os.environ.get("DLE_DEVICE", "auto"), choices=["auto", "cpu", "cuda", "mps"],
                        help="where models run; auto picks cuda > mps > cpu (env DLE_DEVICE)")
    parser.add_argument("--lm", default=os.environ.get("DLE_LM", BUNDLED_LM),
                        help=f"language model: '{BUNDLED_LM}' (bundled SmolLM2-135M, offline) or a hub id such as "
                             "gpt2, which needs --online (env DLE_LM)")
    parser.add_argument("--online", action="store_true", default=env_flag("DLE_ONLINE"),
                        help="allow downloads of hub models (env DLE_ONLINE=1; default offline, HF_HUB_OFFLINE=1)")
    parser.add_argument("--any-hub-model", action="store_true", default=env_flag("DLE_ANY_HUB_MODEL"),
                        help="allow any hub id, not only the allow-list (env DLE_ANY_HUB_MODEL=1)")
    parser.add_argument("--image-model", default=os.environ.get("DLE_IMAGE_MODEL", ""),
                        help="text-to-image model for Text to image and the latent-space parts of Noising and "
                             "Guidance: default the small pipeline trained here on digit scenes; or a Stable "
                             "Diffusion hub id (needs --online; a GPU host) or a local folder (env DLE_IMAGE_MODEL)")
    parser.add_argument("--clip-model", default=os.environ.get("DLE_CLIP_MODEL", ""),
                        help="CLIP for the CLIP panel: default the small one trained here on digit scenes; or a hub "
                             "id such as openai/clip-vit-base-patch32 (needs --online) or a local folder "
                             "(env DLE_CLIP_MODEL)")
    parser.add_argument("--max-sessions", type=int, default=int(os.environ.get("DLE_MAX_SESSIONS", "200")),
                        help="browser sessions whose state the server keeps, the oldest dropped first (env "
                             "DLE_MAX_SESSIONS; default 200, Gradio's own default is 10,000)")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        default=os.environ.get("DLE_WARM_UP", "1").strip().lower() in TRUE,
                        help="do not load the models in the background once the page is served; each loads when a "
                             "panel first needs it (env DLE_WARM_UP=0; default: warm up)")
    parser.add_argument("--tour", default=os.environ.get("DLE_TOUR", ""),
                        help="a tour file (TOML, see tours/series.toml) to offer as ?tour=<its file name>")
    parser.add_argument("--cache-dir", default=default_cache_dir(),
                        help="where the dequantized bundled model is cached (env DLE_CACHE_DIR)")
    args = parser.parse_args(argv)
    settings = Settings(host=args.host, port=args.port, share=args.share, device=args.device,
                        language_model=args.lm, online=args.online, any_hub_model=args.any_hub_model,
                        cache_dir=args.cache_dir, image_model=args.image_model, clip_model=args.clip_model,
                        max_sessions=max(1, args.max_sessions), warm_up=args.warm_up, tour=args.tour,
                        on_space=bool(os.environ.get("SPACE_ID")))
    return settings, parser.format_help()


def set_environment(settings: Settings) -> None:
    """Before any Hugging Face import: offline unless asked, and no analytics."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if not settings.online:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ["HF_DATASETS_OFFLINE"] = "1"


LANDING = """# Deep Learning Explorer
The 3Blue1Brown deep-learning series as hands-on panels backed by real models: every panel gives the
**intuition**, then the **math with live numbers**, then an **example you can move**. The sections follow the
series: *Structure* → *Learning* → *Transformers* → *Generation*; pick a section, then a panel. Everything runs on
this machine, offline. Each panel's **link to this view** reopens it with its settings (add `&presenter=1` for a projector)."""

CSS = """
.dle-formula .prose { font-size: 1.15rem; }
#dle-root .dle-formula .katex { font-size: 1.2em; }  /* Gradio pins KaTeX at 20px; follow the block instead */
#dle-root .dle-formula .katex-display { overflow-x: auto; overflow-y: hidden; }  /* shrunk to fit first (deeplink.js) */
.dle-card { margin-bottom: 0.5rem; }
/* Presenter mode: larger type for text and controls. Not through Gradio's --text-* variables: changing those
   makes plotly draw its colour bars wrongly; plots keep their own large type. */
#dle-root.dle-presenter .prose { font-size: 22px; }
#dle-root.dle-presenter .prose h1 { font-size: 40px; }
#dle-root.dle-presenter .prose h2 { font-size: 32px; }
#dle-root.dle-presenter label span, #dle-root.dle-presenter [data-testid="block-info"] { font-size: 20px; }
#dle-root.dle-presenter input, #dle-root.dle-presenter textarea, #dle-root.dle-presenter button { font-size: 21px; }
#dle-root.dle-presenter .dle-formula .prose { font-size: 28px; }
#dle-root.dle-presenter .dle-explanation, #dle-root.dle-presenter .dle-intuition p,
#dle-root.dle-presenter #landing p { display: none; }
/* The guided tour's bar: a card above the sections; in presenter mode the narration is large (the speaker's notes). */
#tour .tour-bar { border: 2px solid #2563eb; border-radius: 10px; padding: 0.6rem 1rem; background: #eff6ff;
                  color: #1f2937; }
/* Once the bar has scrolled away (to the stop's figure), a one-line copy stays pinned to the top of the window. */
#tour .tour-mini { display: none; }
#dle-root.dle-tour-away #tour .tour-mini { display: flex; gap: 0.8rem; align-items: center; flex-wrap: wrap;
  position: fixed; top: 0; left: 0; right: 0; z-index: 1000; padding: 0.4rem 1rem; background: #eff6ff;
  border-bottom: 2px solid #2563eb; box-shadow: 0 4px 10px rgba(0,0,0,0.12); font-size: 1.05rem; color: #1f2937; }
#tour .tour-head { display: flex; flex-wrap: wrap; gap: 0.8rem; align-items: center; font-size: 1.05rem; }
#tour .tour-head progress { flex: 1 1 120px; max-width: 260px; }
#tour a.tour-nav { font-weight: 600; color: #1d4ed8; }
#tour .tour-title { margin: 0.4rem 0 0.2rem; font-size: 1.35rem; }
#tour .tour-narration, #tour .tour-question { font-size: 1.1rem; margin: 0.2rem 0; }
#tour .tour-question { background: #fef9c3; padding: 0.3rem 0.5rem; border-radius: 6px; }
#tour .tour-keys { font-size: 0.85rem; color: #475569; margin: 0.2rem 0 0; }
#tour ul.tour-jump { columns: 2; font-size: 0.95rem; }
#dle-root.dle-presenter #tour .tour-narration, #dle-root.dle-presenter #tour .tour-question { font-size: 24px; }
#dle-root.dle-presenter #tour .tour-title { font-size: 30px; }
/* The note a clamped slider value leaves beside its control (deeplink.js). */
.dle-clamped { color: #9a3412; background: #ffedd5; border-radius: 6px; padding: 0.2rem 0.5rem; margin-top: 0.3rem;
               font-size: 0.95rem; }
/* A phone: the header stacks (the title above the presenter box) instead of squeezing the title letter by letter. */
@media (max-width: 700px) {
  #dle-header { flex-direction: column; }
  #dle-header > * { width: 100%; min-width: 0 !important; }
  #tour ul.tour-jump { columns: 1; }
  #tour .tour-keys { display: none; }                                   /* no keyboard on a phone */
}
"""


def sections():
    """The tabs, grouped the way the series goes: explorers/<section>/<panel>."""
    from explorers.generation import clip, denoising, guidance, noising, text_to_image, vector_field
    from explorers.learning import backprop, descent, playground
    from explorers.structure import digit_network, neuron
    from explorers.transformers import attention, editing, embeddings, next_token, residual

    return [
        ("Structure · DL1", [neuron, digit_network]),
        ("Learning · DL2–4", [descent, backprop, playground]),
        ("Transformers · DL5–7", [embeddings, next_token, attention, residual, editing]),
        ("Generation · DL8", [clip, noising, denoising, guidance, text_to_image, vector_field]),
    ]


def section_id(section: str) -> str:
    return "section-" + section.split()[0].lower()


def create_app(settings: Settings):
    import gradio as gr  # after set_environment: huggingface_hub reads HF_HUB_OFFLINE when it is imported

    from components.deeplink import view_restorer
    from components.tour import tour_stop
    from models.image_pipeline import check_image_model
    from models.settings import check_language_model

    check_language_model(settings)
    check_image_model(settings.image_model, settings.online)
    check_image_model(settings.clip_model, settings.online)
    links, section_of, inner_tabs_of = [], {}, {}
    with gr.Blocks(title="Deep Learning Explorer", analytics_enabled=False) as demo:
        with gr.Column(elem_id="dle-root"):
            with gr.Row(equal_height=True, elem_id="dle-header"):
                gr.Markdown(LANDING, elem_id="landing")
                presenter = gr.Checkbox(False, label="Presenter mode (large type, short text)", scale=0,
                                        min_width=220, elem_id="presenter", interactive=True)
            tour_bar = gr.HTML(visible=False, elem_id="tour")
            with gr.Tabs(elem_id="sections") as section_tabs:
                for section, panels in sections():
                    with gr.Tab(section, id=section_id(section), elem_id=section_id(section)):
                        with gr.Tabs() as inner_tabs:
                            for panel in panels:
                                link = panel.build(settings)
                                links.append(link)
                                section_of[link.panel] = section_id(section)
                                inner_tabs_of[link.panel] = inner_tabs
        pause_when_left(links, [section_tabs, *dict.fromkeys(inner_tabs_of.values())])
        outputs = [section_tabs, *dict.fromkeys(inner_tabs_of.values()), presenter,
                   *[c for link in links for c in link.controls.values()], *[link.box for link in links]]
        tours = checked_tours(settings, links)
        demo.load(view_restorer(links, section_of, inner_tabs_of, partial(tour_stop, tours=tours)), None,
                  [*outputs, tour_bar], api_visibility="undocumented")
    demo.panel_links = links        # each panel's PanelLink (its linkable controls), for tests and benchmarks
    return demo


def pause_when_left(links, tab_groups) -> None:
    """What a panel runs when the learner picks another tab (a network training live pauses)."""
    for tabs in tab_groups:
        for link in links:
            for handler, state in link.on_leave:
                tabs.select(handler, state, None, queue=False, api_visibility="undocumented", show_progress="hidden")


def checked_tours(settings: Settings, links) -> dict:
    """The bundled tours and the --tour file, each stop checked against the panels' links. A teacher's file that
    does not fit stops the start (a ValueError names the tour, the stop and the setting); a bundled tour that does
    not fit the language model in use (its stops name SmolLM2's layers and heads) is left out, with a log line."""
    import logging

    from components.deeplink import parse_setting
    from components.tour import bundled_tours, check_stops, load_tour

    panels = {link.panel: link.controls for link in links}
    tours = {}
    for tour in bundled_tours().values():
        try:
            check_stops(tour, panels, parse_setting)
            tours[tour.name] = tour
        except ValueError as error:
            logging.getLogger("deep_learning_explorer").warning("Tour left out: %s", error)
    if settings.tour:
        own = load_tour(settings.tour)
        check_stops(own, panels, parse_setting)
        tours[own.name] = own
    return tours


def launch_options(settings: Settings) -> dict:
    import gradio as gr

    from components.deeplink import PAGE_SCRIPT

    return dict(server_name=settings.host, server_port=settings.port, share=settings.share,
                theme=gr.themes.Default(text_size="lg"), css=CSS, js=PAGE_SCRIPT, show_error=False,
                allowed_paths=[], footer_links=["api", "settings"], state_session_capacity=settings.max_sessions)


def main(argv: list[str] | None = None) -> None:
    settings, _ = parse_settings(argv)
    set_environment(settings)
    from server.allocator import tame_malloc

    tame_malloc()                     # before the worker threads exist: see server/allocator.py
    try:
        demo = create_app(settings)
    except (ValueError, FileNotFoundError) as error:        # a setting or a missing model: say what to do, no trace
        raise SystemExit(f"Deep Learning Explorer cannot start: {error}") from None
    demo.queue(default_concurrency_limit=2)
    demo.launch(**launch_options(settings), prevent_thread_lock=True)    # the page is served from here on
    if settings.warm_up:
        from models.warm_up import warm_up

        warm_up(settings)
    demo.block_thread()


if __name__ == "__main__":
    main()
