// The VssID chat widget: talks to Rasa's socketio channel.
//
// Protocol (connectors/socketio.py): on connect the page emits
// `session_request {session_id, session_token}`, the server answers
// `session_confirm {session_id, session_token}`: the same session if the token
// is that session's, else a new one the server chose. The page sends
// `user_uttered {message}` and receives `bot_uttered {text,
// quick_replies|buttons, attachment}`. Keeping the id and its token in
// localStorage lets a reload continue the conversation, and only this page can
// (the token is an HMAC the server checks); the page keeps its own transcript
// only to show the history again.
//
// Every text from the user or the bot goes into the page as text nodes
// (textContent, createTextNode); links are <a> elements built from URL matches,
// with an href only for http(s) URLs and hotline numbers.
//
// The welcome in index.html is shown at once, before the bot is reachable. Its
// first line is the bot's own greeting (utter_greet, marked data-greeting), so
// when the user greets, the bot's identical reply is not shown a second time;
// the menu that follows it still is. Its buttons are the bot's own menu.
//
// Erasure on request: the footer's "Xóa cuộc trò chuyện" sends /erase_data and
// the bot asks to confirm. Once the bot has deleted the conversation it sends
// a custom message {"erased": true}, a bot_uttered event whose data is that
// object (SocketIOOutput.send_custom_json's intent; with python-socketio 5 its
// own emit(..., **json_message) raises TypeError, see tests/test_web.py). The
// page then forgets its transcript and session id, clears the log down to the
// welcome and the bot's confirmation, and asks for a new session. That object
// is never shown.
"use strict";

