"""What browser tests share: open a panel, save a screenshot."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"   # git-ignored; the README copies are in docs/images


def open_panel(page, section: str, panel: str) -> None:
    """Click a section tab, then a panel tab (components of an unopened tab are not in the page)."""
    page.get_by_role("tab", name=section, exact=True).click()
    page.get_by_role("tab", name=panel, exact=True).click()


def save_screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_timeout(400)  # let plotly finish its transition
    page.screenshot(path=str(path), full_page=True)
    return path
