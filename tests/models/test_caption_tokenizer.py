"""The scenes' CLIPTokenizer: every caption word is one token, any other text still tokenizes."""
import pytest

from models.caption_tokenizer import END, MAX_LENGTH, START, load_tokenizer, write_tokenizer
from models.scenes import WORDS


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return load_tokenizer(write_tokenizer(tmp_path_factory.mktemp("tokenizer")))


def test_every_caption_word_is_one_token(tokenizer):
    for word in WORDS:
        ids = tokenizer(word, add_special_tokens=False).input_ids
        assert len(ids) == 1 and tokenizer.convert_ids_to_tokens(ids) == [word + "</w>"]


def test_captions_are_wrapped_and_padded_as_clip_does(tokenizer):
    batch = tokenizer(["a small blue two on the left and an orange seven on the right"], padding="max_length",
                      truncation=True)
    ids = batch.input_ids[0]
    assert len(ids) == MAX_LENGTH
    assert ids[0] == tokenizer.convert_tokens_to_ids(START)
    assert ids[15] == tokenizer.convert_tokens_to_ids(END) and ids[16] == tokenizer.pad_token_id
    assert sum(batch.attention_mask[0]) == 16            # 14 words + start + end


@pytest.mark.parametrize("text", ["a cat", "🙂 🙂", "ÉTÉ", "", "A RED Seven", "x" * 10_000])
def test_any_text_tokenizes_byte_by_byte_within_the_length(tokenizer, text):
    ids = tokenizer(text, padding="max_length", truncation=True).input_ids
    assert len(ids) == MAX_LENGTH
    if len(text) < 20:                                   # nothing lost: unknown words fall back to bytes
        assert tokenizer.decode(ids, skip_special_tokens=True) == text.lower()
