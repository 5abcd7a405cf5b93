"""A tiny randomly initialised CLIP folder in the layout the app loads (config, safetensors, tokenizer, image
processor): the CLIP panel's code runs on it in tests, with no checkpoint and no download."""
from pathlib import Path


def tiny_clip(folder: Path) -> Path:
    from models.caption_tokenizer import load_tokenizer, write_tokenizer
    from models.scene_clip import fresh_clip, write_preprocessor

    tokenizer = load_tokenizer(write_tokenizer(folder / "tokenizer_source"))
    model = fresh_clip(tokenizer, seed=0)
    out = folder / "clip"
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    write_preprocessor(out)
    return out
