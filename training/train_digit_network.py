"""Train the 64-16-16-10 digit network on scikit-learn's digits and write small safetensors checkpoints.

    .venv/bin/python -m training.train_digit_network          # both variants, about 5 s on a 2-core CPU

Seeded and deterministic on CPU. The app only loads the committed checkpoints; it never trains at start-up.
"""
import argparse

import torch
from safetensors.torch import save_file
from tqdm import tqdm

from core.mlp import HIDDEN_ACTIVATIONS, cost, init_params, predict
from models.digit_network import checkpoint_path
from models.digits import load_digits_split

SEED = 0             # weights and mini-batch order
EPOCHS = 150         # passes over the 1,347 training digits
BATCH_SIZE = 32      # mini-batch SGD, as the series describes (with Adam's step sizes)
LEARNING_RATE = 0.01


def train(activation: str, epochs: int = EPOCHS, seed: int = SEED) -> tuple[dict[str, torch.Tensor], float]:
    """Returns the trained params and the accuracy on the held-out split."""
    torch.manual_seed(seed)
    data = load_digits_split()
    x, y = torch.tensor(data.x_train), torch.tensor(data.y_train)                # (N, 64), (N,)
    params = {name: value.requires_grad_(True) for name, value in init_params(seed).items()}
    optimizer = torch.optim.Adam(params.values(), lr=LEARNING_RATE)
    order = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(epochs), desc=f"training the {activation} network", unit="epoch"):
        permutation = torch.randperm(len(x), generator=order)
        for start in range(0, len(x), BATCH_SIZE):
            batch = permutation[start:start + BATCH_SIZE]
            optimizer.zero_grad()
            cost(params, x[batch], y[batch], activation).backward()
            optimizer.step()
    params = {name: value.detach().contiguous() for name, value in params.items()}
    with torch.no_grad():
        accuracy = (predict(params, torch.tensor(data.x_test), activation) == torch.tensor(data.y_test)).float()
    return params, accuracy.mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", choices=HIDDEN_ACTIVATIONS, action="append")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    options = parser.parse_args()
    for activation in options.activation or HIDDEN_ACTIVATIONS:
        checkpoint_path(activation).parent.mkdir(parents=True, exist_ok=True)
        params, accuracy = train(activation, options.epochs)
        metadata = {"activation": activation, "test_accuracy": f"{accuracy:.4f}", "seed": str(SEED),
                    "epochs": str(options.epochs), "layer_sizes": "64,16,16,10"}
        save_file(params, checkpoint_path(activation), metadata=metadata)
        print(f"{activation}: held-out accuracy {accuracy:.1%} -> {checkpoint_path(activation)}")


if __name__ == "__main__":
    main()
