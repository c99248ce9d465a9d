"""The chat page in a real headless Chromium, talking to the real bot.

Needs Debian's chromium (/usr/bin/chromium), the `playwright` package (its
browser downloads are never used) and web/static/vendor/socket.io.min.js from
scripts/web-build.sh. The page runs at a phone's size throughout.
"""

from __future__ import annotations

import html.parser
import json
import pathlib
import re
import sys
import unicodedata

import pytest
import yaml
from playwright.sync_api import Page, expect, sync_playwright

from content import load
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
SMALL_PHONE = {"width": 320, "height": 568}
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


def bot_rows(page: Page, fragment: str):
    return page.locator(".msg.bot", has=page.locator(".bubble", has_text=fragment))


def plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def overflowing(page: Page) -> list[str]:
    """Elements reaching past the right edge of the screen."""
    return page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5
                      || e === document.documentElement && e.scrollWidth > innerWidth)
            .map(e => e.tagName + '.' + e.className)"""
    )


def menu_groups() -> list[tuple[str, str]]:
    """(title, payload) of the bot's menu, from content/content.yml as actions/render.py
    builds it."""
    groups = yaml.safe_load((servers.ROOT / "content" / "content.yml").read_text("utf-8"))
    groups = groups["messages"]["menu_groups"]
    return [(title, f'/show_menu{{"group":"{key}"}}') for key, title in groups.items()]


def buttons_of(row) -> list[tuple[str, str]]:
    return row.locator(".quick-replies button").evaluate_all(
        "bs => bs.map(b => [b.textContent.trim(), b.dataset.payload])"
    )


def test_page_shows_vietnamese_title_and_topic_buttons(chat):
    expect(chat).to_have_title("Trợ lý VssID – Hướng dẫn Bảo hiểm xã hội số")
    expect(chat.locator("h1")).to_have_text("Trợ lý VssID")
    welcome = chat.locator(".welcome")
    expect(welcome).to_contain_text("Xin chào")
    for title, _ in menu_groups():
        expect(welcome.get_by_role("button", name=title)).to_be_visible()
    # Large touch targets and type for older readers.
    for box in [b.bounding_box() for b in chat.locator("button:visible").all()]:
        assert box["height"] >= 44
    assert (
        chat.evaluate("parseFloat(getComputedStyle(document.querySelector('.bubble')).fontSize)")
        >= 16
    )
    assert overflowing(chat) == []
    welcome.get_by_role("button", name="Cài đặt & đăng nhập").click()
    expect(
        chat.locator(".msg.bot").last.get_by_role("button", name="Cài đặt VssID")
    ).to_be_visible()
    expect(welcome.locator("button")).to_have_count(0)  # only the latest choices stay


def test_welcome_offers_the_bots_menu_groups(chat):
    """The page's own welcome, shown before the bot answers, is the bot's menu."""
    groups = menu_groups()
    assert [t for t, _ in groups] == [
        "Cài đặt & đăng nhập",
        "Mật khẩu & OTP",
        "Tài khoản",
        "Thẻ BHYT & tra cứu",
        "An toàn & chi phí",
    ]
    welcome = chat.locator(".welcome")
    assert buttons_of(welcome) == [list(g) for g in groups]
    # Word for word what the bot itself offers as its menu.
    content = load()
    ask(chat, "menu")
    menu = bot_rows(chat, content.message("menu")).last
    expect(menu.locator("button")).to_have_count(len(groups))
    assert buttons_of(menu) == [list(g) for g in groups]

    # A welcome button opens its group: the bot lists that group's topics.
    chat.get_by_role("button", name="Trò chuyện mới").click()  # the welcome's choices again
    expect(chat.locator("#text")).to_be_enabled()
    welcome.get_by_role("button", name="Mật khẩu & OTP").click()
    expect(chat.locator(".msg.user .bubble").last).to_have_text("Mật khẩu & OTP")
    topics = [t.label for t in content.topics.values() if t.group == "password_otp"]
    expect(bot_rows(chat, content.message("menu")).last.locator("button")).to_have_text(topics)


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
    steps = bot_says(chat, "Bước 4.")
    expect(chat.locator(".msg.user .bubble").last).to_have_text("doi mat khau vssid")
    assert chat.evaluate("window.__typingSeen") is True
    expect(chat.locator("#typing")).to_be_hidden()
    # One step per line, as the bot sent them.
    text = steps.inner_text()
    assert "\nBước 2." in text and "\nBước 4." in text
    assert steps.bounding_box()["height"] > 8 * 20
    expect(chat.locator(".msg.bot .line.source").last).to_contain_text("https://")
    assert overflowing(chat) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    # The end of the answer: hotline, source line with its link, the next choices.
    expect(chat.locator(".msg.bot").last.locator(".quick-replies button").first).to_be_visible()
    chat.locator("#log").evaluate("log => { log.scrollTop = log.scrollHeight; }")
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


class _Greeting(html.parser.HTMLParser):
    """The text of the element marked data-greeting in index.html."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.text = None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif "data-greeting" in dict(attrs):
            self.depth, self.text = 1, ""

    def handle_endtag(self, tag):
        self.depth = max(0, self.depth - 1)

    def handle_data(self, data):
        if self.depth:
            self.text += data


