"""The playground's speed targets and quality figures, each against a baseline measured in the same run:
- 1,000 SGD steps on 500 points (2 hidden layers of 8 tanh, batch 10): core.playground.train against the plain
  library way (torch.nn.Sequential + torch.optim.SGD on the same batches); target < 1 s;
- one update of the whole panel at a 50 x 50 grid (formula, output plane, 16 and 32 neuron tiles, curves), made and
  serialised to JSON as Gradio sends it: against the bare forward pass of the network over the grid; target
  < 100 ms server-side;
- quality: test accuracy on the spiral (2 x 8 tanh, η 0.3, batch 30, 10,000 steps) and on XOR with no hidden layer,
  for seeds 0..4 (each reproducible: the same seed gives the same number).

    .venv/bin/python -m bench.bench_playground
"""
import torch

from bench.timing import median_time
from core.playground import accuracy, activations_on_plane, epoch_order, feature_matrix, train
from explorers.learning.playground.handlers import GRID, new_session, view

SEEDS = range(5)


def speed() -> None:
    session = new_session("spiral", 0, 50, 0, ["x", "y"], 2, (8, 8, 4, 4), "tanh", None)
    data, net = session.data, session.run.net

    def ours():
        train(session.run, data, 0.3, 10, 0.0, 1000)

    def plain():
        model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                    torch.nn.Linear(8, 2), torch.nn.Sigmoid())
        optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
        inputs = feature_matrix(data.train_points, net.features)
        target = torch.nn.functional.one_hot(data.train_labels, 2).float()
        order, position = epoch_order(0, 0, len(inputs)), 0
        for step in range(1000):
            batch = order[position:position + 10]
            loss = ((model(inputs[batch]) - target[batch]) ** 2).sum(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            position = (position + 10) % len(inputs)

    mine, library = median_time(ours, 5), median_time(plain, 5)
    print(f"1,000 SGD steps on 500 points (250 train, batch 10, 2 x 8 tanh): core.playground.train {mine:.2f} s "
          f"(target < 1 s); torch.nn.Sequential + torch.optim.SGD {library:.2f} s; {mine / library:.2f}x the library")
    most = new_session("spiral", 0, 90, 0, ["x", "y"], 2, (8, 8, 4, 4), "tanh", None)
    full = median_time(lambda: train(most.run, most.data, 0.3, 450, 0.0, 1000), 3)
    print(f"1,000 full-batch steps (450 of 500 points train, each step sees all 450): {full:.2f} s (target < 1 s)")
    for layers, tiles in ((2, 16), (4, 32)):
        big = new_session("spiral", 0, 50, 0, ["x", "y"], layers, (8, 8, 8, 8), "tanh", None)
        big = type(big)(big.data, train(big.run, big.data, 0.3, 10, 0.0, 200), big.source)

        def update():
            for part in view(big):
                part if isinstance(part, str) else part.to_json()

        def forward_only():
            activations_on_plane(big.run.params, big.run.net, GRID)

        whole, floor = median_time(update, 15), median_time(forward_only, 15)
        print(f"one panel update, {GRID} x {GRID} grid, {tiles} hidden tiles, JSON included: {whole * 1000:.0f} ms "
              f"(target < 100 ms); the forward pass over the grid alone {floor * 1000:.1f} ms")


def quality() -> None:
    for label, dataset, layers, rate, batch, steps in (("spiral, 2 x 8 tanh", "spiral", 2, 0.3, 30, 10_000),
                                                       ("XOR, no hidden layer", "xor", 0, 0.3, 10, 3_000)):
        scores = []
        for seed in SEEDS:
            session = new_session(dataset, 0, 50, seed, ["x", "y"], layers, (8, 8, 4, 4), "tanh", None)
            run = train(session.run, session.data, rate, batch, 0.0, steps)
            scores.append(accuracy(run.params, run.net, feature_matrix(session.data.test_points, run.net.features),
                                   session.data.test_labels))
        shown = ", ".join(f"{100 * s:.1f} %" for s in scores)
        print(f"{label}, η {rate}, batch {batch}, {steps:,} steps, test accuracy for seeds 0..4: {shown}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    speed()
    quality()
