"""How good and how varied generated samples are, as plain numbers (knowledge map: Classifier-Free Guidance, "more
faithful, less diverse").

    accuracy   = the fraction of samples a separate classifier reads as the digit that was asked for
    confidence = the mean probability it gives that digit
    diversity  = the mean Euclidean distance between all pairs of samples, Σ_{i≠j} |x_i − x_j| / (n (n − 1));
                 or, in an encoder's space (what the pictures show rather than their pixels), the mean cosine
                 distance Σ_{i≠j} (1 − cos(e_i, e_j)) / (n (n − 1))
    closeness  = the mean distance from each sample to its nearest data point (the 2-D toy models)
"""
import torch


def mean_pairwise_distance(images: torch.Tensor) -> float:
    """Diversity: the mean Euclidean distance between all pairs of images (B, ...); 0 for fewer than 2."""
    if len(images) < 2:
        return 0.0
    flat = images.reshape(len(images), -1).double()                                     # (B, D)
    distances = torch.cdist(flat, flat)                                                 # (B, B)
    return float(distances.sum() / (len(flat) * (len(flat) - 1)))


def mean_pairwise_cosine_distance(embeddings: torch.Tensor) -> float:
    """Diversity in an embedding space: the mean of 1 − cos(e_i, e_j) over all pairs i ≠ j of (B, D); 0 for fewer
    than 2. It ignores contrast and brightness that move every pixel but not what the picture shows."""
    if len(embeddings) < 2:
        return 0.0
    unit = torch.nn.functional.normalize(embeddings.double(), dim=-1)                  # (B, D)
    distances = 1 - unit @ unit.T                                                       # (B, B), 0 on the diagonal
    distances.fill_diagonal_(0)
    return float(distances.sum() / (len(unit) * (len(unit) - 1)))


def verdict(probabilities: torch.Tensor, images: torch.Tensor, digit: int, real_diversity: float) -> dict:
    """Accuracy and mean confidence for the asked digit from a classifier's probabilities (B, 10), and the samples'
    diversity, absolute and relative to the real digits' (real_diversity)."""
    diversity = mean_pairwise_distance(images)
    return {"accuracy": float((probabilities.argmax(-1) == digit).float().mean()),
            "confidence": float(probabilities[:, digit].mean()),
            "diversity": diversity, "relative_diversity": diversity / real_diversity}


def nearest_neighbour_distance(samples: torch.Tensor, data: torch.Tensor) -> float:
    """How close samples (n, D) land to the data (m, D): the mean over samples of the distance to the nearest data
    point. A second sample of the data itself gives the floor to compare with."""
    return float(torch.cdist(samples.double(), data.double()).min(dim=1).values.mean())
