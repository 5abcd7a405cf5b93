"""Where weights and data come from: device choice, cached loaders, local training scripts, checkpoints."""