(() => {
  const SESSION_KEY = "vssid-chat.session";
  const TOKEN_KEY = "vssid-chat.token";
  const TRANSCRIPT_KEY = "vssid-chat.transcript";
  const MAX_TRANSCRIPT = 200;
  const TYPING_TIMEOUT_MS = 20000;
  // ?server= is for development and tests only: on a public page it would let
  // a crafted link point the page at someone else's bot.
  const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
  // http(s) URLs, and Vietnamese hotlines such as "1900 9068" (tap to call).
  const LINKS = /(https?:\/\/[^\s<>"“”]+)|(\b1[89]00[ .]?\d{4}\b)/g;
  const TRAILING_PUNCTUATION = /[.,;:!?)\]}'’…]+$/;
  // The source line that closes an answer ("Nguồn: …"): shown smaller.
  const SOURCE_LINE = /^Nguồn:/;
  // "Bước 2." / "Bước 2/4" at the start of a line: shown in bold so that older
  // readers find their place in a step list.
  const STEP_LABEL = /^Bước \d+(?:\/\d+)?\.?/;

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const eraseButton = document.getElementById("erase");
  const greeting = log.querySelector(".welcome [data-greeting]");
  // The welcome's menu, to offer it again after an erasure.
  const welcomeMenu = log.querySelector(".welcome .quick-replies");
  const welcomeChoices = welcomeMenu && welcomeMenu.cloneNode(true);

  // localStorage throws in some private modes: the chat then simply forgets.
  const store = {
    get(key, fallback) {
      try {
        const value = localStorage.getItem(key);
        return value === null ? fallback : JSON.parse(value);
      } catch {
        return fallback;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(key, JSON.stringify(value));
      } catch {
        /* storage full or disabled */
      }
    },
    clear() {
      try {
        localStorage.removeItem(SESSION_KEY);
        localStorage.removeItem(TOKEN_KEY);
        localStorage.removeItem(TRANSCRIPT_KEY);
      } catch {
        /* nothing to clear */
      }
    },
  };

  function botUrl() {
    const config = window.VSSID_CHAT || {};
    const param = new URLSearchParams(location.search).get("server");
    const candidate = param && LOOPBACK.has(location.hostname) ? param : config.server;
    try {
      const url = new URL(candidate, location.href);
      if (candidate && (url.protocol === "http:" || url.protocol === "https:")) return url;
    } catch {
      /* not a URL: use the default */
    }
    return new URL(`${location.protocol}//${location.hostname}:5005`);
  }

  // Adds a second CSP that allows connections only to this site and the bot.
  function restrictConnections(bot) {
    const ws = `${bot.protocol === "https:" ? "wss:" : "ws:"}//${bot.host}`;
    const meta = document.createElement("meta");
    meta.httpEquiv = "Content-Security-Policy";
    meta.content = `connect-src 'self' ${bot.origin} ${ws}`;
    document.head.appendChild(meta);
  }

  // The address for a matched URL: only ever an http(s) one.
  function webAddress(text) {
    try {
      const url = new URL(text);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  // Text with clickable links, built node by node: never parsed as HTML.
  function richText(container, text) {
    let last = 0;
    for (const match of text.matchAll(LINKS)) {
      let [found, url] = match;
      if (url) found = url.replace(TRAILING_PUNCTUATION, "");
      const href = url ? webAddress(found) : `tel:${found.replace(/\D/g, "")}`;
      if (!href) continue;
      container.append(text.slice(last, match.index));
      const link = document.createElement("a");
      link.textContent = found;
      link.href = href;
      if (url) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      container.append(link);
      last = match.index + found.length;
    }
    container.append(text.slice(last));
  }

  // One block per line: a step list keeps its line breaks, with room between
  // steps.
  function lines(container, text) {
    for (const line of text.split("\n")) {
      const block = document.createElement("span");
      block.className = SOURCE_LINE.test(line) ? "line source" : "line";
      const label = line.match(STEP_LABEL);
      if (label) {
        const strong = document.createElement("strong");
        strong.textContent = label[0];
        block.append(strong);
      }
      richText(block, line.slice(label ? label[0].length : 0));
      container.append(block);
    }
  }

  function removeQuickReplies() {
    for (const group of log.querySelectorAll(".quick-replies")) group.remove();
  }

  function quickReplies(buttons) {
    const group = document.createElement("div");
    group.className = "quick-replies";
    for (const { title, payload } of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = title;
      button.dataset.payload = payload || title;
      group.append(button);
    }
    return group;
  }

  function render({ who, text, buttons }) {
    const row = document.createElement("div");
    row.className = `msg ${who}`;
    const bubble = document.createElement("p");
    bubble.className = "bubble";
    lines(bubble, text);
    row.append(bubble);
    if (buttons && buttons.length) row.append(quickReplies(buttons));
    log.append(row);
    // A long step list is read from its first line, a short reply with its buttons.
    row.scrollIntoView({ block: row.offsetHeight > log.clientHeight ? "start" : "end" });
  }

  const transcript = store.get(TRANSCRIPT_KEY, []);

  function remember(entry) {
    transcript.push(entry);
    transcript.splice(0, transcript.length - MAX_TRANSCRIPT);
    store.set(TRANSCRIPT_KEY, transcript);
  }

  // History after a reload; only the choices offered since the user's last
  // message stay clickable, as they were before the reload.
  function restore() {
    const lastUser = transcript.map((entry) => entry.who).lastIndexOf("user");
    if (lastUser >= 0) removeQuickReplies();
    transcript.forEach((entry, index) =>
      render(index > lastUser ? entry : { ...entry, buttons: [] })
    );
  }

  let typingTimer;
  function setTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) {
      typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
    }
  }

  let socket;
  let sessionId = store.get(SESSION_KEY, null);
  let sessionToken = store.get(TOKEN_KEY, null);
  let ready = false;

  function setReady(value, message) {
    ready = value;
    input.disabled = sendButton.disabled = eraseButton.disabled = !value;
    status.textContent = message;
    status.hidden = value;
  }

  function send(message, shown) {
    if (!ready || !message.trim()) return;
    removeQuickReplies();
    const entry = { who: "user", text: shown || message };
    render(entry);
    remember(entry);
    socket.emit("user_uttered", { message });
    setTyping(true);
  }

  const plain = (text) => text.normalize("NFC").replace(/\s+/g, " ").trim();

  // The bot's greeting: the welcome, always at the top of the log, says it.
  function repeatsWelcome(text) {
    return greeting !== null && plain(text) === plain(greeting.textContent);
  }

  // The bot's custom {"erased": true}, as emitted (the object itself) or, from
  // another channel's shape, under "custom".
  function erasedFlag(message) {
    return message.erased === true || (message.custom && message.custom.erased === true);
  }

  // The bot has deleted this conversation: so does the page. What the bot said
  // since the user's last message (its confirmation) stays on screen, but is
  // not stored: a reload shows the welcome alone.
  function erased() {
    transcript.length = 0;
    store.clear();
    const rows = [...log.querySelectorAll(".msg")];
    const lastUser = rows.map((row) => row.classList.contains("user")).lastIndexOf(true);
    rows.forEach((row, index) => {
      if (!row.classList.contains("welcome") && index <= lastUser) row.remove();
    });
    const welcome = log.querySelector(".welcome");
    if (welcome && welcomeChoices && !welcome.querySelector(".quick-replies")) {
      welcome.append(welcomeChoices.cloneNode(true));
    }
    sessionId = sessionToken = null;
    setReady(false, "Đang bắt đầu cuộc trò chuyện mới…");
    socket.emit("session_request", { session_id: null, session_token: null });
  }

  function receive(message) {
    setTyping(false);
    if (!message || typeof message !== "object") return;
    if (erasedFlag(message)) {
      erased();
      return;
    }
    const buttons = (message.quick_replies || message.buttons || [])
      .filter((b) => b && typeof b.title === "string")
      .map((b) => ({ title: b.title, payload: String(b.payload || b.title) }));
    let text = typeof message.text === "string" ? message.text : "";
    const src = message.attachment && message.attachment.payload && message.attachment.payload.src;
    if (typeof src === "string") text += (text ? "\n" : "") + src;
    if (!text && !buttons.length) return;
    if (!buttons.length && repeatsWelcome(text)) return;
    const entry = { who: "bot", text, buttons };
    render(entry);
    remember(entry);
  }

  function connect() {
    const bot = botUrl();
    restrictConnections(bot);
    const config = window.VSSID_CHAT || {};
    // WebSocket only: it needs no CORS set-up on the Rasa server, unlike
    // socket.io's long-polling requests from another port.
    socket = io(bot.origin, { path: config.path || "/socket.io", transports: ["websocket"] });
    socket.on("connect", () =>
      socket.emit("session_request", { session_id: sessionId, session_token: sessionToken })
    );
    socket.on("session_confirm", (session) => {
      const confirmed = session && session.session_id;
      if (typeof confirmed !== "string") return;
      if (sessionId && confirmed !== sessionId) {
        // The server started a new conversation: the old history is not its.
        transcript.length = 0;
        store.set(TRANSCRIPT_KEY, transcript);
      }
      sessionId = confirmed;
      sessionToken = session.session_token;
      store.set(SESSION_KEY, sessionId);
      store.set(TOKEN_KEY, sessionToken);
      setReady(true, "");
    });
    socket.on("bot_uttered", receive);
    socket.on("disconnect", () => setReady(false, "Mất kết nối, đang thử kết nối lại…"));
    socket.on("connect_error", () =>
      setReady(false, "Chưa kết nối được với trợ lý, đang thử lại…")
    );
  }

  // The long placeholder where it fits, else the short one (data-short-placeholder),
  // measured in the input's own font: a cut-off hint reads as a different one.
  const placeholders = [input.placeholder, input.dataset.shortPlaceholder || input.placeholder];
  const ruler = document.createElement("canvas").getContext("2d");
  function fitPlaceholder() {
    const style = getComputedStyle(input);
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    ruler.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    input.placeholder =
      placeholders.find((text) => ruler.measureText(text).width <= room) || placeholders[1];
  }

  log.addEventListener("click", (event) => {
    const button = event.target.closest(".quick-replies button");
    if (!button) return;
    send(button.dataset.payload, button.textContent);
    // The chosen button goes away with its group: after a choice by keyboard
    // (detail 0) or mouse the user can type at once. A tap leaves the focus
    // alone, so that a phone's keyboard does not open over the answer.
    if (event.detail === 0 || event.pointerType === "mouse") input.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!ready || !text.trim()) return;
    input.value = "";
    send(text);
  });
  eraseButton.addEventListener("click", () => send("/erase_data", eraseButton.textContent));
  document.getElementById("restart").addEventListener("click", () => {
    store.clear();
    location.reload();
  });

  fitPlaceholder();
  addEventListener("resize", fitPlaceholder);
  restore();
  connect();
})();
