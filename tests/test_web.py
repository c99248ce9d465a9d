"""The chat page in a real headless Chromium, talking to the real bot.

Needs Debian's chromium (/usr/bin/chromium), the `playwright` package (its
browser downloads are never used) and web/static/vendor/socket.io.min.js from
scripts/web-build.sh. The page runs at a phone's size throughout.
"""

from __future__ import annotations

import pathlib
import sys

import pytest
import yaml
from playwright.sync_api import Page, expect, sync_playwright

from tests import servers

CHROMIUM = pathlib.Path("/usr/bin/chromium")
# Without these, headless Chromium as root stalls on sandboxing or on network
# calls to Google services that this machine cannot make.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOT = servers.ROOT / "docs" / "screenshot-web.png"
# The last view of every test, to look at after a failure (git-ignored).
LAST_VIEWS = servers.ROOT / "tests" / "screenshots" / "tmp"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

expect.set_options(timeout=30_000)  # the first answers of a fresh Rasa server are slow


@pytest.fixture(scope="module")
def web_server(log_dir):
    vendor = servers.ROOT / "web" / "static" / "vendor" / "socket.io.min.js"
    if not vendor.exists():
        pytest.fail("web/static/vendor/socket.io.min.js missing: run scripts/web-build.sh")
    port = servers.free_port()
    script = str(servers.ROOT / "scripts" / "serve-web.py")
    args = [sys.executable, script, "--port", str(port)]
    service = servers.Service("web", args, log_dir).start(f"http://127.0.0.1:{port}/")
    service.url = f"http://127.0.0.1:{port}"
    yield service
    service.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: apt-get install -y chromium")
    with sync_playwright() as playwright:
        # Playwright starts Chromium with a fresh temporary --user-data-dir.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Script errors and console errors of the page; a test may clear expected ones."""
    return []


@pytest.fixture
def chat(request, browser, web_server, rasa_server, page_errors):
    """A chat page on a phone, in a fresh context (empty localStorage)."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and page_errors.append(m.text))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{web_server.url}/?server={rasa_server.url}")
    expect(page.locator("#text")).to_be_enabled()  # session confirmed
    yield page
    LAST_VIEWS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=LAST_VIEWS / f"{request.node.name}.png")
    context.close()
    assert not page_errors, page_errors
    allowed = (web_server.url, rasa_server.url, rasa_server.url.replace("http", "ws", 1))
    assert all(url.startswith(allowed) for url in requests), requests


def ask(page: Page, text: str) -> None:
    page.locator("#text").fill(text)
    page.locator("#text").press("Enter")


def bot_says(page: Page, fragment: str):
    bubble = page.locator(".msg.bot .bubble", has_text=fragment).last
    expect(bubble).to_be_visible()
    return bubble


def overflowing(page: Page) -> list[str]:
    """Elements reaching past the right edge of the screen."""
    return page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5
                      || e === document.documentElement && e.scrollWidth > innerWidth)
            .map(e => e.tagName + '.' + e.className)"""
    )


def test_page_shows_vietnamese_title_and_topic_buttons(chat):
    expect(chat).to_have_title("Trợ lý VssID – Hướng dẫn Bảo hiểm xã hội số")
    expect(chat.locator("h1")).to_have_text("Trợ lý VssID")
    welcome = chat.locator(".welcome")
    expect(welcome).to_contain_text("Xin chào")
    for topic in ("Cài đặt VssID", "Đăng nhập", "Đổi mật khẩu", "Đăng ký tài khoản"):
        expect(welcome.get_by_role("button", name=topic)).to_be_visible()
    # Large touch targets and type for older readers.
    for box in [b.bounding_box() for b in chat.locator("button:visible").all()]:
        assert box["height"] >= 44
    assert (
        chat.evaluate("parseFloat(getComputedStyle(document.querySelector('.bubble')).fontSize)")
        >= 16
    )
    assert overflowing(chat) == []
    welcome.get_by_role("button", name="Cài đặt VssID").click()
    bot_says(chat, "Android hay iPhone")
    expect(welcome.locator("button")).to_have_count(0)  # only the latest choices stay


