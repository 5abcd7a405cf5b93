"""The VAE training script's pieces: its loss is the written-out L1 + L2 + KL, and once the encoder is locked a step
changes the decoder only (the latents the U-Net was trained on stay the same)."""
import torch

from models.scene_pipeline import build_vae
from models.scenes import scene_batch
from training.train_vae import lock_encoder, vae_loss


def test_a_locked_encoder_gives_the_same_latents_after_a_step():
    torch.manual_seed(0)
    vae = build_vae()
    images, _ = scene_batch(2, 0)
    x = images * 2 - 1
    with torch.no_grad():
        before = vae.encode(x).latent_dist.mean.clone()
    decoder_before = {k: v.clone() for k, v in vae.decoder.state_dict().items()}
    vae.train()
    lock_encoder(vae)
    optimizer = torch.optim.AdamW(vae.parameters(), lr=1e-2)
    vae_loss(vae, x, 1e-6, torch.Generator().manual_seed(0)).backward()
    optimizer.step()
    with torch.no_grad():
        after = vae.encode(x).latent_dist.mean
    assert torch.equal(before, after)
    assert any(not torch.equal(v, vae.decoder.state_dict()[k]) for k, v in decoder_before.items())


def test_the_loss_is_l1_plus_l2_plus_the_weighted_kl():
    torch.manual_seed(1)
    vae = build_vae().eval()
    images, _ = scene_batch(2, 1)
    x = images * 2 - 1
    with torch.no_grad():
        loss = vae_loss(vae, x, 0.5, torch.Generator().manual_seed(3))
        posterior = vae.encode(x).latent_dist
        z = posterior.sample(torch.Generator().manual_seed(3))
        error = vae.decode(z).sample - x
        expected = error.abs().mean() + (error ** 2).mean() + 0.5 * posterior.kl().mean()
    torch.testing.assert_close(loss, expected)
