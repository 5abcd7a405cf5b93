"""Steering: the direction is the mean-stream difference read from the model's own hidden states (each contrast prompt
after a lead token whose position the mean skips), the hook adds exactly α · s · r̂ after block l to the steered row
only, and the plain row is the model's own greedy generate. On the real SmolLM2 the lead keeps one-token prompts off
the first-position sink that block 11 writes."""
import pytest
import torch

from core.steering import LEAD, direction_and_size, greedy, steered_hooks, steering, streams_at, token_direction
from core.transformer import hooks
from tests.core.test_residual import tiny

POSITIVE, NEGATIVE, PROMPT, LEAD_IDS = [5, 17, 3], [5, 18, 4, 60], [9, 12, 40, 41], [7]


@pytest.fixture(params=["gpt2", "llama"])
def model(request):
    return tiny(request.param)


def hidden(model, ids):
    with torch.inference_mode():
        return model(torch.tensor([ids]), output_hidden_states=True).hidden_states        # L + 1 of (1, T, d)


def test_the_direction_is_the_difference_of_mean_hidden_states_and_the_size_the_prompts_median(model):
    """Each prompt is read after the lead and averaged over its own positions only: a one-token prompt too."""
    for positive, negative in ((POSITIVE, NEGATIVE), ([17], [18])):
        direction, size = direction_and_size(model, 0, PROMPT, positive, negative, LEAD_IDS)  # one padded pass
        own = len(LEAD_IDS)
        expected = (hidden(model, LEAD_IDS + positive)[1][0, own:].mean(0) -
                    hidden(model, LEAD_IDS + negative)[1][0, own:].mean(0))
        torch.testing.assert_close(direction, expected, atol=1e-5, rtol=1e-5)
        assert size == pytest.approx(float(hidden(model, PROMPT)[1][0].norm(dim=-1).median()), rel=1e-5)
    token, _ = direction_and_size(model, 0, PROMPT, POSITIVE, None, LEAD_IDS)
    torch.testing.assert_close(token, token_direction(model, POSITIVE[0]))


def test_the_hook_adds_alpha_times_the_streams_size_along_the_unit_direction(model):
    steer = steering(0, torch.randn(model.config.hidden_size), 3.0, alpha=2.5)
    assert float(steer.direction.norm()) == pytest.approx(1.0)
    seen = {}
    with torch.inference_mode(), hooks(model, steered_hooks(model, steer)), \
            hooks(model, {"blocks.1.hook_resid_pre": lambda x: seen.setdefault("x", x[0].clone())}):
        model(torch.tensor([PROMPT]))
    torch.testing.assert_close(seen["x"], hidden(model, PROMPT)[1][0] + 2.5 * 3.0 * steer.direction)


def test_without_steering_greedy_is_the_models_own_generate_and_distribution(model):
    with torch.inference_mode():
        plain = model.generate(torch.tensor([PROMPT]), max_new_tokens=6, do_sample=False,
                               pad_token_id=0)[0, len(PROMPT):].tolist()
        logits = model(torch.tensor([PROMPT])).logits[0, -1]
    first, tokens = greedy(model, PROMPT, 6)
    assert tokens == plain
    torch.testing.assert_close(first, logits.softmax(-1), atol=1e-6, rtol=1e-5)


def test_steered_greedy_steers_every_new_position(model):
    """Each step of the steered generation equals a full pass over the text so far with the vector added."""
    steer = steering(1, token_direction(model, 33), 5.0, 2.0)
    first, tokens = greedy(model, PROMPT, 4, steer)
    text = list(PROMPT)
    with torch.inference_mode(), hooks(model, steered_hooks(model, steer)):
        expected_first = model(torch.tensor([text])).logits[0, -1].softmax(-1)
        for _ in range(4):
            text.append(int(model(torch.tensor([text])).logits[0, -1].argmax()))
    torch.testing.assert_close(first, expected_first, atol=1e-6, rtol=1e-5)
    assert tokens == text[len(PROMPT):]


def test_a_strong_token_direction_makes_that_token_the_prediction(model):
    direction, size = direction_and_size(model, 1, PROMPT, [33], None, LEAD_IDS)
    steer = steering(1, direction, size, alpha=10.0)
    assert int(greedy(model, PROMPT, 1, steer)[0].argmax()) == 33


def test_two_identical_prompts_give_no_direction_and_a_clear_message(model):
    direction, size = direction_and_size(model, 0, PROMPT, POSITIVE, POSITIVE, LEAD_IDS)
    with pytest.raises(ValueError, match="same stream"):
        steering(0, direction, size, 1.0)


@pytest.mark.slow
@pytest.mark.parametrize("layer", [12, 20])
def test_one_token_contrast_prompts_steer_past_smollm2s_first_position_sink(language_model, layer):
    """Paris − London on the real SmolLM2 (the panel's preset prompts and α). From block 11 on, the first position
    of any text carries a vector of size about 22,700. Read alone, "Paris" and "London" are that position only, so
    their difference is the difference of two sink vectors: huge, along the sink, and steering with it does nothing.
    After the lead, r is not aligned with the sink, about as long as at block 10, and it raises p(Paris)."""
    model = language_model.model
    prompt, paris, london, lead = (language_model.tokenizer(text, add_special_tokens=False).input_ids for text in
                                   ("Last summer I travelled to the city of", "Paris", "London", LEAD))
    target = language_model.tokenizer(" Paris", add_special_tokens=False).input_ids[0]
    sink = streams_at(model, layer, [prompt])[0][0]                        # (d,) the prompt's first position

    alone, _ = direction_and_size(model, layer, prompt, paris, london, lead=[])           # the bug, for the record
    at_block_10, _ = direction_and_size(model, 10, prompt, paris, london, lead)
    direction, size = direction_and_size(model, layer, prompt, paris, london, lead)
    assert abs(cosine(alone, sink)) > 0.99 and float(alone.norm()) > 10 * float(at_block_10.norm())
    assert abs(cosine(direction, sink)) < 0.5
    assert 0.5 < float(direction.norm()) / float(at_block_10.norm()) < 2
    plain, _ = greedy(model, prompt, 1)
    steered, _ = greedy(model, prompt, 1, steering(layer, direction, size, 0.25))
    assert float(steered[target]) > 2 * float(plain[target])


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))