def test_connections_are_limited_to_the_page_and_the_bot(chat, page_errors):
    blocked = chat.evaluate(
        """url => new Promise(done => {
            document.addEventListener('securitypolicyviolation', e => done(e.violatedDirective));
            fetch(url).catch(() => {});
            setTimeout(() => done(null), 3000);
        })""",
        "http://127.0.0.1:9/elsewhere",
    )
    assert blocked == "connect-src"
    assert all("Content Security Policy" in error for error in page_errors)
    page_errors.clear()


def test_typed_question_without_diacritics_gets_the_steps(chat):
    chat.evaluate(
        """() => {
            const typing = document.getElementById('typing');
            new MutationObserver(() => { if (!typing.hidden) window.__typingSeen = true; })
                .observe(typing, {attributes: true});
        }"""
    )
    ask(chat, "doi mat khau vssid")
    steps = bot_says(chat, "OTP")
    expect(chat.locator(".msg.user .bubble").last).to_have_text("doi mat khau vssid")
    assert chat.evaluate("window.__typingSeen") is True
    expect(chat.locator("#typing")).to_be_hidden()
    # One step per line, as the bot sent them.
    text = steps.inner_text()
    assert "\nBước 2." in text and "\nBước 4." in text
    assert steps.bounding_box()["height"] > 8 * 20
    link = steps.locator("a[href^='https://']")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert link.get_attribute("href").endswith(".png")
    assert overflowing(chat) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    steps.scroll_into_view_if_needed()
    chat.screenshot(path=SCREENSHOT)


def test_quick_reply_button_sends_its_payload(chat):
    ask(chat, "cài vssid")
    bot_says(chat, "Android hay iPhone")
    chat.locator(".msg.bot").last.get_by_role("button", name="iPhone (iOS)").click()
    bot_says(chat, "App Store")
    # The title is shown for the user's choice, not the /inform payload.
    user_bubbles = chat.locator(".msg.user .bubble")
    expect(user_bubbles.last).to_have_text("iPhone (iOS)")


def test_hotline_is_a_phone_link(chat):
    ask(chat, "quên mật khẩu vssid")
    hotline = bot_says(chat, "1900 9068").get_by_role("link", name="1900 9068")
    expect(hotline).to_have_attribute("href", "tel:19009068")


def test_markup_in_a_message_is_shown_as_text(chat):
    ask(chat, XSS)
    expect(chat.locator(".msg.user .bubble").last).to_have_text(XSS)
    expect(chat.locator(".msg.bot").nth(1)).to_be_visible()  # the bot's reply came back
    assert chat.locator("#log img, #log script").count() == 0
    assert chat.evaluate("typeof window.__xss") == "undefined"


def credentials_socketio() -> dict:
    credentials = yaml.safe_load((servers.ROOT / "credentials.yml").read_text(encoding="utf-8"))
    for name, settings in credentials.items():
        if name == "socketio" or name.endswith("SocketIOInput"):
            return {"channel": name, **(settings or {})}
    return {}


def test_reload_continues_the_same_conversation(chat):
    socketio = credentials_socketio()
    assert socketio.get("session_persistence") is True, (
        "the page needs session_persistence: true for the socket.io channel in "
        f"credentials.yml (channel connectors.socketio.SocketIOInput); found {socketio}"
    )
    ask(chat, "cài vssid")
    bot_says(chat, "Android hay iPhone")
    session = chat.evaluate("localStorage.getItem('vssid-chat.session')")

    chat.reload()
    expect(chat.locator("#text")).to_be_enabled()
    assert chat.evaluate("localStorage.getItem('vssid-chat.session')") == session
    # The history is back, with the question's choices still clickable.
    expect(chat.locator(".msg.user .bubble")).to_have_text(["cài vssid"])
    bot_says(chat, "Android hay iPhone")
    expect(chat.locator(".welcome button")).to_have_count(0)
    # The bot still knows it asked for the platform: the server state survived.
    chat.locator(".msg.bot").last.get_by_role("button", name="Android").click()
    bot_says(chat, "CH Play")
