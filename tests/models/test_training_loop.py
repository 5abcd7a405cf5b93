"""training/loop.py, the loop the training scripts share: a run stopped after some steps and run again goes on from
the saved step (the model, the optimizer and the random generator restored), the EMA copy follows the model, and
the CLIP, VAE and scenes' U-Net scripts each resume through it and write what the app loads."""
import pytest
import torch

from training.loop import Training, phased_cosine, run, warmup


def toy(work_dir, steps: int, seed: int = 0):
    torch.manual_seed(seed)
    model, ema = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)
    ema.load_state_dict(model.state_dict())
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(seed)
    training = Training({"model": model, "ema": ema}, optimizer, steps, work_dir, generator, ema=(ema, model, 0.9))

    def loss_at(step: int) -> torch.Tensor:
        x = torch.randn(8, 3, generator=generator)
        return (model(x) - x.sum(dim=1, keepdim=True)).pow(2).mean()

    return training, loss_at, model, ema


def test_a_stopped_run_resumed_equals_one_run_straight_through(tmp_path):
    finals = []
    straight, loss_at, model, _ = toy(tmp_path / "a", steps=6)
    assert run(straight, loss_at, lambda s: 0.1, lambda s, final: finals.append((s, final)), 5, every=2) == 6
    assert finals == [(2, False), (4, False), (6, False), (6, True)]
    first, loss_at, _, _ = toy(tmp_path / "b", steps=3)
    run(first, loss_at, lambda s: 0.1, lambda s, final: None, 5, every=100)
    again, loss_at, resumed, _ = toy(tmp_path / "b", steps=6)
    assert run(again, loss_at, lambda s: 0.1, lambda s, final: None, 5, every=100) == 6
    assert torch.load(tmp_path / "b" / "state.pt", weights_only=True)["step"] == 6
    for a, b in zip(model.parameters(), resumed.parameters()):        # the same weights as one uninterrupted run
        assert torch.allclose(a, b, atol=1e-6)


def test_the_ema_follows_the_model_with_diffusers_warm_up(tmp_path):
    training, loss_at, model, ema = toy(tmp_path, steps=1)
    before = [p.detach().clone() for p in ema.parameters()]
    run(training, loss_at, lambda s: 0.1, lambda s, final: None, 5, every=100)
    decay = min(0.9, 1 / 10)                                          # (1 + step) / (10 + step) at step 0
    for e, m, b in zip(ema.parameters(), model.parameters(), before):
        assert torch.allclose(e, decay * b + (1 - decay) * m.detach())


def test_schedules():
    assert warmup(0, 1.0, 4) == pytest.approx(0.25) and warmup(10, 1.0, 4) == 1.0
    assert phased_cosine(0, 1.0, 10, 100, 200) == pytest.approx(0.1)
    assert phased_cosine(99, 1.0, 10, 100, 200) == pytest.approx(0.1, rel=0.01)     # 10 % at a phase's end
    assert phased_cosine(100, 1.0, 10, 100, 200) == pytest.approx(0.1)              # the next phase warms up
    assert phased_cosine(150, 1.0, 10, 100, 200) == pytest.approx(0.55, rel=0.01)   # half-way down its cosine


def test_a_rate_per_parameter_group(tmp_path):
    torch.manual_seed(0)
    a, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD([{"params": a.parameters()}, {"params": b.parameters()}], lr=1.0)
    training = Training({"a": a, "b": b}, optimizer, 1, tmp_path)
    b_before = [p.detach().clone() for p in b.parameters()]
    run(training, lambda step: a(torch.ones(1, 2)).sum() + b(torch.ones(1, 2)).sum(), lambda step: [0.5, 0.0],
        lambda step, final: None, 5, every=100)
    assert [group["lr"] for group in optimizer.param_groups] == [0.5, 0.0]
    assert all(torch.equal(p, q) for p, q in zip(b.parameters(), b_before))         # rate 0: b did not move


