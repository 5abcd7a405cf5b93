"""Text -> tokens -> the next token's logits: the ids are the tokenizer's own, cut as asked; the logits are the
model's own last position; tokens read as text with byte-level BPE undone exactly as transformers maps bytes."""
import re

import pytest
import torch
from transformers.convert_slow_tokenizer import bytes_to_unicode

from core.tokens import (BYTE_OF_CHARACTER, MAX_PROMPT_CHARS, MAX_PROMPT_TOKENS, next_token_logits, next_word_tokens,
                         shown, shown_token, tokenize)
from tests.tiny_language_model import PROMPT, tiny

ASK = "Type a target: the word the model should say next, e.g. Paris."


class NoTokens:
    """A tokenizer that finds no tokens in any text."""
    def __call__(self, text, add_special_tokens=True):
        return type("Encoding", (), {"input_ids": []})()


def test_a_token_is_shown_with_its_space_and_newline_visible():
    assert shown("ĠParis") == "␣Paris" and shown("ĊĊ") == "\\n\\n" and shown("the") == "the"
    assert shown(None) == ""


def test_shown_token_reads_the_tokenizers_own_piece(language_model):
    tokenizer = language_model.tokenizer
    paris = tokenizer(" Paris", add_special_tokens=False).input_ids[0]
    assert tokenizer.convert_ids_to_tokens(paris) == "ĠParis" and shown_token(tokenizer, paris) == "␣Paris"


def test_tokenize_gives_the_tokenizers_ids(language_model):
    tokenizer = language_model.tokenizer
    ids, cut = tokenize(tokenizer, PROMPT)
    assert ids == tokenizer(PROMPT, add_special_tokens=False).input_ids and cut == 0


def test_a_long_prompt_keeps_its_end_or_its_start_and_says_how_much_was_cut(language_model):
    tokenizer = language_model.tokenizer
    everything = tokenizer(PROMPT, add_special_tokens=False).input_ids                       # 10 tokens
    assert tokenize(tokenizer, PROMPT, max_tokens=4) == (everything[-4:], len(everything) - 4)
    assert tokenize(tokenizer, PROMPT, max_tokens=4, keep="first") == (everything[:4], len(everything) - 4)
    long = " ".join(["word"] * 2 * MAX_PROMPT_TOKENS)
    ids, cut = tokenize(tokenizer, long)
    assert len(ids) == MAX_PROMPT_TOKENS and cut == len(tokenizer(long, add_special_tokens=False).input_ids) - len(ids)


@pytest.mark.parametrize("prompt, keep, message", [
    ("", "last", "^Type a prompt first, for example: The Eiffel Tower is located in the city of$"),
    ("  \n", "last", "^Type a prompt first"),
    (None, "last", "^Type a prompt first"),
    ("x" * (MAX_PROMPT_CHARS + 1), "last", "^The prompt is 20,001 characters long; at most 20,000.$"),
    ("Paris", "middle", "^keep must be 'first' or 'last', got 'middle'.$"),
])
def test_bad_prompts_are_refused_in_words(language_model, prompt, keep, message):
    with pytest.raises(ValueError, match=message):
        tokenize(language_model.tokenizer, prompt, keep=keep)


def test_a_prompt_without_tokens_is_refused():
    with pytest.raises(ValueError, match="^The prompt has no tokens; type some text.$"):
        tokenize(NoTokens(), "something")


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_next_token_logits_are_the_models_last_position(architecture):
    model = tiny(architecture)
    ids = [5, 17, 3, 88]
    with torch.inference_mode():
        expected = model(torch.tensor([ids])).logits[0, -1]                                 # (V,)
    logits = next_token_logits(model, ids)
    assert logits.shape == (97,) and logits.dtype == torch.float32
    torch.testing.assert_close(logits, expected)


def test_the_byte_map_is_the_inverse_of_transformers_bytes_to_unicode():
    assert BYTE_OF_CHARACTER == {character: byte for byte, character in bytes_to_unicode().items()}
    assert sorted(BYTE_OF_CHARACTER.values()) == list(range(256))
    assert (BYTE_OF_CHARACTER["Ġ"], BYTE_OF_CHARACTER["Ċ"], BYTE_OF_CHARACTER["č"]) == (32, 10, 13)


def test_tokens_read_as_text_with_bytes_shown_as_bytes(language_model):
    tokenizer = language_model.tokenizer

    def read(piece):
        return shown_token(tokenizer, tokenizer.convert_tokens_to_ids(piece))

    assert read("ĠParis") == "␣Paris"                                  # byte-level BPE's Ġ is a space
    assert read("Ã©") == "é" and read("âĢĻ") == "’"                    # bytes of one character, decoded
    assert read("čĊ") == "\\r\\n" and read("ĉĉ") == "\\t\\t"           # invisible characters, escaped
    assert read("ĠâĢ") == "␣\\xe2\\x80"                              # a character's first bytes: shown as bytes


@pytest.mark.parametrize("text", ["São Paulo", "José", "née", "東京", "😀", "Ελλάδα", "naïve café"])
def test_accents_cjk_and_emoji_read_back_as_typed_from_the_tokens_of_a_prompt(language_model, text):
    """The way every panel shows tokens: the shown tokens of a prompt, put together, are the prompt (a character
    split over two tokens shows as its bytes in each, so it is put together from the bytes), never mojibake."""
    tokenizer = language_model.tokenizer
    ids = tokenizer(" " + text, add_special_tokens=False).input_ids
    pieces = [shown_token(tokenizer, i) for i in ids]
    assert not any(mark in "".join(pieces) for mark in ("Ã", "Ġ", "â\x80", "ð\x9f"))
    joined = "".join(pieces).replace("␣", " ")
    restored = b"".join(bytes([int(part[2:4], 16)]) + part[4:].encode() if part.startswith("\\x") else part.encode()
                        for part in re.split(r"(\\x[0-9a-f]{2}[^\\]*)", joined)).decode("utf-8")
    assert restored == " " + text


def test_a_tokenizer_that_is_not_byte_level_is_read_through_its_own_decode():
    class SentencePiece:
        def convert_ids_to_tokens(self, token_id):
            return "▁Paris"

        def decode(self, ids):
            return " Paris\u200b"
    assert shown_token(SentencePiece(), 3) == "␣Paris\\u200b"


def test_the_next_word_gets_a_leading_space_unless_the_prompt_ends_in_one(language_model):
    tokenizer = language_model.tokenizer

    def ids(text):
        return tokenizer(text, add_special_tokens=False).input_ids

    assert next_word_tokens(tokenizer, PROMPT, " Paris ", ASK) == ids(" Paris")
    assert next_word_tokens(tokenizer, PROMPT + " ", "Paris", ASK) == ids("Paris")
    assert next_word_tokens(tokenizer, PROMPT, "Parisianism", ASK) == ids(" Parisianism")   # several tokens: all
    assert len(ids(" Parisianism")) > 1


def test_a_bad_next_word_is_refused_with_its_own_name(language_model):
    tokenizer = language_model.tokenizer
    for empty in ("", "   ", None):
        with pytest.raises(ValueError, match=f"^{ASK}$"):
            next_word_tokens(tokenizer, PROMPT, empty, ASK)
    with pytest.raises(ValueError, match="^The target is 101 characters long; type one word"):
        next_word_tokens(tokenizer, PROMPT, "x" * 101, ASK)
    with pytest.raises(ValueError, match="^The new object has no tokens; type a word.$"):
        next_word_tokens(NoTokens(), PROMPT, "Rome", "Type the new object: e.g. Rome.")
