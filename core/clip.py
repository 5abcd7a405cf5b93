"""CLIP (knowledge map: CLIP (Text + Image Bridge), Vectors & Dot Products, Softmax): two encoders map images and
texts into one space; matching pairs should point the same way.

For a batch of N images and their N captions, with unit-length embeddings I_i and T_j and a learned temperature
(CLIP's logit scale τ = e^t, at most 100):

    s_ij = τ · I_i · T_j                       (an N x N matrix; the diagonal holds the true pairs)
    L = ½ [ CE(rows of s, diagonal) + CE(columns of s, diagonal) ]

Each row's softmax is "which caption goes with this image"; each column's is "which image goes with this caption".
Zero-shot classification is one row: an image against captions the user writes.
"""
from dataclasses import dataclass

import torch


def unit(x: torch.Tensor) -> torch.Tensor:
    """Rows scaled to length 1 (CLIP compares directions, not lengths)."""
    return x / x.norm(dim=-1, keepdim=True)


def similarity(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor, logit_scale: float) -> torch.Tensor:
    """s = τ · unit(I) unit(T)ᵀ: (N_images, N_texts) logits."""
    return logit_scale * unit(image_embeddings) @ unit(text_embeddings).T


@dataclass(frozen=True)
class Contrastive:
    logits: torch.Tensor            # (N, N) s_ij
    per_image: torch.Tensor         # (N, N) softmax over each row: p(caption j | image i)
    per_text: torch.Tensor          # (N, N) softmax over each column: p(image i | caption j)
    image_loss: float               # mean over rows of −log p(caption i | image i)
    text_loss: float                # mean over columns of −log p(image j | caption j)

    @property
    def loss(self) -> float:
        return 0.5 * (self.image_loss + self.text_loss)


def contrastive(logits: torch.Tensor) -> Contrastive:
    """CLIP's symmetric cross-entropy on a square batch whose diagonal holds the true pairs, written out."""
    n = logits.shape[0]
    if logits.shape != (n, n) or n < 2:
        raise ValueError(f"the contrastive loss needs a square batch of at least 2 pairs, got {tuple(logits.shape)}")
    per_image = logits.softmax(dim=1)                                                   # rows sum to 1
    per_text = logits.softmax(dim=0)                                                    # columns sum to 1
    return Contrastive(logits, per_image, per_text, diagonal_cross_entropy(logits),
                       diagonal_cross_entropy(logits.T))


def diagonal_cross_entropy(logits: torch.Tensor) -> float:
    """The mean over rows i of −log softmax_j(s_ij) at j = i, written as log(1 + Σ_{j≠i} e^{s_ij − s_ii}): the same
    number, but a trained CLIP's tiny loss (3·10⁻¹⁸) stays a number instead of rounding to 0 as −log(p) with
    p = 1.0 in float32 does."""
    s = logits.double()
    gaps = (s - s.diagonal()[:, None]).exp()                                            # e^{s_ij − s_ii}
    others = gaps.masked_fill(torch.eye(len(s), dtype=torch.bool), 0.0).sum(dim=1)
    return float(torch.log1p(others).mean())


def recall_at(logits: torch.Tensor, k: int) -> float:
    """Fraction of rows whose true partner (the diagonal) is among the k largest logits of the row."""
    n = logits.shape[0]
    top = logits.topk(min(k, logits.shape[1]), dim=1).indices                           # (N, k)
    return float((top == torch.arange(n)[:, None]).any(dim=1).float().mean())


def shared_plane(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Both modalities' unit embeddings projected together onto their first two principal components: (N_i, 2),
    (N_t, 2), and the share of variance each component explains (2,). The modality gap shows as two clouds."""
    both = torch.cat([unit(image_embeddings), unit(text_embeddings)]).double()          # (N_i + N_t, D)
    centred = both - both.mean(dim=0)
    _, singular, vh = torch.linalg.svd(centred, full_matrices=False)
    plane = centred @ vh[:2].T                                                          # (N_i + N_t, 2)
    explained = singular[:2] ** 2 / (singular ** 2).sum()
    n = image_embeddings.shape[0]
    return plane[:n].float(), plane[n:].float(), explained.float()
