"""Deep Learning Explorer: compose the tabs and launch. Flags, each also an environment variable: see --help."""
import argparse
import os
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
    add_fair_share_flags(parser)
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
                        on_space=bool(os.environ.get("SPACE_ID")), max_jobs=max(1, args.max_jobs),
                        max_jobs_per_address=max(0, args.max_jobs_per_address), queue_size=max(1, args.queue_size),
                        max_upload_mb=max(1, args.max_upload_mb), upload_folder_mb=max(1, args.upload_folder_mb),
                        cache_hours=max(0.01, args.cache_hours), rooms_redis=args.rooms_redis.strip(),
                        max_rooms=max(1, args.max_rooms), max_students=max(500, args.max_students))
    return settings, parser.format_help()


def add_fair_share_flags(parser) -> None:
    """The limits one visitor of a public Space works within (server/fair_share.py, docs/operations.md)."""
    parser.add_argument("--max-jobs", type=int, default=int(os.environ.get("DLE_MAX_JOBS", "3")),
                        help="model runs one browser session may have waiting or running; more are refused with a "
                             "message (env DLE_MAX_JOBS; default 3: a page's opening run and two controls moved at "
                             "once)")
    parser.add_argument("--max-jobs-per-address", type=int,
                        default=int(os.environ.get("DLE_MAX_JOBS_PER_ADDRESS", "0")),
                        help="the same per client address; 0 = no cap, as a class behind one router shares an "
                             "address (env DLE_MAX_JOBS_PER_ADDRESS; default 0)")
    parser.add_argument("--queue-size", type=int, default=int(os.environ.get("DLE_QUEUE_SIZE", "64")),
                        help="jobs waiting or running in all, beyond which new ones are refused (env DLE_QUEUE_SIZE; "
                             "default 64)")
    parser.add_argument("--max-upload-mb", type=int, default=int(os.environ.get("DLE_MAX_UPLOAD_MB", "10")),
                        help="the largest file an upload takes, refused while it streams in (env DLE_MAX_UPLOAD_MB; "
                             "default 10)")
    parser.add_argument("--upload-folder-mb", type=int, default=int(os.environ.get("DLE_UPLOAD_FOLDER_MB", "1024")),
                        help="uploads are refused while Gradio's upload folder holds more than this (env "
                             "DLE_UPLOAD_FOLDER_MB; default 1024)")
    parser.add_argument("--cache-hours", type=float, default=float(os.environ.get("DLE_CACHE_HOURS", "1")),
                        help="uploaded and generated files are deleted once this old (env DLE_CACHE_HOURS; default 1)")
    parser.add_argument("--rooms-redis", default=os.environ.get("DLE_ROOMS_REDIS", ""),
                        help="class rooms in this Redis (redis://host:6379/0), shared by every replica of the app; "
                             "default: in this process (env DLE_ROOMS_REDIS)")
    parser.add_argument("--max-rooms", type=int, default=int(os.environ.get("DLE_MAX_ROOMS", "50")),
                        help="class rooms open at once (env DLE_MAX_ROOMS; default 50)")
    parser.add_argument("--max-students", type=int, default=int(os.environ.get("DLE_MAX_STUDENTS", "1000")),
                        help="students per class room, at least 500 (env DLE_MAX_STUDENTS; default 1000)")


def set_environment(settings: Settings) -> None:
    """Before any Hugging Face import: offline unless asked, and no analytics."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if not settings.online:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ["HF_DATASETS_OFFLINE"] = "1"


ASSETS = Path(__file__).with_name("server") / "assets"     # the page's CSS and the landing page's pictures
THUMBNAILS = ASSETS / "thumbnails"
LANDING = """# Deep Learning Explorer
The 3Blue1Brown deep-learning series as hands-on panels backed by real models: every panel gives the
**intuition**, then the **math with live numbers**, then an **example you can move**. The sections follow the
series: *Structure* → *Learning* → *Transformers* → *Generation*; pick a section, then a panel. Everything runs on
this machine, offline. Each panel's **link to this view** reopens it with its settings (add `&presenter=1` for a projector)."""



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


