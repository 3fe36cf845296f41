"""The web GUI in real Chromium against a real `nexthub serve` with the starter model.

What a person does: log in by the link, send and watch the answer stream,
stop it, reload and find the history, search, regenerate and flip between
versions, edit a prompt, change a chat's settings, export it, use a narrow
window; and a hostile answer in the store runs nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.e2e.conftest import CRAFTED_TITLE, GuiServer

#: The starter model writes hundreds of tokens for this (a counting prompt it cuts short).
LONG_PROMPT = "Write a very long story about a dragon, at least 1000 words."


def send(page: Page, text: str) -> None:
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")


def keep_answers_short(page: Page) -> None:
    """Max tokens 64 for the new chat, set in its Settings as a user would.

    The starter model can ramble to the default 1,024 tokens; on a busy 2-core
    machine that took longer than the wait. These tests are about what the
    page does with an answer, not its length.
    """
    page.click("#settings-toggle")
    page.fill("#max-tokens", "64")
    page.click("#save-settings")
    expect(page.locator("#settings")).to_be_hidden()


def wait_for_answer(page: Page) -> None:
    """Until the answer has ended (Send is back) and the saved conversation is shown."""
    expect(page.locator("#send")).to_be_visible(timeout=120_000)
    expect(page.locator(".message.assistant.streaming")).to_have_count(0)


def test_the_login_link_logs_in_and_leaves_the_address_bar(
    context: BrowserContext, gui_server: GuiServer
) -> None:
    page = context.new_page()
    link = gui_server.login_link()
    page.goto(link)
    assert page.url == f"{gui_server.origin}/"
    expect(page.locator("#title")).to_have_text("New chat")
    (cookie,) = context.cookies()
    assert cookie["name"] == "nexthub_session"
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read it
    other = context.browser.new_context() if context.browser else None
    assert other is not None
    try:
        again = other.new_page()
        response = again.goto(link)
        assert response is not None and response.status == 403
        expect(again.locator("h1")).to_have_text("This login link does not work")
        assert other.cookies() == []
    finally:
        other.close()


def test_without_logging_in_the_page_says_how(
    context: BrowserContext, gui_server: GuiServer
) -> None:
    page = context.new_page()
    response = page.goto(gui_server.origin + "/")
    assert response is not None and response.status == 401
    expect(page.locator("body")).to_contain_text("login link")


#: Notes whether the streaming message ever shows text. A 64-token answer streams
#: for well under a second, in pieces 100 ms apart, and Playwright's retries can
#: look before the first piece with text and next after the answer was saved.
_WATCH_STREAMING = """() => {
    window.sawStreamingText = false;
    new MutationObserver(() => {
        for (const el of document.querySelectorAll('.message.assistant.streaming .content')) {
            if (/\\S/.test(el.textContent)) window.sawStreamingText = true;
        }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_send_streams_the_answer_and_a_reload_shows_the_history(page: Page) -> None:
    keep_answers_short(page)
    page.evaluate(_WATCH_STREAMING)
    send(page, "What colour is the sky on a clear day?")
    user = page.locator(".message.user").last
    expect(user).to_contain_text("What colour is the sky")
    wait_for_answer(page)
    # The answer showed while it was written: the streaming message (replaced by the
    # saved one when the answer ended) had text.
    assert page.evaluate("window.sawStreamingText") is True
    answer = page.locator(".message.assistant .content").last.inner_text()
    assert answer.strip()
    expect(page.locator("#title")).to_have_text("What colour is the sky on a clear day?")
    expect(page.locator("#conversations li.current")).to_have_text(
        "What colour is the sky on a clear day?"
    )

    page.reload()
    page.locator("#conversations li", has_text="What colour is the sky").first.click()
    expect(page.locator(".message.user .content")).to_have_text(
        "What colour is the sky on a clear day?"
    )
    assert page.locator(".message.assistant .content").last.inner_text() == answer


def test_stop_ends_the_answer_and_keeps_what_was_written(page: Page) -> None:
    send(page, LONG_PROMPT)
    streaming = page.locator(".message.assistant.streaming .content")
    expect(streaming).to_have_text(re.compile(r"\S.{5}", re.DOTALL))
    page.click("#stop")
    expect(page.locator("#send")).to_be_visible()
    # The stopped answer is saved as it reached, and marked as stopped.
    expect(page.locator(".message.assistant.cancelled")).to_have_count(1, timeout=30_000)
    kept = page.locator(".message.assistant .content").last.inner_text()
    assert kept.strip()
    page.reload()
    page.locator("#conversations li", has_text="a very long story about a dragon").first.click()
    expect(page.locator(".message.assistant.cancelled")).to_have_count(1)
    # The model is free again: the next answer starts (and is stopped in turn).
    send(page, "Now write another very long story, about a castle.")
    expect(streaming).to_have_text(re.compile(r"\S"))
    page.click("#stop")
    expect(page.locator(".message.assistant.cancelled")).to_have_count(2)


def test_regenerate_makes_a_second_version_and_the_arrows_flip_back(page: Page) -> None:
    keep_answers_short(page)
    send(page, "Name one fruit.")
    wait_for_answer(page)
    first = page.locator(".message.assistant .content").inner_text()
    page.get_by_role("button", name="Regenerate").click()
    wait_for_answer(page)
    expect(page.locator(".message.assistant .version-label")).to_have_text("2/2")
    page.get_by_role("button", name="Previous version").click()
    expect(page.locator(".message.assistant .version-label")).to_have_text("1/2")
    assert page.locator(".message.assistant .content").inner_text() == first
    page.get_by_role("button", name="Next version").click()
    expect(page.locator(".message.assistant .version-label")).to_have_text("2/2")


def test_editing_a_prompt_keeps_the_old_one_as_a_version(page: Page) -> None:
    keep_answers_short(page)
    send(page, "Name one colour.")
    wait_for_answer(page)
    page.locator(".message.user").get_by_role("button", name="Edit").click()
    page.fill(".message.user textarea", "Name one animal.")
    page.get_by_role("button", name="Send edit").click()
    wait_for_answer(page)
    user = page.locator(".message.user")
    expect(user.locator(".content")).to_have_text("Name one animal.")
    expect(user.locator(".version-label")).to_have_text("2/2")
    user.get_by_role("button", name="Previous version").click()
    expect(page.locator(".message.user .content")).to_have_text("Name one colour.")


def test_search_finds_a_conversation_and_opens_it(page: Page) -> None:
    page.fill("#search", "zanzibarquokka")
    hit = page.locator("#conversations li", has_text=CRAFTED_TITLE)
    expect(hit).to_have_count(1)
    expect(hit.locator("mark").first).to_have_text("zanzibarquokka")
    hit.click()
    expect(page.locator("#title")).to_have_text(CRAFTED_TITLE)
    page.fill("#search", "")
    expect(page.locator("#conversations li", has_text=CRAFTED_TITLE)).to_have_count(1)


def test_a_hostile_answer_runs_nothing_and_loads_nothing(page: Page, gui_server: GuiServer) -> None:
    """The imported answer (tests/e2e/conftest.py) holds an onerror image, a script and
    javascript: links; they show as text, no element of them exists, nothing runs."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(_host_of(request)))
    page.evaluate(
        "window.__violations = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective))"
    )
    page.locator("#conversations li", has_text=CRAFTED_TITLE).click()
    content = page.locator(".message.assistant .content")
    expect(content).to_contain_text("<img src=x onerror=")
    expect(content).to_contain_text("<script>window.__attacked = 'script'</script>")
    expect(content.locator("strong")).to_have_text("bold")  # markdown still renders
    assert content.locator("img, script, iframe, [onerror]").count() == 0
    hrefs = content.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h and h.lower().startswith("javascript")], hrefs
    page.wait_for_timeout(300)
    assert page.evaluate("window.__attacked") is None
    assert page.evaluate("window.__violations") == []
    assert set(requests) <= {urlsplit(gui_server.origin).netloc}  # tracker.invalid never asked
    expect(page.locator(".message.user .content")).to_have_text("Show me some <b>HTML</b>")


def test_the_page_loads_nothing_from_other_sites(
    context: BrowserContext, gui_server: GuiServer
) -> None:
    hosts: list[str] = []
    page = context.new_page()
    page.on("request", lambda request: hosts.append(_host_of(request)))
    page.goto(gui_server.login_link())
    page.wait_for_selector("#model option", state="attached")
    assert hosts and set(hosts) == {urlsplit(gui_server.origin).netloc}


def test_settings_are_saved_with_the_chat_and_it_exports(page: Page) -> None:
    expect(page.locator("#model option:checked")).to_have_text("SmolLM2 135M Instruct")
    page.click("#settings-toggle")
    page.fill("#system-prompt", "Answer in one short sentence.")
    page.fill("#temperature", "0.2")
    page.fill("#max-tokens", "40")
    page.click("#save-settings")
    expect(page.locator("#settings")).to_be_hidden()
    send(page, "Say hello to the settings test.")
    wait_for_answer(page)
    page.reload()
    page.locator("#conversations li", has_text="Say hello to the settings test.").first.click()
    page.click("#settings-toggle")
    expect(page.locator("#system-prompt")).to_have_value("Answer in one short sentence.")
    expect(page.locator("#temperature")).to_have_value("0.2")
    expect(page.locator("#max-tokens")).to_have_value("40")
    page.fill("#max-tokens", "50")
    page.click("#save-settings")
    expect(page.locator("#settings")).to_be_hidden()  # saved
    page.click("#settings-toggle")
    expect(page.locator("#max-tokens")).to_have_value("50")

    with page.expect_download() as download_info:
        page.click("#export-md")
    markdown = download_info.value.path().read_text(encoding="utf-8")
    assert "Say hello to the settings test." in markdown
    with page.expect_download() as download_info:
        page.click("#export-json")
    assert '"nexthub-chats"' in download_info.value.path().read_text(encoding="utf-8")


def test_a_narrow_window_keeps_the_chat_usable(page: Page) -> None:
    page.set_viewport_size({"width": 380, "height": 740})
    sidebar = page.locator("#sidebar")
    expect(page.locator("#menu")).to_be_visible()
    expect(page.locator("#prompt")).to_be_in_viewport()
    expect(page.locator("#send")).to_be_in_viewport()
    expect(sidebar).not_to_be_in_viewport()  # slid away
    page.click("#menu")
    expect(sidebar).to_be_in_viewport()
    page.locator("#conversations li", has_text=CRAFTED_TITLE).click()
    expect(page.locator("#title")).to_have_text(CRAFTED_TITLE)
    expect(sidebar).not_to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _host_of(request: Request) -> str:
    return urlsplit(request.url).netloc