def test_the_clip_script_resumes_into_its_locked_phase_and_writes_a_clip(tmp_path):
    from transformers.models.clip.modeling_clip import CLIPModel

    from training.train_clip import ClipTraining, train

    config = dict(batch_size=8, joint_steps=1, warmup_steps=1)
    train(ClipTraining(steps=1, **config), tmp_path / "work", tmp_path / "clip", max_minutes=5, every=100)
    text_before = CLIPModel.from_pretrained(tmp_path / "clip").text_model.state_dict()
    train(ClipTraining(steps=2, **config), tmp_path / "work", tmp_path / "clip", max_minutes=5, every=100)
    assert torch.load(tmp_path / "work" / "state.pt", weights_only=True)["step"] == 2
    text_after = CLIPModel.from_pretrained(tmp_path / "clip").text_model.state_dict()
    assert all(torch.equal(v, text_after[k]) for k, v in text_before.items())     # phase 2: the text tower locked


def test_the_vae_and_unet_scripts_resume_and_write_what_the_app_loads(tmp_path, monkeypatch):
    from diffusers import AutoencoderKL, UNet2DConditionModel

    import training.train_unet as train_unet
    from training.train_vae import VaeTraining, train as train_vae

    config = dict(batch_size=2, joint_steps=1, warmup_steps=1)
    train_vae(VaeTraining(steps=1, **config), tmp_path / "vae-work", tmp_path / "vae", max_minutes=5, every=100)
    train_vae(VaeTraining(steps=2, **config), tmp_path / "vae-work", tmp_path / "vae", max_minutes=5, every=100)
    assert torch.load(tmp_path / "vae-work" / "state.pt", weights_only=True)["step"] == 2
    assert AutoencoderKL.from_pretrained(tmp_path / "vae").config.scaling_factor > 0
    unet_config = train_unet.UnetTraining(steps=1, batch_size=2, reuse=1, warmup_steps=1)
    train_unet.train(unet_config, tmp_path / "unet-work", tmp_path / "pipeline", max_minutes=5, every=100)
    train_unet.train(train_unet.UnetTraining(steps=2, batch_size=2, reuse=1, warmup_steps=1), tmp_path / "unet-work",
                     tmp_path / "pipeline", max_minutes=5, every=100)
    assert torch.load(tmp_path / "unet-work" / "state.pt", weights_only=True)["step"] == 2
    assert isinstance(UNet2DConditionModel.from_pretrained(tmp_path / "pipeline" / "unet"), UNet2DConditionModel)


