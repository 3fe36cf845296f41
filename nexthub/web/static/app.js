// NextHub web GUI. Plain JavaScript, no library, nothing from another site.
//
// Safety rule of this file: text from a person or a model is only ever set with
// textContent. The only HTML inserted is what the server rendered and sanitised
// (message.html, hit.snippet_html); the page's CSP would block any script anyway.
"use strict";

const state = {
  conversationId: null, // the conversation shown; null: a new chat
  conversation: null, // its last document from the server
  controller: null, // the AbortController of the answer streaming, if any
  newChatSettings: null, // settings chosen for a new chat before its first message
  searchTimer: 0,
};

const $ = (id) => document.getElementById(id);

function showNotice(text) {
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = !text;
}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    throw new Error(await errorText(response));
  }
  return response;
}

async function errorText(response) {
  if (response.status === 401) {
    return "You are logged out. Open a new login link from the terminal running `nexthub serve`.";
  }
  try {
    return (await response.json()).error.message;
  } catch (_) {
    return `The server answered ${response.status}.`;
  }
}

async function getJson(path, options) {
  return (await api(path, options)).json();
}

// -- models ----------------------------------------------------------------------------

async function loadModels() {
  const { models } = await getJson("/api/models");
  const select = $("model");
  select.replaceChildren();
  for (const model of models) {
    const option = document.createElement("option");
    option.value = model.id;
    option.textContent = model.name;
    option.selected = model.loaded;
    select.append(option);
  }
}

// -- the conversation list -----------------------------------------------------------------

async function loadList() {
  const query = $("search").value.trim();
  const list = $("conversations");
  if (query) {
    const { hits } = await getJson(`/api/conversations?q=${encodeURIComponent(query)}`);
    list.replaceChildren(...hits.map(hitItem));
    if (!hits.length) list.append(emptyItem("Nothing found."));
  } else {
    const { conversations } = await getJson("/api/conversations");
    list.replaceChildren(...conversations.map(conversationItem));
  }
}

function emptyItem(text) {
  const item = document.createElement("li");
  item.className = "empty";
  item.textContent = text;
  return item;
}

function listItem(conversationId, open) {
  const item = document.createElement("li");
  item.tabIndex = 0;
  item.dataset.id = conversationId;
  item.classList.toggle("current", conversationId === state.conversationId);
  const go = () => {
    document.body.classList.remove("sidebar-open");
    open().catch((error) => showNotice(error.message));
  };
  item.addEventListener("click", go);
  item.addEventListener("keydown", (event) => {
    if (event.key === "Enter") go();
  });
  return item;
}

function conversationItem(conversation) {
  const item = listItem(conversation.id, () => openConversation(conversation.id));
  item.textContent = conversation.title;
  return item;
}

function hitItem(hit) {
  const item = listItem(hit.conversation_id, () => openConversation(hit.conversation_id, hit.message_id));
  const title = document.createElement("span");
  title.textContent = hit.title;
  const snippet = document.createElement("span");
  snippet.className = "snippet";
  snippet.innerHTML = hit.snippet_html; // escaped by the server; only <mark> added
  item.append(title, snippet);
  return item;
}

// -- one conversation ------------------------------------------------------------------------

async function openConversation(conversationId, messageId = null) {
  stopAnswer();
  const document_ = messageId
    ? await getJson(`/api/conversations/${encodeURIComponent(conversationId)}/show`, { json: { message_id: messageId } })
    : await getJson(`/api/conversations/${encodeURIComponent(conversationId)}`);
  showConversation(document_);
  showNotice("");
  await loadList();
}

function newChat() {
  stopAnswer();
  state.conversationId = null;
  state.conversation = null;
  state.newChatSettings = null;
  $("title").textContent = "New chat";
  $("messages").replaceChildren();
  fillSettings({ system_prompt: "", sampling: { temperature: 0.7, top_p: 0.95, max_tokens: 1024, seed: null } });
  setExportLinks(null);
  showNotice("");
  loadList().catch((error) => showNotice(error.message));
  $("prompt").focus();
}

function showConversation(conversation) {
  state.conversation = conversation;
  state.conversationId = conversation.id;
  $("title").textContent = conversation.title;
  const list = $("messages");
  list.replaceChildren();
  const lastAssistant = conversation.messages.map((m) => m.role).lastIndexOf("assistant");
  for (const message of conversation.messages) {
    list.append(messageItem(message, message.index === lastAssistant));
  }
  fillSettings(conversation);
  setExportLinks(conversation.id);
  list.scrollTop = list.scrollHeight;
}

