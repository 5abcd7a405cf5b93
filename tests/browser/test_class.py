"""Class mode in one Chromium, on the one app the browser tests share: the lecturer's console (1024 px) and two
students' phones (390 px), each student in a context of their own (the anonymous id lives in the browser's storage).
The lecturer starts a class from the tour's bar at a multiple-choice stop followed by a free-answer one; the
students join (one by the join link, one by typing the code on the app's first page), answer (one right, one
wrong), the histogram counts them (hidden on request until the reveal), the reveal marks the model's answer with
the share that predicted it, the students see it, one follows the lecturer's panel in a frame, ▶ takes everyone to
the next question, and answers written as HTML, a script or a Markdown link are shown on the lecturer's page as the
characters they are; the class in one page lists both questions, the results CSV downloads, and no address the
console asked for carried its secret."""
import csv
import io
import re
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import expect

from components.tour import bundled_tours
from tests.browser.conftest import LOCAL_HOSTS
from tests.browser.helpers import save_screenshot

HOSTILE = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "[click me](javascript:alert(3))"]


def choice_then_free_question() -> int:
    """The first stop of the series with choices whose next stop asks a free question."""
    stops = bundled_tours()["series"].stops
    return next(i for i in range(1, len(stops)) if stops[i - 1].choices and stops[i].question and not stops[i].choices)


def open_page(browser, url: str, width: int, outside: list, dialogs: list):
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844})
    context.on("request", lambda r: outside.append(r.url) if (urlparse(r.url).hostname or "") not in LOCAL_HOSTS
               and r.url.startswith(("http", "ws")) else None)
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept() if d.type == "confirm" else d.dismiss()))
    page.goto(url)
    return page


