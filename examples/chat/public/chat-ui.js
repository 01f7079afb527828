// The chat page's logic, shared by the <script>-tag example (examples/chat) and the
// bundled single-page app (examples/spa). It only needs a WebPubSubClient class.
//
// How it talks to the service:
//  - GET /negotiate?user=NAME on our own app server returns a client access URL whose
//    token carries the user id and the roles to join and send to the group "room";
//  - every chat line is a JSON group message { kind: "chat", text } sent with noEcho,
//    so we draw our own lines at once and mark them sent when the service acks them.

const ROOM = "room";

const STATE_LABELS = {
  stopped: "offline",
  connecting: "connecting…",
  connected: "connected",
  recovering: "recovering…",
  reconnecting: "reconnecting…",
  stopping: "offline",
};

/** A stable colour per user name. */
function colourOf(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${h % 360} 55% 48%)`;
}

const SHELL = `
  <header class="bar">
    <div class="title">
      <span class="logo" aria-hidden="true">#</span>
      <div>
        <h1>${ROOM}</h1>
        <p class="subtitle">Azure Web PubSub chat</p>
      </div>
    </div>
    <div class="who">
      <span class="me" data-testid="me"></span>
      <span class="state" data-testid="state" data-state="stopped" role="status" aria-live="polite">offline</span>
    </div>
  </header>
  <main class="messages" data-testid="messages" aria-live="polite"></main>
  <form class="composer" data-testid="composer" autocomplete="off">
    <input name="text" data-testid="text" placeholder="Write a message…" maxlength="2000" disabled />
    <button type="submit" disabled>Send</button>
  </form>
  <div class="login" data-testid="login">
    <form class="card">
      <h2>Join the chat</h2>
      <p>Pick a name. Everyone in <b>#${ROOM}</b> sees it next to your messages.</p>
      <input name="user" data-testid="user" placeholder="Your name" maxlength="32" required autofocus />
      <button type="submit">Join</button>
      <p class="error" data-testid="login-error" hidden></p>
    </form>
  </div>`;

const timeOf = (date = new Date()) => date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * Draws the chat into `root` and wires it up.
 * @param {{ WebPubSubClient: any, root?: HTMLElement, negotiateUrl?: string }} options
 */
export function mountChat({ WebPubSubClient, root = document.body, negotiateUrl = "/negotiate" }) {
  root.classList.add("app");
  root.innerHTML = SHELL; // static markup only; everything users type goes in with textContent
  const $ = (selector) => root.querySelector(selector);
  const list = $(".messages");
  const stateBadge = $(".state");
  const me = $(".me");
  const composer = $(".composer");
  const textInput = composer.elements.text;
  const sendButton = composer.querySelector("button");
  const login = $(".login");
  const loginForm = login.querySelector("form");
  const loginError = login.querySelector(".error");

  let client;
  let user = "";

  function showState(state) {
    stateBadge.dataset.state = state;
    stateBadge.textContent = STATE_LABELS[state] ?? state;
    // Sending stays possible while the connection recovers: the client queues the
    // message and sends it when the connection is back.
    textInput.disabled = !client;
    sendButton.disabled = !client;
  }

  function scrollDown() {
    list.scrollTop = list.scrollHeight;
  }

  function addNotice(text) {
    const el = document.createElement("div");
    el.className = "notice";
    el.textContent = text;
    list.append(el);
    scrollDown();
  }

  function addMessage({ from, text, mine = false, time = new Date() }) {
    const row = document.createElement("div");
    row.className = mine ? "msg mine" : "msg";
    row.dataset.from = from;

    const avatar = document.createElement("div");
    avatar.className = "avatar";
    avatar.style.background = colourOf(from);
    avatar.textContent = from.slice(0, 1).toUpperCase();

    const bubble = document.createElement("div");
    bubble.className = "bubble";
    const meta = document.createElement("div");
    meta.className = "meta";
    const fromEl = document.createElement("span");
    fromEl.className = "from";
    fromEl.textContent = mine ? "you" : from;
    const timeEl = document.createElement("span");
    timeEl.className = "time";
    timeEl.textContent = timeOf(time);
    meta.append(fromEl, timeEl);
    const body = document.createElement("div");
    body.className = "text";
    body.textContent = text;
    bubble.append(meta, body);

    row.append(avatar, bubble);
    list.append(row);
    scrollDown();
    return row;
  }

  async function negotiate({ abortSignal } = {}) {
    const res = await fetch(`${negotiateUrl}?user=${encodeURIComponent(user)}`, { signal: abortSignal });
    if (!res.ok) throw new Error(`negotiate failed: ${res.status} ${await res.text()}`);
    const { url } = await res.json();
    return url;
  }

  async function join(name) {
    user = name;
    // The credential form: the client calls negotiate again for every brand-new
    // connection (a fresh token), but not when it recovers the same connection.
    client = new WebPubSubClient({ getClientAccessUrl: negotiate });
    // `state` has already changed when each of these events fires.
    const refresh = () => showState(client.state);
    for (const event of ["connected", "disconnected", "recovering", "recovered", "stopped"]) client.on(event, refresh);
    client.on("recovered", () => addNotice("connection recovered — nothing was lost"));
    client.on("disconnected", () => {
      if (client.state !== "stopped" && client.state !== "stopping") addNotice("connection lost — reconnecting…");
    });
    client.on("group-message", ({ message }) => {
      const data = message.data;
      const from = message.fromUserId ?? "someone";
      if (message.dataType !== "json" || typeof data !== "object" || data === null) {
        addMessage({ from, text: typeof data === "string" ? data : JSON.stringify(data) });
      } else if (data.kind === "chat") {
        addMessage({ from, text: String(data.text ?? "") });
      } else if (data.kind === "join") {
        addNotice(`${from} joined`);
      }
    });
    client.on("server-message", ({ message }) => {
      addNotice(typeof message.data === "string" ? message.data : JSON.stringify(message.data));
    });
    // Leave cleanly when the tab goes away, so the others see us go at once.
    addEventListener("pagehide", () => void client.stop());

    showState("connecting");
    await client.start();
    await client.joinGroup(ROOM);
    showState(client.state);
    addNotice(`you joined #${ROOM} as ${user}`);
    void client.sendToGroup(ROOM, { kind: "join" }, "json", { noEcho: true }).catch(() => {});
  }

  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = loginForm.elements.user.value.trim();
    if (!name) return;
    loginForm.querySelector("button").disabled = true;
    loginError.hidden = true;
    try {
      await join(name);
      me.replaceChildren(Object.assign(document.createElement("b"), { textContent: name }));
      login.hidden = true;
      textInput.focus();
    } catch (err) {
      void client?.stop();
      client = undefined;
      showState("stopped");
      loginError.textContent = `Could not connect: ${err.message}`;
      loginError.hidden = false;
      loginForm.querySelector("button").disabled = false;
    }
  });

  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (!text || !client) return;
    textInput.value = "";
    const row = addMessage({ from: user, text, mine: true });
    row.classList.add("pending");
    try {
      // If the connection is recovering, the client queues this and sends it once
      // the connection is back; the ack tells us the service has it.
      await client.sendToGroup(ROOM, { kind: "chat", text }, "json", { noEcho: true });
      row.classList.remove("pending");
    } catch {
      row.classList.replace("pending", "failed");
    }
  });

  const initial = new URLSearchParams(location.search).get("user");
  if (initial) loginForm.elements.user.value = initial;
  showState("stopped");
}