def test_the_vae_refit_keeps_the_teachers_latent_space_and_resumes_with_its_encoder_locked(tmp_path):
    from diffusers import AutoencoderKL

    from training.refit_vae import RefitTraining, encoder_loss, train

    teacher = AutoencoderKL(block_out_channels=(8, 8), norm_num_groups=8, latent_channels=4, layers_per_block=1,
                            scaling_factor=0.5)
    teacher.save_pretrained(tmp_path / "teacher")
    config = dict(encoder_steps=1, batch_size=2, warmup_steps=1)
    train(RefitTraining(steps=1, **config), tmp_path / "teacher", tmp_path / "work", tmp_path / "out", 5, 100)
    first = AutoencoderKL.from_pretrained(tmp_path / "out")
    train(RefitTraining(steps=2, **config), tmp_path / "teacher", tmp_path / "work", tmp_path / "out", 5, 100)
    second = AutoencoderKL.from_pretrained(tmp_path / "out")
    assert torch.load(tmp_path / "work" / "state.pt", weights_only=True)["step"] == 2
    assert second.config.norm_num_groups == 4 and second.config.scaling_factor == 0.5     # the teacher's scale
    assert list(second.config.block_out_channels) == list(teacher.config.block_out_channels)
    assert all(torch.equal(p, q) for p, q in zip(first.encoder.parameters(), second.encoder.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(first.decoder.parameters(), second.decoder.parameters()))
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        assert encoder_loss(teacher, teacher.encode(x).latent_dist, x, 0.1).item() == 0.0
        assert encoder_loss(second, teacher.encode(x).latent_dist, x, 0.1).item() > 0
    with pytest.raises(SystemExit, match="already has norm_num_groups = 4"):        # refit only a 16-group teacher
        train(RefitTraining(steps=3, **config), tmp_path / "out", tmp_path / "work2", tmp_path / "out2", 5, 100)


def test_grounded_words_are_each_digits_phrase_with_its_side():
    from models.scene_pipeline import FOLDER
    from transformers import CLIPTokenizer

    from training.train_unet import grounded_words

    tokenizer = CLIPTokenizer.from_pretrained(FOLDER / "tokenizer")
    captions = ["a large red seven on the right and a blue two on the left on a white background",
                "a red two", "a small green two on the left and a large yellow two on the right",
                "a large green four on a white background"]
    rows, tokens, left = grounded_words(tokenizer, captions)
    words = [tokenizer.convert_ids_to_tokens(tokenizer(captions[r]).input_ids)[t].removesuffix("</w>")
             for r, t in zip(rows.tolist(), tokens.tolist())]
    assert list(zip(rows.tolist(), words, left.tolist())) == [
        (0, "large", False), (0, "red", False), (0, "seven", False), (0, "blue", True), (0, "two", True),
        (2, "small", True), (2, "green", True), (2, "two", True),
        (2, "large", False), (2, "yellow", False), (2, "two", False)]


def test_the_unet_script_with_grounding_trains_and_records_both_terms(tmp_path):
    import training.train_unet as train_unet

    config = train_unet.UnetTraining(steps=1, batch_size=8, reuse=1, warmup_steps=1, grounded_from=0)
    vae, text_encoder, tokenizer = train_unet.frozen_parts()
    from models.scene_pipeline import build_scheduler, build_unet

    torch.manual_seed(0)
    unet = build_unet(text_encoder.config.hidden_size)
    generator = torch.Generator().manual_seed(0)
    z0, text, words = train_unet.encoded_batch(vae, tokenizer, text_encoder, config, 0, generator)
    assert len(words[0]) > 0                                         # the batch has two-digit captions
    empty = train_unet.condition(tokenizer, text_encoder, [""])
    parts = {}
    loss = train_unet.unet_loss(unet, z0, text, empty, build_scheduler().alphas_cumprod, config, generator, words,
                                parts)
    assert loss.item() == pytest.approx(parts["mse"] + config.grounding_weight * parts["grounding"], rel=1e-5)
    assert 0 < parts["grounding"] < 1
    loss.backward()
    assert unet.down_blocks[0].attentions[0].transformer_blocks[0].attn2.to_k.weight.grad.abs().sum() > 0


def test_the_vae_decoder_phase_weights_a_stroke_by_its_distance_from_the_background():
    import numpy as np

    from models.scenes import COLOURS, SIZES, Scene, Thing, inks, render
    from training.train_vae import stroke_weights

    scene = Scene((Thing(7, "red", "large", "centre", 3),), "white", "a large red seven on a white background")
    image = torch.from_numpy(render(scene, np.random.default_rng(0)).transpose(2, 0, 1))[None]
    weight = stroke_weights(image, [scene], 10.0)[0, 0]
    background = (image[0] == 1).all(dim=0)                                     # white pixels
    assert torch.equal(weight[background], torch.ones(int(background.sum())))
    contrast = max(abs(c - 1) for c in COLOURS["red"])                          # red against white, largest channel
    darkest_ink = float(inks(SIZES["large"])[3].max())                          # the stroke's largest alpha
    assert float(weight.max()) == pytest.approx(1 + 10 * contrast * darkest_ink, rel=1e-5)
    assert float(weight.max()) > 8


def test_the_vae_loss_is_its_formula_by_hand():
    from diffusers import AutoencoderKL

    from training.train_vae import vae_loss

    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=(8,), norm_num_groups=4, latent_channels=4, layers_per_block=1).eval()
    x = torch.rand(2, 3, 8, 8) * 2 - 1
    weight = torch.rand(2, 1, 8, 8) + 1
    got = vae_loss(vae, x, 1e-6, torch.Generator().manual_seed(5), weight, 0.5, 3)
    posterior = vae.encode(x).latent_dist
    error = vae.decode(posterior.sample(torch.Generator().manual_seed(5))).sample - x
    per_pixel = error.abs() + error ** 2                                                 # (2, 3, 8, 8)
    weighted = sum(float(weight[b, 0, i, j] * per_pixel[b, c, i, j]) for b in range(2) for c in range(3)
                   for i in range(8) for j in range(8)) / (2 * 3 * 64) / float(weight.mean())
    worst = sum(sorted(per_pixel[b].sum(dim=0).flatten().tolist())[-3:][k] for b in range(2) for k in range(3)) / 6
    expected = weighted + 1e-6 * float(posterior.kl().mean()) + 0.5 * worst
    assert float(got) == pytest.approx(expected, rel=1e-5)
    plain = vae_loss(vae, x, 1e-6, torch.Generator().manual_seed(5))
    assert float(plain) == pytest.approx(float(per_pixel.mean() + 1e-6 * posterior.kl().mean()), rel=1e-5)
