"""The labelling page in a real headless Chromium (Playwright): keys, undo, skip, escaping, the database.

Skipped when /usr/bin/chromium or the playwright package is missing, unless
RCSIM_REQUIRE_BROWSER=1 (as in CI), which turns the skip into a failure.
"""

import os
from pathlib import Path

import pytest

from rcsim_env.data.pairs import ScoredPair
from rcsim_env.labelling.client import wait_until_ready
from rcsim_env.labelling.server import LabellingServer
from rcsim_env.labelling.store import LabelStore

from .conftest import write_lock_held_by_another_process

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "images" / "labelling-page.png"
SCRIPT_SENTENCE = "<script>window.__xss = 1; alert('xss')</script> A man is <b>playing</b> a flute."
IMAGE_SENTENCE = '<img src="x" onerror="window.__xss = 2"> A man plays a flute & sings.'
PAIRS = [
    ScoredPair("A man is playing a guitar.", "A man plays the guitar.", 4.8, "b:1"),
    ScoredPair("A woman is slicing an onion.", "A dog runs in the park.", 0.2, "b:2"),
    ScoredPair(SCRIPT_SENTENCE, IMAGE_SENTENCE, 4.0, "b:3"),
    ScoredPair("Two children read a book.", "Two kids are reading.", 3.6, "b:4"),
    ScoredPair("The cat sleeps on the sofa.", "A cat is sleeping.", 3.9, "b:5"),
    ScoredPair("A red car drives fast.", "A blue bike is parked.", 1.0, "b:6"),
    ScoredPair(
        "Three people sit in a sunny field.", "Some people are sitting outside in the sun.", 3.4, "b:7"
    ),
]


def _sync_playwright():
    """Playwright's sync API, or skip (fail under RCSIM_REQUIRE_BROWSER=1) saying what is missing."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        problems.append("the playwright package is missing (pip install playwright)")
    if problems:
        message = "the browser test needs a real Chromium: " + "; ".join(problems)
        if os.environ.get("RCSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (RCSIM_REQUIRE_BROWSER=1 requires it)")
        pytest.skip(message)
    return sync_playwright


@pytest.fixture
def server(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    store.add_pairs(PAIRS, task=True)
    running = LabellingServer(store, port=0).start()
    wait_until_ready(running.url)
    yield running
    running.shutdown()


def test_keyboard_labelling_in_chromium(server):
    sync_playwright = _sync_playwright()
    dialogs, console_errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 780})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on(
                "console", lambda message: message.type == "error" and console_errors.append(message.text)
            )
            page.goto(server.url)
            page.fill("#annotator", "Browser Ann")
            page.press("#annotator", "Enter")
            # waits use selectors: the page's CSP (enforced here) forbids the eval behind wait_for_function
            page.wait_for_selector('body[data-actions="1"][data-state="ready"]', state="attached")

            def shown_pair() -> int:
                return int(page.get_attribute("body", "data-pair-id"))

            def press(key: str) -> None:
                done = int(page.get_attribute("body", "data-actions"))
                page.keyboard.press(key)
                page.wait_for_selector(f'body[data-actions="{done + 1}"]', state="attached")

            assert shown_pair() == 1
            press("3")
            assert shown_pair() == 2 and "answered 3 for pair 1: saved" in page.text_content("#status")
            press("4")
            assert shown_pair() == 3
            press("u")  # take back the 4 given to pair 2
            assert shown_pair() == 2 and "undid answer 4 for pair 2" in page.text_content("#status")
            press("1")
            assert shown_pair() == 3

            # the <script> pair is on screen: as text, nothing ran
            assert page.text_content("#sentence-a") == SCRIPT_SENTENCE
            assert page.text_content("#sentence-b") == IMAGE_SENTENCE
            assert page.locator("#pair script, #pair img, #pair b").count() == 0
            page.wait_for_timeout(200)  # give an injected onerror handler time to fire, had there been one
            assert page.evaluate("typeof window.__xss") == "undefined"

            press("5")
            press("0")
            assert shown_pair() == 5
            press("s")
            assert shown_pair() == 6 and "skipped pair 5" in page.text_content("#status")
            press("2")
            assert shown_pair() == 7
            assert page.text_content("#progress") == "6 / 7 judged by you"
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            done = int(page.get_attribute("body", "data-actions"))
            page.click('button.score[data-score="4"]')  # the mouse works too
            page.wait_for_selector(f'body[data-actions="{done + 1}"]', state="attached")
            assert page.text_content("#message") == "All pairs are judged. Thank you!"
            assert page.text_content("#progress") == "7 / 7 judged by you"
        finally:
            browser.close()

    assert dialogs == [] and console_errors == []
    rows = server.store.judgements(include_retracted=True)
    assert [(j.pair_id, j.score, j.skipped, j.retracted) for j in rows] == [
        (1, 3.0, False, False),
        (2, 4.0, False, True),
        (2, 1.0, False, False),
        (3, 5.0, False, False),
        (4, 0.0, False, False),
        (5, None, True, False),
        (6, 2.0, False, False),
        (7, 4.0, False, False),
    ]
    assert {j.annotator for j in rows} == {"Browser Ann"} and all(j.origin == "page" for j in rows)
    assert SCREENSHOT.stat().st_size > 10_000


@pytest.mark.parametrize("key", ["4", "s"])
def test_an_answer_the_store_cannot_take_stays_on_the_page_with_the_reason(tmp_path, key):
    """Another process holds the lock: the page shows the 503's reason, keeps the pair; the retry saves."""
    sync_playwright = _sync_playwright()
    store = LabelStore(tmp_path / "labels.sqlite", busy_timeout=0.3)
    store.add_pairs(PAIRS[:3], task=True)
    with LabellingServer(store, port=0).start() as server, sync_playwright() as playwright:
        wait_until_ready(server.url)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.goto(server.url)
            page.fill("#annotator", "Locked Out")
            page.press("#annotator", "Enter")
            page.wait_for_selector('body[data-actions="1"][data-state="ready"]', state="attached")

            def press(key: str) -> None:
                done = int(page.get_attribute("body", "data-actions"))
                page.keyboard.press(key)
                page.wait_for_selector(f'body[data-actions="{done + 1}"]', state="attached", timeout=30_000)

            press("3")
            assert page.get_attribute("body", "data-pair-id") == "2"
            with write_lock_held_by_another_process(store.path):
                press(key)  # retried for a few seconds by the page, then given up
                status = page.text_content("#status")
                assert "not saved" in status and "locked by another program" in status, status
                assert str(store.path) in status and f"press {key} again to retry" in status, status
                assert page.get_attribute("body", "data-pair-id") == "2"  # the pair is still there
                assert page.get_attribute("body", "data-state") == "ready"
                assert store.count_judgements() == 1
            press(key)  # the lock is gone: the same key again saves it
            status = page.text_content("#status")
            assert ("skipped pair 2" if key == "s" else f"answered {key} for pair 2") in status, status
            assert page.get_attribute("body", "data-pair-id") == "3"
        finally:
            browser.close()
    rows = store.judgements(include_retracted=True)
    assert [(j.pair_id, j.score, j.skipped) for j in rows] == [
        (1, 3.0, False),
        (2, None, True) if key == "s" else (2, float(key), False),
    ]
