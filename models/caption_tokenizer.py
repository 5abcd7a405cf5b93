"""The scenes' tokenizer: a real CLIPTokenizer (byte-level BPE with CLIP's "</w>" word ends) whose merges are
learned on the captions by the `tokenizers` library, so every caption word is one token and any other text still
tokenizes, byte by byte. Written once into the CLIP and pipeline folders by the training scripts."""
import json
from pathlib import Path

from models.scenes import WORDS, caption_corpus

MAX_LENGTH = 32              # tokens per prompt, start and end included (Stable Diffusion uses 77)
START, END = "<|startoftext|>", "<|endoftext|>"


def byte_alphabet() -> list[str]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return list(bytes_to_unicode().values())                    # the 256 printable stand-ins of GPT-2 / CLIP


def learned_merges(corpus: list[str]) -> list[tuple[str, str]]:
    """BPE merges learned on the captions until every word is whole (about 80)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=4096, initial_alphabet=byte_alphabet(), end_of_word_suffix="</w>",
                                  show_progress=False)
    tokenizer.train_from_iterator(corpus, trainer)
    return [tuple(merge) for merge in json.loads(tokenizer.to_str())["model"]["merges"]]


def write_tokenizer(folder: Path) -> Path:
    """vocab.json + merges.txt of a CLIPTokenizer: the 512 byte tokens (alone and word-final), the merged pieces,
    then the start and end tokens."""
    merges = learned_merges(caption_corpus() + [" ".join(WORDS)] * 10)
    chars = byte_alphabet()
    pieces = chars + [c + "</w>" for c in chars] + ["".join(merge) for merge in merges] + [START, END]
    vocab = {piece: i for i, piece in enumerate(dict.fromkeys(pieces))}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    return folder


def load_tokenizer(folder: Path):
    from transformers.models.clip.tokenization_clip import CLIPTokenizer

    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=MAX_LENGTH)