def test_a_class_answers_sees_the_reveal_and_follows_the_lecturer(browser, app_url):
    number = choice_then_free_question()
    stop, after = bundled_tours()["series"].stops[number - 1], bundled_tours()["series"].stops[number]
    right, wrong = stop.answer, next(c for c in stop.choices if c != stop.answer)
    outside, dialogs = [], []
    tour = open_page(browser, f"{app_url}/?tour=series&stop={number}", 1024, outside, dialogs)   # the lecturer's tour
    with tour.expect_popup() as opened:
        tour.get_by_role("link", name="start a class ↗").click()
    lecturer = opened.value
    lecturer.on("dialog", lambda d: (dialogs.append(d.message), d.accept() if d.type == "confirm" else d.dismiss()))
    expect(lecturer).to_have_url(re.compile(rf"/class/lecturer\?tour=series&stop={number}$"))
    expect(lecturer.locator("#start-tour")).to_have_text("series")
    addresses = []
    lecturer.on("request", lambda r: addresses.append(r.url))
    save_screenshot(lecturer, "class-lecturer-start-1024")
    lecturer.get_by_role("button", name="Start a class").click()
    expect(lecturer.locator("#code")).to_have_text(re.compile(r"^[A-Z2-9]{5}$"))
    code = lecturer.locator("#code").inner_text()
    assert f"code={code}&secret=" in lecturer.url                      # the console lives in the fragment
    expect(lecturer.locator("#question")).to_have_text(stop.question)
    assert lecturer.locator("#qr").evaluate("img => img.complete && img.naturalWidth > 0")

    one = open_page(browser, f"{app_url}/?join={code}", 390, outside, dialogs)        # the join link (the QR's)
    two = open_page(browser, app_url, 390, outside, dialogs)           # the code typed on the app's first page
    two.locator("#dle-join-code").fill(code.lower())
    save_screenshot(two, "class-student-join-390")
    two.locator("#dle-join-code").press("Enter")
    for phone in (one, two):
        expect(phone.locator("#question")).to_have_text(stop.question)
    one.get_by_role("button", name=right).click()
    two.get_by_role("button", name=wrong).click()
    expect(two.locator("#mine")).to_contain_text(f"your answer: {wrong}")
    two.reload()                                                        # the anonymous id keeps the answer
    expect(two.locator("#mine")).to_contain_text(f"your answer: {wrong}")

    expect(lecturer.locator("#count")).to_have_text("2 of 2 answered")
    expect(lecturer.locator(".bar", has_text=right).locator(".bar-count")).to_have_text("1 · 50 %")
    lecturer.locator("#hide-bars").check()                              # the projector hides the answers...
    expect(lecturer.locator("#bars")).to_be_hidden()
    expect(lecturer.locator("#count")).to_have_text("2 of 2 answered")
    lecturer.get_by_role("button", name="reveal").click()
    expect(lecturer.locator(".bar.model .bar-label")).to_have_text(right)   # ...until the reveal
    expect(tour).to_have_url(re.compile(rf"stop={number}&reveal=1"))  # the projector's tour tab revealed with it
    lecturer.locator("#hide-bars").uncheck()
    expect(lecturer.locator("#share")).to_contain_text("50 % of the room predicted the model's answer")
    expect(one.locator("#model")).to_have_text(f"The model's answer: {right} · you predicted it ✓")
    expect(two.locator("#model")).to_have_text(f"The model's answer: {right}")
    expect(two.locator("#share")).to_contain_text("50 %")
    expect(lecturer.locator("#panel-link")).to_have_attribute("href", f"../?tour=series&stop={number}&reveal=1")
    save_screenshot(lecturer, "class-lecturer-1024")
    save_screenshot(one, "class-student-390")

    one.get_by_role("button", name="follow the lecturer's panel here").click()          # follow me: the panel
    frame = one.frame_locator("#follow-frame")
    expect(frame.locator("#tour")).to_contain_text(f"stop {number} of", timeout=60_000)

    lecturer.get_by_role("button", name="▶").click()
    expect(tour).to_have_url(re.compile(rf"stop={number + 1}$"))       # and moves on with the console
    for phone in (one, two):
        expect(phone.locator("#question")).to_have_text(after.question)
    expect(one.locator("#panel-link")).to_have_attribute("href", f"../?tour=series&stop={number + 1}")
    expect(frame.locator("#tour")).to_contain_text(f"stop {number + 1} of", timeout=60_000)   # it moved along
    save_screenshot(one, "class-student-follow-390")
    one.get_by_role("button", name="explore on my own").click()
    expect(one.locator("#follow-note")).to_have_text(f"Exploring on your own: the lecturer is at stop {number + 1}.")
    expect(one.get_by_role("button", name="follow the lecturer again")).to_be_visible()
    for said in HOSTILE[:2]:                                            # a changed answer replaces the first
        one.locator("#free-input").fill(said)
        one.get_by_role("button", name="Send").click()
        expect(lecturer.locator("#bars .bar-label")).to_have_text([said.lower()])
    two.locator("#free-input").fill(HOSTILE[2])
    two.get_by_role("button", name="Send").click()
    expect(lecturer.locator("#bars .bar-label")).to_have_count(2)
    expect(lecturer.locator("#bars")).to_contain_text(HOSTILE[2])
    assert lecturer.locator("#bars img, #bars script, #bars a").count() == 0
    save_screenshot(lecturer, "class-lecturer-free-answers-1024")
    save_screenshot(two, "class-student-free-answer-390")

    with lecturer.expect_download() as saved:                           # fetched with the secret in a header
        lecturer.get_by_role("link", name="results (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(saved.value.path()).read_text())))
    assert rows[0] == ["stop", "question", "answer", "count"] and [r[0] for r in rows[1:]].count(str(number)) == 2
    assert not [a for a in addresses if "secret" in a]                  # no address carried the lecturer's key

    lecturer.get_by_role("button", name="the class in one page").click()
    summary = lecturer.locator("#summary")
    expect(summary.locator(".summary-stop")).to_have_count(2)           # both questions, in order
    expect(summary.locator(".summary-stop").first).to_contain_text(stop.question)
    expect(summary.locator(".summary-stop").first.locator(".share")).to_contain_text("50 % of the room predicted")
    expect(summary.locator(".summary-stop").nth(1)).to_contain_text(after.question)
    save_screenshot(lecturer, "class-summary-1024")

    lecturer.get_by_role("button", name="close the class").click()
    expect(lecturer.locator("#status")).to_contain_text(f"The class {code} is closed")
    expect(one.locator("#status")).to_contain_text("The class has ended")
    assert [d for d in dialogs if "Close the class" not in d] == [] and outside == []
    for page in (lecturer, one, two):
        page.context.close()
