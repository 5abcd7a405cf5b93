"""The small CLIP trained here on the captioned scenes (training/train_clip.py): transformers' own CLIPModel with a
small CLIPConfig, so its text encoder is a real CLIPTextModel that a diffusers pipeline accepts. Loaded once.

Sizes: a ViT of 4 layers x 128 wide over 8x8-pixel patches of the 64x64 scene (64 patches + the class token), a text
transformer of 3 layers x 64 wide over the caption tokenizer (models/caption_tokenizer.py), both projected into one
shared 64-dimensional space. About 0.8 M parameters.
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from models.caption_tokenizer import END, MAX_LENGTH, START
from models.loading import LOAD_LOCK
from models.scenes import SIDE

FOLDER = Path(__file__).parent / "checkpoints" / "scene_clip"


def clip_config(vocab: dict[str, int]):
    from transformers.models.clip.configuration_clip import CLIPConfig

    text = dict(vocab_size=len(vocab), hidden_size=64, intermediate_size=256, num_hidden_layers=3,
                num_attention_heads=4, max_position_embeddings=MAX_LENGTH, bos_token_id=vocab[START],
                eos_token_id=vocab[END], pad_token_id=vocab[END])
    vision = dict(image_size=SIDE, patch_size=8, num_channels=3, hidden_size=128, intermediate_size=256,
                  num_hidden_layers=4, num_attention_heads=4)
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=64)


def build_clip(tokenizer) -> torch.nn.Module:
    from transformers.models.clip.modeling_clip import CLIPModel

    return CLIPModel(clip_config(tokenizer.get_vocab()))


MEAN = STD = (0.5, 0.5, 0.5)        # the scenes' CLIP reads colours scaled to [-1, 1]


def pixels(images: torch.Tensor, side: int = SIDE, mean=MEAN, std=STD) -> torch.Tensor:
    """Images (B, 3, H, W) in [0, 1] -> the ViT's input: resized to side x side, normalised per channel as the
    model's image processor says ((x - 0.5) / 0.5 = 2x - 1 for the scenes' CLIP)."""
    if images.shape[-2:] != (side, side):
        images = torch.nn.functional.interpolate(images, size=(side, side), mode="bicubic", antialias=True,
                                                 align_corners=False)
    mean, std = torch.tensor(mean).view(1, 3, 1, 1), torch.tensor(std).view(1, 3, 1, 1)
    return (images.clamp(0, 1) - mean) / std


def write_preprocessor(folder: Path) -> None:
    """preprocessor_config.json (a CLIPImageProcessor's): the scenes' size and normalisation, so that the folder
    reads like any CLIP checkpoint."""
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    CLIPImageProcessorPil(size={"shortest_edge": SIDE}, crop_size={"height": SIDE, "width": SIDE}, image_mean=list(MEAN),
                       image_std=list(STD)).save_pretrained(folder)


@dataclass(frozen=True)
class SceneClip:
    model: torch.nn.Module          # CLIPModel
    tokenizer: object               # CLIPTokenizer
    device: torch.device
    side: int = SIDE                # the ViT's input side (64 here, 224 for OpenAI's CLIP)
    mean: tuple = MEAN              # per-channel normalisation of its image processor
    std: tuple = STD
    name: str = "the scenes' CLIP (trained here)"

    def tokens(self, texts: list[str]) -> dict:
        batch = self.tokenizer(texts, padding="max_length", truncation=True, return_tensors="pt")
        return {name: value.to(self.device) for name, value in batch.items()}

    @torch.inference_mode()
    def text_embeddings(self, texts: list[str]) -> torch.Tensor:
        """(N, 64) projected text embeddings (the end token's vector), not normalised."""
        return self.model.get_text_features(**self.tokens(texts)).pooler_output.float().cpu()

    @torch.inference_mode()
    def image_embeddings(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 64) projected image embeddings of scenes (N, 3, H, W) in [0, 1], not normalised."""
        x = pixels(images, self.side, self.mean, self.std).to(self.device, self.model.dtype)
        return self.model.get_image_features(pixel_values=x).pooler_output.float().cpu()

    @property
    def logit_scale(self) -> float:
        return float(self.model.logit_scale.exp())


@lru_cache(maxsize=2)           # the app's CLIP (maybe a hub one) and the scenes' (guidance diversity)
def _load(name: str, device: torch.device, online: bool) -> SceneClip:
    """Any CLIP folder or hub id through transformers' own classes: the model, its tokenizer and its image
    processor's size and normalisation."""
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
    from transformers.models.clip.modeling_clip import CLIPModel
    from transformers.models.clip.tokenization_clip import CLIPTokenizer

    dtype = torch.float16 if device.type == "cuda" else torch.float32
    model = CLIPModel.from_pretrained(name, local_files_only=not online, dtype=dtype).to(device).eval()
    model.requires_grad_(False)
    processor = CLIPImageProcessorPil.from_pretrained(name, local_files_only=not online)   # no torchvision here
    tokenizer = CLIPTokenizer.from_pretrained(name, local_files_only=not online,
                                              model_max_length=model.config.text_config.max_position_embeddings)
    bundled = Path(name) == FOLDER
    return SceneClip(model, tokenizer, device, model.config.vision_config.image_size, tuple(processor.image_mean),
                     tuple(processor.image_std), "the scenes' CLIP (trained here)" if bundled else name)


def load_scene_clip(device="cpu", name: str | Path = FOLDER, online: bool = False) -> SceneClip:
    """A CLIP loaded once (thread-safe): by default the committed scenes' CLIP."""
    if Path(name) == FOLDER and not (FOLDER / "config.json").exists():
        raise FileNotFoundError(f"No CLIP checkpoint in {FOLDER}: run `python -m training.train_clip`.")
    with LOAD_LOCK:
        return _load(str(name), torch.device(device), online)


def app_scene_clip(settings, progress=None) -> SceneClip:
    from models.device import pick_device

    if progress is not None:
        progress(0.1, desc="Loading CLIP (once)…")
    return load_scene_clip(pick_device(settings.device), settings.clip_model or FOLDER, settings.online)


def fresh_clip(tokenizer, seed: int) -> torch.nn.Module:
    """A much smaller, untrained CLIP of the same kind (1 layer x 32 wide each side, 16x16-pixel patches): what the
    panel's "watch it learn" part trains in a few seconds."""
    from transformers.models.clip.configuration_clip import CLIPConfig
    from transformers.models.clip.modeling_clip import CLIPModel

    vocab = tokenizer.get_vocab()
    config = CLIPConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=MAX_LENGTH, bos_token_id=vocab[START],
                         eos_token_id=vocab[END], pad_token_id=vocab[END]),
        vision_config=dict(image_size=SIDE, patch_size=16, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2),
        projection_dim=32)
    with LOAD_LOCK:                  # not while another thread loads a model (models/loading.py)
        torch.manual_seed(seed)
        return CLIPModel(config)
