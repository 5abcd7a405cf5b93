"""Load the models in the background once the page is served: the page comes up first, and the first request to a
transformer or generation panel rarely waits. A panel whose model is still loading waits for the same loader (every
loader is cached and locked) and says so in its progress message."""
import logging
import threading

log = logging.getLogger("deep_learning_explorer")


def loaders(settings) -> list:
    """(what, load) in the order a visitor is likely to need them; each load is a cached, thread-safe loader."""
    from models.device import pick_device
    from models.digit_classifier import load_digit_classifier
    from models.digit_diffusion import load_digit_diffusion
    from models.digit_network import load_digit_network
    from models.digits import load_digits_split
    from models.glove import load_glove
    from models.image_pipeline import app_image_pipeline, image_model_name
    from models.language import app_language_model

    device = str(pick_device(settings.device))
    steps = [("the digits", load_digits_split), ("the digit networks", lambda: [load_digit_network(f) for f in
                                                                               ("sigmoid", "relu")]),
             ("the language model", lambda: app_language_model(settings)), ("GloVe", load_glove),
             ("the diffusion U-Net", lambda: load_digit_diffusion(device=device)),
             ("the digit classifier", load_digit_classifier)]
    if image_model_name(settings):
        steps.append(("the text-to-image model", lambda: app_image_pipeline(settings)))
    return steps


def warm_up(settings) -> threading.Thread:
    """Start loading every model in a daemon thread; a failure is logged and left to the panel that needs it."""
    def run():
        for what, load in loaders(settings):
            try:
                load()
            except Exception:                      # the panel that needs it will say what is wrong
                log.exception("warm-up: loading %s failed", what)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread
