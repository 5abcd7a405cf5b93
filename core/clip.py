"""CLIP (knowledge map: CLIP (Text + Image Bridge), Vectors & Dot Products, Softmax): two encoders map images and
texts into one space; matching pairs should point the same way.

For a batch of N images and their N captions, with unit-length embeddings I_i and T_j and a learned scale (CLIP's
logit scale τ = e^t, at most 100: one over a learned temperature):

    s_ij = τ · I_i · T_j                       (an N x N matrix; the diagonal holds the true pairs)
    L = ½ [ CE(rows of s, diagonal) + CE(columns of s, diagonal) ]

Here the tensor s has images as rows: softmax over each row of s (over j) is "which caption goes with this image",
over each column (over i) "which image goes with this caption". The panel's figure draws s transposed (each image above
its column), so there the per-image softmax runs down each column. Zero-shot classification is one image against
captions the user writes. The panel's temperature T divides s before a softmax, as in next-token sampling:
softmax(s / T), as if τ were τ / T.

The space has arithmetic too (the echo of king − man + woman): two scenes that differ in one attribute give a
difference of unit image embeddings d = I_a/‖I_a‖ − I_b/‖I_b‖, and the words whose text embeddings point along d,
cos(T_word, d), are the attribute's two values.
"""
import difflib
from dataclasses import dataclass

import torch

from core.checks import quote


def unit(x: torch.Tensor) -> torch.Tensor:
    """Rows scaled to length 1 (CLIP compares directions, not lengths)."""
    return x / x.norm(dim=-1, keepdim=True)


def similarity(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor, logit_scale: float) -> torch.Tensor:
    """s = τ · unit(I) unit(T)ᵀ: (N_images, N_texts) logits."""
    return logit_scale * unit(image_embeddings) @ unit(text_embeddings).T


@dataclass(frozen=True)
class Contrastive:
    logits: torch.Tensor            # (N, N) s_ij
    per_image: torch.Tensor         # (N, N) softmax over each row of s: p(caption j | image i) (a column as drawn)
    per_text: torch.Tensor          # (N, N) softmax over each column of s: p(image i | caption j) (a row as drawn)
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
    p = 1.0 in float32 does. A row whose largest gap m = max_{j≠i}(s_ij − s_ii) is positive (a wrong caption wins,
    by 5,000 at a temperature of 0.01) is written m + log(e^{−m} + Σ_{j≠i} e^{s_ij − s_ii − m}), so that no e^x
    overflows to ∞."""
    s = logits.double()
    gaps = s - s.diagonal()[:, None]                                                    # s_ij − s_ii
    others = gaps.masked_fill(torch.eye(len(s), dtype=torch.bool), -torch.inf)         # j ≠ i only
    top = others.max(dim=1).values.clamp_min(0.0)                                       # m, or 0: no e^x overflows
    shifted = (others - top[:, None]).exp().sum(dim=1)                                  # Σ_{j≠i} e^{gap − m}
    rows = torch.where(top > 0, top + torch.log(torch.exp(-top) + shifted), torch.log1p(shifted))
    return float(rows.mean())


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


def unit_difference(image_a: torch.Tensor, image_b: torch.Tensor) -> torch.Tensor:
    """d = (1/K) Σ_k [I_a^k/‖I_a^k‖ − I_b^k/‖I_b^k‖]: K renderings of each scene, (K, D) and (K, D) -> (D,)."""
    if image_a.shape != image_b.shape or image_a.ndim != 2:
        raise ValueError(f"two (K, D) stacks of embeddings are needed, got {tuple(image_a.shape)} and "
                         f"{tuple(image_b.shape)}")
    return (unit(image_a) - unit(image_b)).mean(dim=0)


@dataclass(frozen=True)
class Ranking:
    words: tuple[str, ...]          # every word, the one most aligned with d first
    cosines: torch.Tensor           # (V,) cos(T_word, d), in that order (descending)

    def rank(self, word: str) -> int:
        """1 for the word most aligned with d, V for the least."""
        return self.words.index(word) + 1

    def cosine(self, word: str) -> float:
        return float(self.cosines[self.words.index(word)])


def words_along(words: list[str], word_embeddings: torch.Tensor, direction: torch.Tensor) -> Ranking:
    """The words ranked by cos(T_word, d) = T_word · d / (‖T_word‖ ‖d‖): (V, D) text embeddings, d (D,)."""
    if float(direction.norm()) < 1e-12:
        raise ValueError("The two scenes have the same embedding (d = 0): it points nowhere; change one of them.")
    cosines = unit(word_embeddings) @ unit(direction)                                  # (V,)
    order = torch.argsort(cosines, descending=True, stable=True)
    return Ranking(tuple(words[i] for i in order), cosines[order])


def checked_word(word, vocabulary: list[str]) -> str:
    """A word of the vocabulary (case and spaces aside), or a ValueError that lists it and offers a close spelling."""
    text = str(word).strip().lower()
    if text in vocabulary:
        return text
    close = difflib.get_close_matches(text, vocabulary, n=1, cutoff=0.6)
    hint = f"; did you mean {quote(close[0])}?" if close else f": {', '.join(vocabulary)}."
    raise ValueError(f"{quote(str(word).strip())} is not one of the {len(vocabulary)} caption words CLIP "
                     f"learned{hint}")