function messageItem(message, isLastAnswer) {
  const item = document.createElement("li");
  item.className = `message ${message.role}`;
  if (message.finish_reason === "cancelled" || message.finish_reason === "error") {
    item.classList.add(message.finish_reason);
  }
  item.dataset.index = message.index;
  const meta = document.createElement("div");
  meta.className = "meta";
  const role = document.createElement("span");
  role.className = "role";
  role.textContent = message.role === "user" ? "You" : message.model || "Assistant";
  meta.append(role);
  if (message.versions > 1) meta.append(versionSwitch(message));
  const content = document.createElement("div");
  content.className = "content";
  content.innerHTML = message.html; // rendered on the server with raw HTML off
  item.append(meta, content);
  const actions = document.createElement("div");
  actions.className = "actions";
  if (message.role === "user") {
    actions.append(button("Edit", () => startEditing(item, message)));
  } else if (isLastAnswer) {
    actions.append(button("Regenerate", regenerate));
  }
  if (actions.childElementCount) item.append(actions);
  return item;
}

function button(label, onClick, className = "quiet") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = label;
  element.addEventListener("click", onClick);
  return element;
}

function versionSwitch(message) {
  const box = document.createElement("span");
  box.className = "versions";
  const previous = button("‹", () => flipVersion(message.index, message.version - 1));
  previous.setAttribute("aria-label", "Previous version");
  previous.disabled = message.version <= 1;
  const label = document.createElement("span");
  label.className = "version-label";
  label.textContent = `${message.version}/${message.versions}`;
  const next = button("›", () => flipVersion(message.index, message.version + 1));
  next.setAttribute("aria-label", "Next version");
  next.disabled = message.version >= message.versions;
  box.append(previous, label, next);
  return box;
}

async function flipVersion(index, version) {
  if (state.controller) return;
  try {
    const path = `/api/conversations/${encodeURIComponent(state.conversationId)}/version`;
    showConversation(await getJson(path, { json: { index, version } }));
  } catch (error) {
    showNotice(error.message);
  }
}

function startEditing(item, message) {
  if (state.controller) return;
  const content = item.querySelector(".content");
  const box = document.createElement("textarea");
  box.className = "edit-box";
  box.value = message.text;
  box.setAttribute("aria-label", "Edit message");
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(
    button("Send edit", () => {
      const text = box.value;
      if (!text.trim()) return;
      const list = $("messages");
      while (list.lastChild && list.lastChild !== item) list.lastChild.remove();
      item.replaceChildren(roleLine("You"), plainContent(text));
      streamAnswer(`/api/conversations/${encodeURIComponent(state.conversationId)}/edit`, {
        index: message.index,
        text,
        model: $("model").value,
      });
    }, ""),
    button("Cancel", () => showConversation(state.conversation)),
  );
  content.replaceWith(box);
  item.querySelector(".actions")?.replaceWith(actions);
  box.focus();
}

function roleLine(text) {
  const meta = document.createElement("div");
  meta.className = "meta";
  const role = document.createElement("span");
  role.className = "role";
  role.textContent = text;
  meta.append(role);
  return meta;
}

function plainContent(text) {
  const content = document.createElement("div");
  content.className = "content streaming";
  content.textContent = text;
  return content;
}

// -- answering ---------------------------------------------------------------------------------

function send() {
  const prompt = $("prompt");
  const text = prompt.value;
  if (!text.trim() || state.controller) return;
  prompt.value = "";
  const user = document.createElement("li");
  user.className = "message user";
  user.append(roleLine("You"), plainContent(text));
  $("messages").append(user);
  const body = { text, model: $("model").value };
  if (state.conversationId) {
    body.conversation_id = state.conversationId;
  } else {
    body.settings = state.newChatSettings || readSettings();
  }
  streamAnswer("/api/chat", body);
}

function regenerate() {
  if (state.controller || !state.conversationId) return;
  const list = $("messages");
  if (list.lastChild?.classList.contains("assistant")) list.lastChild.remove();
  streamAnswer(`/api/conversations/${encodeURIComponent(state.conversationId)}/regenerate`, {
    model: $("model").value,
  });
}

