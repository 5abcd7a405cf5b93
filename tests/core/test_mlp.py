"""The digit network's forward pass and cost against an independent torch.nn.Sequential with the same weights and a
loop over the examples and outputs."""
import pytest
import torch

from core.mlp import (HIDDEN_ACTIVATIONS, LAYER_SIZES, N_PARAMETERS, accuracy, cost, cost_terms, forward,
                      forward_with_z, hidden_activation, init_params, one_hot, predict)

TORCH_ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU}


def sequential(params, activation: str) -> torch.nn.Sequential:
    """64 -> 16 -> 16 -> 10 from torch.nn layers, the weights copied in; the output layer is a sigmoid."""
    layers = []
    for l, (fan_in, fan_out) in enumerate(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]), start=1):
        linear = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(params[f"W{l}"]), linear.bias.copy_(params[f"b{l}"])
        last = l == len(LAYER_SIZES) - 1
        layers += [linear, torch.nn.Sigmoid() if last else TORCH_ACTIVATIONS[activation]()]
    return torch.nn.Sequential(*layers)


def some_pixels(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 64, generator=torch.Generator().manual_seed(seed))                  # (n, 64) in [0, 1]


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_layer_equals_torch_nn_layers(activation):
    params = init_params(seed=3)
    x = some_pixels(12)
    model = sequential(params, activation)
    zs, activations = forward_with_z(params, x, activation)
    assert len(zs) == 3 and len(activations) == 4 and activations[0] is x
    reference = x
    for l, (linear, nonlinearity) in enumerate(zip(model[0::2], model[1::2])):
        z = linear(reference)
        reference = nonlinearity(z)
        torch.testing.assert_close(zs[l], z)
        torch.testing.assert_close(activations[l + 1], reference)
    assert [a.shape[-1] for a in activations] == list(LAYER_SIZES)
    torch.testing.assert_close(forward(params, x, activation)[-1], model(x))


def test_a_single_image_goes_through_without_a_batch_axis():
    params, x = init_params(seed=1), some_pixels(1)[0]                                     # (64,)
    output = forward(params, x, "sigmoid")[-1]
    assert output.shape == (10,)
    torch.testing.assert_close(output, forward(params, x[None], "sigmoid")[-1][0])


def test_the_output_layer_is_a_sigmoid_even_with_relu_hidden_layers():
    params = init_params(seed=2)
    zs, activations = forward_with_z(params, some_pixels(5), "relu")
    torch.testing.assert_close(activations[-1], torch.sigmoid(zs[-1]))
    torch.testing.assert_close(activations[1], zs[0].clamp(min=0))


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_cost_is_the_mean_of_the_squared_errors_summed_over_outputs(activation):
    params = init_params(seed=4)
    x, y = some_pixels(6, seed=5), torch.tensor([0, 3, 9, 3, 1, 7])
    output = sequential(params, activation)(x)
    by_hand = sum(sum((output[i, j].item() - (1.0 if j == y[i] else 0.0)) ** 2 for j in range(10))
                  for i in range(6)) / 6
    assert cost(params, x, y, activation).item() == pytest.approx(by_hand, rel=1e-6)


def test_cost_terms_are_each_outputs_squared_error_and_add_up_to_l():
    params = init_params(seed=4)
    x, y = some_pixels(3, seed=8), torch.tensor([2, 7, 0])
    output = sequential(params, "sigmoid")(x)
    terms = cost_terms(output, y)                                                          # (3, 10)
    for i in range(3):
        for j in range(10):
            assert terms[i, j].item() == pytest.approx((output[i, j].item() - (j == y[i].item())) ** 2, rel=1e-6)
    torch.testing.assert_close(cost_terms(output[1], y[1]), terms[1])                     # one example, no batch axis
    assert terms.sum(dim=-1).mean().item() == pytest.approx(cost(params, x, y, "sigmoid").item(), rel=1e-6)


def test_accuracy_counts_the_examples_whose_largest_output_is_their_label():
    params, x = init_params(seed=6), some_pixels(40, seed=9)
    output = sequential(params, "relu")(x)
    y = torch.tensor([(i * 7) % 10 for i in range(40)])
    right = sum(max(range(10), key=row.__getitem__) == label for row, label in zip(output.tolist(), y.tolist()))
    assert accuracy(params, x, y, "relu") == pytest.approx(right / 40)
    y[:] = predict(params, x, "relu")
    assert accuracy({n: v.double() for n, v in params.items()}, x, y, "relu") == 1.0       # float32 x, float64 params


def test_predict_is_the_largest_output():
    params, x = init_params(seed=6), some_pixels(20, seed=7)
    output = sequential(params, "relu")(x)
    assert predict(params, x, "relu").tolist() == [max(range(10), key=row.__getitem__) for row in output.tolist()]


def test_one_hot_marks_the_label():
    assert one_hot(torch.tensor([2, 0])).tolist() == [[0, 0, 1] + [0] * 7, [1] + [0] * 9]
    assert one_hot(torch.tensor([9.0])).dtype == torch.float32


def test_the_parameter_count_is_the_weights_and_biases_of_each_layer():
    params = init_params()
    assert N_PARAMETERS == 64 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10 == 1_482
    assert sum(p.numel() for p in params.values()) == N_PARAMETERS
    assert {name: tuple(p.shape) for name, p in params.items()} == {
        "W1": (16, 64), "b1": (16,), "W2": (16, 16), "b2": (16,), "W3": (10, 16), "b3": (10,)}


def test_init_is_seeded_and_bounded_like_nn_linear():
    params = init_params(seed=0)
    assert all(torch.equal(params[k], v) for k, v in init_params(seed=0).items())
    assert not torch.equal(params["W1"], init_params(seed=1)["W1"])
    for l, fan_in in enumerate(LAYER_SIZES[:-1], start=1):                 # U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        bound = fan_in ** -0.5
        for name in (f"W{l}", f"b{l}"):
            assert params[name].abs().max() <= bound and params[name].abs().max() > 0.8 * bound


def test_an_unknown_activation_is_refused_in_words():
    assert hidden_activation("sigmoid") is torch.sigmoid and hidden_activation("relu") is torch.relu
    with pytest.raises(ValueError, match="^Unknown activation 'tanh'; the digit network comes as sigmoid or relu.$"):
        forward(init_params(), some_pixels(1), "tanh")
