"""The CLIP training script's pieces: its loss is CLIPModel's own on a batch of scenes, the schedule has two phases,
and once the text tower is locked a step changes the image side only (the U-Net's text encoder stays valid)."""
import pytest
import torch

from models.caption_tokenizer import load_tokenizer, write_tokenizer
from models.scene_clip import fresh_clip
from training.train_clip import ClipTraining, clip_step, learning_rate, lock_text


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return load_tokenizer(write_tokenizer(tmp_path_factory.mktemp("tok")))


def test_the_schedule_warms_up_and_decays_in_each_phase():
    config = ClipTraining(steps=1000, joint_steps=600, warmup_steps=100, learning_rate=1e-3)
    assert learning_rate(config, 0) == pytest.approx(1e-5)
    assert learning_rate(config, 99) == pytest.approx(1e-3, rel=0.2)
    assert learning_rate(config, 599) == pytest.approx(1e-4, rel=0.01)          # 10 % at the end of phase 1
    assert learning_rate(config, 600) == pytest.approx(1e-5)                    # phase 2 warms up again
    assert learning_rate(config, 999) == pytest.approx(1e-4, rel=0.02)


def test_a_locked_text_tower_does_not_move(tokenizer):
    model = fresh_clip(tokenizer, seed=0)
    text_before = {k: v.clone() for k, v in model.text_model.state_dict().items()}
    vision_before = {k: v.clone() for k, v in model.vision_model.state_dict().items()}
    lock_text(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    loss = clip_step(model, tokenizer, ClipTraining(batch_size=8), step=0)
    loss.backward()
    optimizer.step()
    assert all(torch.equal(v, model.text_model.state_dict()[k]) for k, v in text_before.items())
    assert any(not torch.equal(v, model.vision_model.state_dict()[k]) for k, v in vision_before.items())


def test_the_step_loss_is_the_models_symmetric_cross_entropy(tokenizer):
    from core.clip import contrastive
    from models.scene_clip import pixels
    from models.scenes import twin_batch

    model = fresh_clip(tokenizer, seed=1).eval()
    config = ClipTraining(batch_size=6)
    with torch.no_grad():
        loss = clip_step(model, tokenizer, config, step=3)
        images, scenes = twin_batch(6, config.seed * 1_000_003 + 3, "train")
        text = tokenizer([s.caption for s in scenes], padding="max_length", truncation=True, return_tensors="pt")
        logits = model(input_ids=text.input_ids, attention_mask=text.attention_mask,
                       pixel_values=pixels(images)).logits_per_image
    assert float(loss) == pytest.approx(contrastive(logits).loss, rel=1e-5)