async function streamAnswer(path, body) {
  const controller = new AbortController();
  state.controller = controller;
  setBusy(true);
  showNotice("");
  const answer = document.createElement("li");
  answer.className = "message assistant streaming";
  const status = roleLine("Assistant");
  const content = plainContent("");
  answer.append(status, content);
  $("messages").append(answer);
  const list = $("messages");
  let conversationId = state.conversationId;
  try {
    const response = await api(path, { json: body, signal: controller.signal });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const event = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        if (event.type === "queue") {
          status.firstChild.textContent = `Waiting for the model (position ${event.position})…`;
        } else if (event.type === "started") {
          conversationId = event.conversation_id;
          state.conversationId = conversationId;
          status.firstChild.textContent = "Assistant";
        } else if (event.type === "delta") {
          content.textContent += event.text; // plain text while it streams
          list.scrollTop = list.scrollHeight;
        } else if (event.type === "done") {
          if (event.conversation) showConversation(event.conversation);
          if (event.error) showNotice(event.error);
        }
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") showNotice(error.message);
  } finally {
    if (state.controller === controller) state.controller = null;
    setBusy(false);
  }
  if (controller.signal.aborted && conversationId) {
    await showStopped(conversationId).catch((error) => showNotice(error.message));
  }
  loadList().catch((error) => showNotice(error.message));
}

// Stopped: the server cancels the answer and saves it as it reached, a moment after
// the request closed. Show the conversation once the answer is saved as ended.
async function showStopped(conversationId) {
  const path = `/api/conversations/${encodeURIComponent(conversationId)}`;
  for (let attempt = 0; attempt < 40; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (state.conversationId !== conversationId || state.controller) return;
    const conversation = await getJson(path);
    const last = conversation.messages[conversation.messages.length - 1];
    if (!last || last.role !== "assistant" || last.finish_reason || attempt === 39) {
      showConversation(conversation);
      return;
    }
  }
}

function stopAnswer() {
  if (state.controller) {
    state.controller.abort();
    state.controller = null;
    setBusy(false);
  }
}

function setBusy(busy) {
  $("send").hidden = busy;
  $("stop").hidden = !busy;
}

// -- settings and export -----------------------------------------------------------------------

function fillSettings(conversation) {
  $("system-prompt").value = conversation.system_prompt;
  const sampling = conversation.sampling;
  $("temperature").value = sampling.temperature;
  $("top-p").value = sampling.top_p;
  $("max-tokens").value = sampling.max_tokens ?? "";
  $("seed").value = sampling.seed ?? "";
}

function readSettings() {
  const number = (id) => ($(id).value === "" ? null : Number($(id).value));
  return {
    system_prompt: $("system-prompt").value,
    temperature: number("temperature"),
    top_p: number("top-p"),
    max_tokens: number("max-tokens"),
    seed: number("seed"),
  };
}

async function saveSettings() {
  const settings = readSettings();
  try {
    if (state.conversationId) {
      const path = `/api/conversations/${encodeURIComponent(state.conversationId)}/settings`;
      showConversation(await getJson(path, { json: settings }));
    } else {
      state.newChatSettings = settings; // sent with the first message
    }
    showNotice("");
    toggleSettings(false);
  } catch (error) {
    showNotice(error.message);
  }
}

function toggleSettings(open) {
  const panel = $("settings");
  panel.hidden = !open;
  $("settings-toggle").setAttribute("aria-expanded", String(open));
}

function setExportLinks(conversationId) {
  for (const [id, format] of [["export-md", "md"], ["export-json", "json"]]) {
    const link = $(id);
    link.hidden = !conversationId;
    if (conversationId) {
      link.href = `/api/conversations/${encodeURIComponent(conversationId)}/export?format=${format}`;
    }
  }
}

// -- start ---------------------------------------------------------------------------------

function start() {
  $("send").addEventListener("click", send);
  $("stop").addEventListener("click", stopAnswer);
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  $("new-chat").addEventListener("click", newChat);
  $("search").addEventListener("input", () => {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(() => loadList().catch((error) => showNotice(error.message)), 250);
  });
  $("menu").addEventListener("click", () => {
    const open = document.body.classList.toggle("sidebar-open");
    $("menu").setAttribute("aria-expanded", String(open));
  });
  $("settings-toggle").addEventListener("click", () => toggleSettings($("settings").hidden));
  $("save-settings").addEventListener("click", saveSettings);
  $("logout").addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", credentials: "same-origin" });
    window.location.assign("/");
  });
  newChat();
  loadModels().catch((error) => showNotice(error.message));
}

start();
