"""How the committed checkpoints were made and how good they are: one seeded training script per model (train_*.py)
and the quality reports that measure them (clip_quality.py, text_to_image_quality.py), each run with
`python -m training.<name>`. Nothing but tests imports this folder."""