def create_app(settings: Settings):
    """The landing page ("/") and one page per panel ("/neuron", "/attention", ...): the browser loads only the
    panel the learner opens (docs/benchmarks.md, "Fast pages"). Server, queue and API are shared by all pages."""
    import gradio as gr  # after set_environment: huggingface_hub reads HF_HUB_OFFLINE when it is imported

    from models.image_pipeline import check_image_model
    from models.settings import check_language_model

    check_language_model(settings)
    check_image_model(settings.image_model, settings.online)
    check_image_model(settings.clip_model, settings.online)
    tours, pages = {}, {}                  # tours: filled once every panel's link is known (checked_tours)
    age = int(settings.cache_hours * 3600)        # uploaded and generated files: deleted when older, checked as often
    with gr.Blocks(title="Deep Learning Explorer", analytics_enabled=False, delete_cache=(age, age)) as demo:
        build_landing(demo, tours)
        for _, panels in sections():
            for module in panels:
                start_page(demo, module.TITLE, module.PANEL)
                pages[module.PANEL] = build_page(demo, module, settings, tours)
    tours.update(checked_tours(settings, [page.link for page in pages.values()]))
    demo.panel_links = [page.link for page in pages.values()]    # each panel's PanelLink, for tests and benchmarks
    demo.panel_pages = pages
    demo.tours = tours
    return demo


def start_page(demo, title: str, path: str) -> None:
    """What `with demo.route(title, path, show_in_navbar=False):` does (components and events made from here on
    belong to that page), without leaving the Blocks: each `with demo.route` exits it, and Gradio builds the whole
    server app and config again at every exit (16 pages: about 5 s more at every start)."""
    demo.pages.append((path, title, False))
    demo.current_page = path


def panel_names() -> list[str]:
    return [m.PANEL for _, panels in sections() for m in panels]


def navigation() -> list:
    return [(section, [(m.PANEL, m.TITLE) for m in panels]) for section, panels in sections()]


def build_landing(demo, tours: dict) -> None:
    import gradio as gr

    from components.page import landing_html, nav_html, page_opener

    with gr.Column(elem_id="dle-root"):
        gr.HTML(nav_html(navigation(), ""), elem_id="dle-nav")
        gr.Markdown(LANDING, elem_id="landing")
        gr.HTML(landing_html([(section, [(m.PANEL, m.TITLE, m.SUMMARY, thumbnail(m.PANEL)) for m in panels])
                              for section, panels in sections()]), elem_id="landing-panels")
    demo.load(page_opener(None, tours, panel_names()), None, None, api_visibility="private",
              show_progress="hidden")                                # queued: its warnings reach the page


def thumbnail(panel: str) -> str:
    return f"gradio_api/file={THUMBNAILS / (panel + '.jpg')}"


def build_page(demo, module, settings: Settings, tours: dict):
    """One panel's page: the header (sections, the section's panels, presenter mode), the tour's bar, the panel."""
    import gradio as gr

    from components.page import Page, nav_html, page_opener

    with gr.Column(elem_id="dle-root"):
        with gr.Row(equal_height=True, elem_id="dle-header"):
            gr.HTML(nav_html(navigation(), module.PANEL), elem_id="dle-nav")
            presenter = gr.Checkbox(False, label="Presenter mode (large type, short text)", scale=0,
                                    min_width=220, elem_id="presenter", interactive=True)
        tour_bar = gr.HTML(visible=False, elem_id="tour")
        link = module.build(settings)
    demo.load(page_opener(link, tours, panel_names()), None, link.box, api_visibility="private", show_progress="hidden")
    return Page(link, presenter, tour_bar)


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