def test_welcome_greeting_is_the_bots_greeting():
    """The page recognises the bot's greeting by this copy: they must not drift apart."""
    parser = _Greeting()
    parser.feed((servers.ROOT / "web" / "index.html").read_text(encoding="utf-8"))
    domain = yaml.safe_load((servers.ROOT / "domain.yml").read_text(encoding="utf-8"))
    greetings = [plain(r["text"]) for r in domain["responses"]["utter_greet"]]
    assert parser.text is not None, "no data-greeting in the welcome of web/index.html"
    assert plain(parser.text) in greetings


@pytest.mark.parametrize("greeting", ["xin chào", "chào bạn", "hi"])
def test_greeting_after_the_welcome_is_not_shown_twice(chat, greeting):
    content = load()
    intro = "Tôi là trợ lý ảo"
    menu_groups = list(content.messages["menu_groups"].values())
    ask(chat, greeting)
    # The bot's greeting comes before its menu: once the menu is here, it was dropped.
    menu = bot_rows(chat, content.message("menu")).last
    expect(menu.locator("button")).to_have_text(menu_groups)
    expect(chat.locator(".msg.bot .bubble", has_text=intro)).to_have_count(1)
    expect(chat.locator(".msg.bot").first).to_have_class("msg bot welcome")

    chat.reload()  # the transcript holds what was shown, no more
    expect(chat.locator("#text")).to_be_enabled()
    expect(chat.locator(".msg.user .bubble")).to_have_text([greeting])
    expect(bot_rows(chat, content.message("menu")).last.locator("button")).to_have_text(menu_groups)
    expect(chat.locator(".msg.bot .bubble", has_text=intro)).to_have_count(1)

    # Nor later: the welcome stays at the top of the conversation.
    ask(chat, greeting)
    expect(bot_rows(chat, content.message("menu"))).to_have_count(2)
    expect(chat.locator(".msg.bot .bubble", has_text=intro)).to_have_count(1)


def tab_to(page: Page, button, backwards: bool = False, limit: int = 20) -> None:
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if button.evaluate("b => b === document.activeElement"):
            return
    raise AssertionError(f"{key} never reached {button}")


def test_keyboard_choice_returns_focus_to_the_text_box(chat):
    text_box = chat.locator("#text")
    tab_to(chat, chat.locator(".welcome").get_by_role("button", name="Cài đặt & đăng nhập"))
    chat.keyboard.press("Enter")
    expect(text_box).to_be_focused()
    topics = chat.locator(".msg.bot").last.locator(".quick-replies")
    install = topics.get_by_role("button", name="Cài đặt VssID", exact=True)
    expect(install).to_be_visible()

    # Back from the text box to the new choices, and Space picks one.
    tab_to(chat, install, backwards=True)
    chat.keyboard.press(" ")
    expect(text_box).to_be_focused()
    expect(text_box).to_have_value("")  # the Space chose, it did not type
    bot_says(chat, "Android hay iPhone")
    chat.keyboard.type("đăng nhập vssid")  # straight into the text box
    chat.keyboard.press("Enter")
    expect(chat.locator(".msg.user .bubble").last).to_have_text("đăng nhập vssid")

    # A tap leaves the focus where it was, so no on-screen keyboard covers the answer.
    choices = chat.locator(".msg.bot .quick-replies").last.locator("button")
    expect(choices.first).to_be_visible()
    text_box.blur()
    choices.first.tap()
    expect(chat.locator(".msg.user")).to_have_count(4)
    expect(text_box).not_to_be_focused()


