"""The landing page's pictures: a 16:9 crop of each panel's screenshot in docs/images, 320 x 180 JPEG.
Run after the docs' images are renewed: .venv/bin/python scripts/thumbnails.py"""
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
PANELS = ["neuron", "digit-network", "descent", "backprop", "playground", "embeddings", "next-token", "attention",
          "residual", "editing", "clip", "noising", "denoising", "guidance", "text-to-image", "vector-field"]
TOP = {"neuron": 560, "playground": 420}    # where the panel's first figure starts, where the default misses it
SIZE = (320, 180)


def main() -> None:
    out = REPO / "server" / "assets" / "thumbnails"
    out.mkdir(parents=True, exist_ok=True)
    for panel in PANELS:                                  # docs/images/<panel>.png -> thumbnails/<panel>.jpg
        shot = Image.open(REPO / "docs" / "images" / f"{panel}.png").convert("RGB")
        top = TOP.get(panel, 230)
        crop = shot.crop((0, top, shot.width, top + shot.width * SIZE[1] // SIZE[0]))
        crop.resize(SIZE, Image.LANCZOS).save(out / f"{panel}.jpg", quality=80)


if __name__ == "__main__":
    main()