def tour_stops(tours: dict):
    """(tour name, stop) -> what a class room shows of the stop (its title, question, choices, the live model's
    answer, the tour's length), or None when there is no such tour or stop."""
    def describe(name: str, stop: int) -> dict | None:
        tour = tours.get(name)
        if tour is None or not 1 <= stop <= len(tour.stops):
            return None
        here = tour.stops[stop - 1]
        return {"title": here.title, "question": here.question, "choices": list(here.choices),
                "answer": here.answer, "stops": len(tour.stops), "tour_title": tour.title}
    return describe


def page_theme():
    """Gradio's default look in large type, with whole bold faces: its default declares Source Sans Pro at 400 and
    600, and the 600 file it bundles holds only some capitals, so a heading or bold text was drawn in a fallback
    font but for a first 'A' or 'B'. Declared at 400 and 700 (a whole file), semibold text takes the 700 face."""
    import gradio as gr

    font = gr.themes.LocalFont("Source Sans Pro", weights=(400, 700))
    mono = gr.themes.LocalFont("IBM Plex Mono", weights=(400, 600, 700))
    return gr.themes.Default(text_size="lg", font=(font, "ui-sans-serif", "system-ui", "sans-serif"),
                             font_mono=(mono, "ui-monospace", "Consolas", "monospace"))


def launch_options(settings: Settings, demo) -> dict:
    import gradio as gr
    from starlette.middleware import Middleware

    from components.page import linked_state, page_for
    from gradio.utils import get_upload_folder

    from server.class_api import ClassApi
    from server.fair_share import FairShare, Limits
    from server.rooms import RoomLimits, rooms_for
    from server.page_script import page_script
    from server.pages import LinkedPages
    from server.sessions import light_sessions

    light_sessions()                      # a session holds its state, not a copy of every page's config
    gr.set_static_paths([THUMBNAILS])
    fair_share = Middleware(FairShare, upload_folder=get_upload_folder(),
                            limits=Limits(settings.max_jobs, settings.max_jobs_per_address, settings.queue_size,
                                          settings.upload_folder_mb))
    class_api = Middleware(ClassApi, rooms=rooms_for(settings.rooms_redis,
                                                     RoomLimits(settings.max_rooms, settings.max_students)),
                           stops=tour_stops(demo.tours))
    linked_pages = Middleware(LinkedPages, pages=list(demo.panel_pages),
                              page_for=page_for(demo.panel_pages, demo.tours),
                              state_for=linked_state(demo.panel_pages, demo.tours))
    return dict(server_name=settings.host, server_port=settings.port, share=settings.share,
                theme=page_theme(), css_paths=[ASSETS / "page.css"], head_paths=[ASSETS / "head.html"],
                js=page_script(),
                show_error=False, allowed_paths=[], footer_links=["api", "settings"],
                state_session_capacity=settings.max_sessions, max_file_size=f"{settings.max_upload_mb}mb",
                app_kwargs={"middleware": [fair_share, class_api, linked_pages]})


def queue_options(settings: Settings) -> dict:
    """The queue: two light events at a time per event (the heavy ones share one slot: server/queue.HEAVY), and a
    maximum above the one server/fair_share.py answers with its own message, as a backstop."""
    return dict(default_concurrency_limit=2, max_size=settings.queue_size + 16)


def log_to_stderr() -> None:
    """The app's own log lines (a model's warm-up, a refused input, a refused job) on stderr, with the time."""
    import logging

    log = logging.getLogger("deep_learning_explorer")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def main(argv: list[str] | None = None) -> None:
    settings, _ = parse_settings(argv)
    set_environment(settings)
    log_to_stderr()
    from server.allocator import tame_malloc

    tame_malloc()                     # before the worker threads exist: see server/allocator.py
    try:
        demo = create_app(settings)
    except (ValueError, FileNotFoundError) as error:        # a setting or a missing model: say what to do, no trace
        raise SystemExit(f"Deep Learning Explorer cannot start: {error}") from None
    demo.queue(**queue_options(settings))
    demo.launch(**launch_options(settings, demo), prevent_thread_lock=True)    # the page is served from here on
    if settings.warm_up:
        from server.warm_up import warm_up

        warm_up(settings)
    demo.block_thread()


if __name__ == "__main__":
    main()
