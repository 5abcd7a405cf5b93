"""The committed digit networks: their accuracy, and that the training script reproduces it from its seed."""
import pytest
import torch

from core.mlp import predict
from models.digit_network import load_digit_network
from training.train_digit_network import train


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_committed_checkpoint_beats_90_percent_on_held_out_digits(activation, digits):
    network = load_digit_network(activation)
    accuracy = (predict(network.params, torch.tensor(digits.x_test), activation) == torch.tensor(digits.y_test))
    assert accuracy.float().mean().item() >= 0.90
    assert accuracy.float().mean().item() == pytest.approx(network.test_accuracy, abs=1e-4)
    assert network.params["W1"].shape == (16, 64) and network.params["W3"].shape == (10, 16)
    assert not any(p.requires_grad for p in network.params.values())


@pytest.mark.slow
def test_training_from_the_committed_seed_reaches_the_bar():
    params, accuracy = train("sigmoid", epochs=60)
    assert accuracy >= 0.90


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="sigmoid or relu"):
        load_digit_network("tanh")