def layout(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const input = document.getElementById('text');
            const style = getComputedStyle(input);
            const ruler = document.createElement('canvas').getContext('2d');
            ruler.font = style.font;
            return {
                log: document.getElementById('log').getBoundingClientRect().height / innerHeight,
                placeholder: input.placeholder,
                needed: ruler.measureText(input.placeholder).width,
                room: input.clientWidth - parseFloat(style.paddingLeft)
                      - parseFloat(style.paddingRight),
            };
        }"""
    )


def test_small_screen_leaves_room_for_the_conversation(chat):
    chat.set_viewport_size(SMALL_PHONE)
    chat.reload()
    expect(chat.locator("#text")).to_be_enabled()
    view = layout(chat)
    assert view["log"] >= 0.6, view
    assert view["placeholder"] and view["needed"] <= view["room"], view
    assert chat.locator("h1").bounding_box()["height"] < 40  # one line
    assert overflowing(chat) == []
    ask(chat, "quên mật khẩu vssid")
    bot_says(chat, "1900 9068")
    assert overflowing(chat) == []

    # The full placeholder where it fits.
    chat.set_viewport_size(PHONE)
    expect(chat.locator("#text")).to_have_attribute("placeholder", "Nhập câu hỏi của bạn")
    view = layout(chat)
    assert view["needed"] <= view["room"], view


def test_grouped_menu_buttons_send_their_payload(chat):
    content = load()
    group, title = next(iter(content.messages["menu_groups"].items()))
    topics = [t.label for t in content.topics.values() if t.group == group]
    ask(chat, "menu")
    button = bot_rows(chat, content.message("menu")).last.get_by_role("button", name=title)
    expect(button).to_have_attribute("data-payload", f'/show_menu{{"group":"{group}"}}')
    button.click()
    expect(chat.locator(".msg.user .bubble").last).to_have_text(title)  # "&" as text
    expect(bot_rows(chat, content.message("menu")).last.locator("button")).to_have_text(topics)
    bot_rows(chat, content.message("menu")).last.get_by_role(
        "button", name=content.topics["ask_install"].label, exact=True
    ).click()
    bot_says(chat, "Android hay iPhone")


def test_source_line_is_muted_and_its_address_a_safe_link(chat):
    ask(chat, "doi mat khau vssid")
    source = chat.locator(".msg.bot .line.source").last
    expect(source).to_have_text(re.compile(r"^Nguồn: .+ – https://"))
    link = source.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    address = link.text_content()
    assert address.startswith("https://") and address in source.text_content()
    assert link.evaluate("a => a.href === new URL(a.textContent).href")
    font = "e => parseFloat(getComputedStyle(e).fontSize)"
    steps = chat.locator(".msg.bot .line", has_text="Bước 1.").last
    assert source.evaluate(font) < steps.evaluate(font)
    color = "e => getComputedStyle(e).color"
    assert source.evaluate(color) != steps.evaluate(color)

    # Only http(s) addresses become links, whoever wrote them.
    ask(chat, "javascript:alert(1) xem https://example.com/huong-dan.")
    mine = chat.locator(".msg.user .bubble").last
    expect(mine).to_have_text("javascript:alert(1) xem https://example.com/huong-dan.")
    expect(mine.get_by_role("link")).to_have_attribute("href", "https://example.com/huong-dan")
    expect(mine.get_by_role("link")).to_have_count(1)
    protocols = chat.evaluate("[...document.querySelectorAll('#log a')].map(a => a.protocol)")
    assert set(protocols) <= {"https:", "http:", "tel:"}, protocols


def socketio_event(frame) -> list:
    """[name, *data] of a socket.io event frame ("42[...]"), else []."""
    if isinstance(frame, str) and frame.startswith("42"):
        return json.loads(frame[2:])
    return []


def stored(page: Page) -> dict:
    return page.evaluate(
        """() => Object.fromEntries(
            [localStorage, sessionStorage].flatMap(s => Object.keys(s).map(k => [k, s.getItem(k)]))
        )"""
    )


def erase_with_the_button(page: Page) -> str:
    """Talks a little, then erases with the footer button; returns the old session id."""
    ask(page, "cài vssid")
    bot_says(page, "Android hay iPhone")
    session = page.evaluate("JSON.parse(localStorage.getItem('vssid-chat.session'))")
    assert session and "cài vssid" in page.evaluate("localStorage.getItem('vssid-chat.transcript')")

    erase = page.get_by_role("button", name="Xóa cuộc trò chuyện khỏi hệ thống của trợ lý")
    expect(erase).to_have_text("Xóa cuộc trò chuyện")  # the label includes the visible words
    assert erase.bounding_box()["height"] >= 44
    erase.click()
    expect(page.locator(".msg.user .bubble").last).to_have_text("Xóa cuộc trò chuyện")
    ask_row = bot_rows(page, "Bạn muốn xóa toàn bộ cuộc trò chuyện").last
    expect(ask_row.locator("button")).to_have_count(2)
    assert buttons_of(ask_row) == [["Xóa hết", "/erase_confirm"], ["Không xóa", "/deny"]]
    # Nothing is forgotten before the user confirms.
    assert page.evaluate("JSON.parse(localStorage.getItem('vssid-chat.session'))") == session
    ask_row.get_by_role("button", name="Xóa hết").click()
    return session


def check_forgotten(page: Page, old_session: str) -> None:
    """After the erased flag: welcome and confirmation on screen, nothing old stored."""
    done = "Đã xóa cuộc trò chuyện"
    expect(page.locator(".msg.user")).to_have_count(0)
    expect(page.locator(".msg")).to_have_count(2)
    expect(page.locator(".msg").first).to_have_class("msg bot welcome")
    expect(page.locator(".msg.bot").last.locator(".bubble")).to_contain_text(done)
    # The welcome's menu is offered again; the custom object is never shown.
    expect(page.locator(".welcome .quick-replies button")).to_have_count(len(menu_groups()))
    assert "erased" not in page.locator("#log").inner_text()
    # A new session is confirmed, and nothing of the old conversation is stored.
    expect(page.locator("#text")).to_be_enabled()
    expect(page.locator("#erase")).to_be_enabled()
    session = page.evaluate("JSON.parse(localStorage.getItem('vssid-chat.session'))")
    assert session and session != old_session
    assert old_session not in json.dumps(stored(page))
    kept = json.dumps(stored(page), ensure_ascii=False)
    assert "cài vssid" not in kept and "Android hay iPhone" not in kept and done not in kept

    page.reload()  # an empty conversation
    expect(page.locator("#text")).to_be_enabled()
    expect(page.locator(".msg")).to_have_count(1)
    expect(page.locator(".welcome .quick-replies button")).to_have_count(len(menu_groups()))
    # The new session works.
    ask(page, "cài vssid")
    bot_says(page, "Android hay iPhone")


def test_erase_button_clears_the_page_when_the_bot_says_erased(chat):
    """The page's part of erasure, with the bot's custom message as socket.io emits it.

    The page talks to the real bot through a relay; the relay passes every frame
    and, right after the bot's confirmation text, delivers the flag exactly as
    SocketIOOutput.send_custom_json emits {"erased": true} (the object itself,
    with the room it sets), in place of any the bot sends itself.
    """
    events: list[list] = []

    def relay(ws):
        server = ws.connect_to_server()

        def to_page(message):
            event = socketio_event(message)
            if event[:1] == ["bot_uttered"] and event[1].get("erased") is True:
                return  # delivered below, once, in order
            events.append(event)
            ws.send(message)
            if event[:1] == ["bot_uttered"] and "Đã xóa cuộc trò chuyện" in event[1].get(
                "text", ""
            ):
                sessions = [e[1] for e in events if e[:1] == ["session_confirm"]]
                custom = {"erased": True, "room": sessions[-1]}
                ws.send("42" + json.dumps(["bot_uttered", custom], separators=(",", ":")))

        server.on_message(to_page)

    chat.route_web_socket(re.compile(r"/socket\.io/"), relay)
    chat.reload()
    expect(chat.locator("#text")).to_be_enabled()
    old = erase_with_the_button(chat)
    check_forgotten(chat, old)
    assert any("Đã xóa cuộc trò chuyện" in str(e) for e in events)  # the real bot's reply


def test_keeping_the_conversation_forgets_nothing(chat):
    ask(chat, "cài vssid")
    bot_says(chat, "Android hay iPhone")
    before = stored(chat)
    chat.get_by_role("button", name="Xóa cuộc trò chuyện khỏi hệ thống của trợ lý").click()
    ask_row = bot_rows(chat, "Bạn muốn xóa toàn bộ cuộc trò chuyện").last
    ask_row.get_by_role("button", name="Không xóa").click()
    expect(chat.locator(".msg.user .bubble").last).to_have_text("Không xóa")
    answer = chat.locator(".msg.user").last.locator("xpath=following-sibling::div")
    expect(answer.first).to_have_class(re.compile(r"\bbot\b"))  # the bot answered the "no"
    expect(chat.locator(".msg.user")).to_have_count(3)
    assert stored(chat)["vssid-chat.session"] == before["vssid-chat.session"]
    chat.reload()
    expect(chat.locator("#text")).to_be_enabled()
    expect(chat.locator(".msg.user .bubble").first).to_have_text("cài vssid")


def test_erasure_end_to_end_with_the_real_bot(chat):
    old = erase_with_the_button(chat)
    bot_says(chat, "Đã xóa cuộc trò chuyện")
    check_forgotten(chat, old)
