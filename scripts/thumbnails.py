"""The docs' screenshots and the landing page's pictures, taken from the pages of a running app in Debian's Chromium:
docs/images/<panel>.png (the page at 1400 px, its top 1400 x 1300 once every figure is drawn) and
server/assets/thumbnails/<panel>.jpg (320 x 180, a 16:9 crop around the page's first drawn figure: what the panel
shows, not its text). Run after a panel's look changes:

    .venv/bin/python app.py &            # then, once it answers:
    .venv/bin/python scripts/thumbnails.py http://127.0.0.1:7860
"""
import io
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
PANELS = ["neuron", "digit-network", "descent", "backprop", "playground", "embeddings", "next-token", "attention",
          "residual", "editing", "clip", "noising", "denoising", "guidance", "text-to-image", "vector-field"]
SIZE = (320, 180)
PAGE = (1400, 1300)                      # the docs' screenshot: the top of the page, where a panel starts
DRAWN_S = 180                            # a page's figures may wait for a model's first load


def drawn(page) -> None:
    """Wait until the page has a figure and every figure on it has drawn (the page script marks them)."""
    page.wait_for_function("() => { const f = [...document.querySelectorAll('.js-plotly-plot')];"
                           " return f.length > 0 && f.every((p) => p.querySelector('.main-svg')); }",
                           timeout=DRAWN_S * 1000)
    page.wait_for_timeout(1500)          # plotly's transitions, and a figure that arrives after the first


def figure_crop(shot: Image.Image, box: dict) -> Image.Image:
    """A 16:9 crop centred on the figure's box (page pixels), inside the screenshot."""
    width = max(box["width"], box["height"] * SIZE[0] / SIZE[1])
    height = width * SIZE[1] / SIZE[0]
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    left = min(max(cx - width / 2, 0), max(shot.width - width, 0))
    top = min(max(cy - height / 2, 0), max(shot.height - height, 0))
    return shot.crop((int(left), int(top), int(left + width), int(top + height))).resize(SIZE, Image.LANCZOS)


def main(url: str) -> None:
    from playwright.sync_api import sync_playwright

    thumbnails, images = REPO / "server" / "assets" / "thumbnails", REPO / "docs" / "images"
    thumbnails.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": PAGE[0], "height": 1000})
        for panel in PANELS:
            page.goto(f"{url}/{panel}")
            drawn(page)
            shot = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
            shot.crop((0, 0, PAGE[0], min(PAGE[1], shot.height))).save(images / f"{panel}.png", optimize=True)
            box = page.locator(".js-plotly-plot").first.bounding_box()
            scroll = page.evaluate("() => window.scrollY")
            box = {**box, "y": box["y"] + scroll}
            figure_crop(shot, box).save(thumbnails / f"{panel}.jpg", quality=80)
            print(panel, "figure at", {k: round(v) for k, v in box.items()})
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860")
