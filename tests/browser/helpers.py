"""What browser tests share: open a panel, save a screenshot."""
from pathlib import Path

from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"   # git-ignored; the docs' copies are in docs/images


def open_panel(page, section: str, panel: str) -> None:
    """As a learner does: the section's link in the header (it opens the section's first panel's page), then the
    panel's link when it is another one."""
    page.locator(".dle-nav").get_by_role("link", name=section, exact=True).click()
    expect(page.locator(".dle-nav a.dle-here")).to_have_text(section)
    here = page.locator(".dle-panels a.dle-here")
    expect(here).to_be_visible()
    if here.inner_text() != panel:
        page.locator(".dle-panels").get_by_role("link", name=panel, exact=True).click()
    expect(here).to_have_text(panel)


def save_screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_timeout(400)  # let plotly finish its transition
    page.screenshot(path=str(path), full_page=True)
    return path
