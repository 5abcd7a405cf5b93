"""Where weights and data come from: device choice, run-time settings, model definitions and their cached loaders
(bundled, hub, local), the data sets, and the committed checkpoints (written and measured by training/)."""
