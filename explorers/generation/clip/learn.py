"""Watch it learn: a fresh, much smaller CLIP (models.scene_clip.fresh_clip) trained on one batch of 8 scenes with
the same symmetric loss, the matrix redrawn as it goes from noise to a diagonal. Per user, in the handler's own
thread, capped in steps; it never touches the shared, trained CLIP."""
import gradio as gr
import numpy as np
import torch

from components.clip_figures import learning_curve, similarity_matrix
from components.errors import keeps_view
from components.events import bind
from components.checked_number import CheckedNumber
from core.checks import MAX_SEED, whole
from core.clip import contrastive
from models.scene_clip import app_scene_clip, fresh_clip, pixels
from models.scenes import scene_batch
from models.settings import Settings

STEPS, EVERY, BATCH, LEARNING_RATE = 150, 10, 8, 3e-3


def training_run(tokenizer, seed: int, steps: int = STEPS):
    """Yields (step, logits (BATCH, BATCH), losses so far) every EVERY steps, and after the last."""
    images, scenes = scene_batch(BATCH, seed, "train")
    text = tokenizer([s.caption for s in scenes], padding="max_length", truncation=True, return_tensors="pt")
    model = fresh_clip(tokenizer, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    losses = []
    for step in range(steps + 1):
        out = model(input_ids=text.input_ids, attention_mask=text.attention_mask, pixel_values=pixels(images),
                    return_loss=True)
        losses.append(float(out.loss.detach()))
        if step % EVERY == 0 or step == steps:
            yield step, out.logits_per_image.detach(), list(losses), images, scenes
        if step < steps:
            optimizer.zero_grad(set_to_none=True)
            out.loss.backward()
            optimizer.step()


@keeps_view
def watch_it_learn(settings: Settings, seed):
    seed = whole("seed", seed, 0, MAX_SEED)
    tokenizer = app_scene_clip(settings).tokenizer
    for step, logits, losses, images, scenes in training_run(tokenizer, seed):
        result = contrastive(logits)
        pictures = images.permute(0, 2, 3, 1).numpy()
        right = int((result.logits.argmax(dim=1) == torch.arange(BATCH)).sum())
        yield (similarity_matrix(result.per_image.numpy(), pictures, [s.caption for s in scenes], "per image"),
               learning_curve(losses, STEPS),
               f"Step **{step} of {STEPS}**: L = {result.loss:.3f} (chance: log {BATCH} = {np.log(BATCH):.3f}); "
               f"**{right} of {BATCH}** images pick their own caption. "
               + ("Done: the diagonal is what the loss pulls together, everything else is pushed apart."
                  if step == STEPS else "Training…"))


def build_learn_part(settings: Settings) -> None:
    gr.Markdown("### Watch it learn: a fresh CLIP, from noise to a diagonal")
    with gr.Row():
        seed = CheckedNumber(0, label="seed (the batch and the starting weights)", precision=0, minimum=0,
                         maximum=MAX_SEED, elem_id="clip-learn-seed")
        run = gr.Button(f"Train a fresh small CLIP for {STEPS} steps (a few seconds)", variant="primary",
                        elem_id="clip-learn-run")
    note = gr.Markdown(elem_id="clip-learn-note")
    with gr.Row():
        matrix = gr.Plot(label="p(caption | image) of the fresh copy", elem_id="clip-learn-matrix", scale=3)
        curve = gr.Plot(label="loss", elem_id="clip-learn-curve", scale=2)
    run.click(bind(watch_it_learn, settings), inputs=seed, outputs=[matrix, curve, note], api_visibility="undocumented",
              concurrency_id="clip-learn", concurrency_limit=2)

