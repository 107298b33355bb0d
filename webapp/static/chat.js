// Marquee subscriber chat: posts to the web app's own /api/chat and renders text, quick replies and
// title cards. Everything is built with textContent, never innerHTML, so no reply can inject markup.
(function () {
  "use strict";

  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  // When the assistant asks for a secret (a PIN), the answer is typed here and shown only as dots.
  const secretInput = document.getElementById("chat-secret");
  const log = document.getElementById("chat-log");
  const counter = document.getElementById("chat-counter");
  const sendButton = document.getElementById("chat-send");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const maxChars = parseInt(form.dataset.maxChars, 10);
  const troubleText = form.dataset.troubleText;
  let busy = false;
  // Whether the latest replies asked for a secret; each new turn decides again.
  let secretWanted = false;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    node.dir = "auto";
    return node;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function addUserMessage(text) {
    log.appendChild(element("div", "msg user", text));
    scrollToEnd();
  }

  function addTrouble(text) {
    const node = element("div", "msg trouble", text);
    node.setAttribute("role", "alert");
    log.appendChild(node);
    scrollToEnd();
  }

  function describeCard(card) {
    const parts = [];
    if (card.year) parts.push(String(card.year));
    if (card.type === "series" && card.seasons) parts.push(card.seasons + (card.seasons === 1 ? " season" : " seasons"));
    else if (card.runtime) parts.push(card.runtime + " min");
    if (card.maturity) parts.push(card.maturity);
    return parts.join(" · ");
  }

  function renderCards(cards) {
    const list = element("ul", "cards");
    list.setAttribute("aria-label", "Suggested titles");
    for (const card of cards) {
      const item = element("li", "card");
      item.dataset.titleId = String(card.id);
      item.appendChild(element("h3", null, card.title));
      const meta = describeCard(card);
      if (meta) item.appendChild(element("div", "meta", (card.type === "series" ? "Series · " : card.type === "movie" ? "Movie · " : "") + meta));
      if (card.genres && card.genres.length) {
        const genres = element("div", "genres");
        for (const genre of card.genres) genres.appendChild(element("span", "badge", genre));
        item.appendChild(genres);
      }
      if (card.reason) item.appendChild(element("p", "reason", card.reason));
      list.appendChild(item);
    }
    return list;
  }

  function renderButtons(buttons) {
    const group = element("div", "quick-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Quick replies");
    for (const button of buttons) {
      const node = element("button", null, button.title);
      node.type = "button";
      node.addEventListener("click", function () {
        group.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        send(button.payload, button.title);
      });
      group.appendChild(node);
    }
    return group;
  }

  function setSecretMode(on) {
    secretInput.hidden = !on;
    input.hidden = on;
    counter.hidden = on;
    secretInput.value = "";
    (on ? secretInput : input).focus();
  }

  function renderBotMessage(message) {
    if (message.text) log.appendChild(element("div", "msg bot", message.text));
    if (message.image) {
      const img = document.createElement("img");
      img.src = message.image;
      img.alt = "";
      img.className = "msg bot";
      img.referrerPolicy = "no-referrer";
      log.appendChild(img);
    }
    if (message.title_cards && message.title_cards.length) log.appendChild(renderCards(message.title_cards));
    if (message.buttons && message.buttons.length) log.appendChild(renderButtons(message.buttons));
  }

  async function send(payload, shownText) {
    if (busy) return;
    busy = true;
    secretWanted = false;
    sendButton.disabled = true;
    addUserMessage(shownText);
    const typing = element("div", "msg bot typing", "…");
    typing.setAttribute("aria-label", "The assistant is typing");
    log.appendChild(typing);
    scrollToEnd();
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
        body: JSON.stringify({ message: payload }),
      });
      let body = null;
      try { body = await response.json(); } catch (e) { body = null; }
      typing.remove();
      if (!response.ok) {
        const detail = body && typeof body.detail === "string" ? body.detail : troubleText;
        addTrouble(detail);
        return;
      }
      const messages = (body && body.messages) || [];
      if (!messages.length) log.appendChild(element("div", "msg bot muted", "(no reply)"));
      for (const message of messages) renderBotMessage(message);
      secretWanted = messages.some(function (message) { return message.secret_input; });
      scrollToEnd();
    } catch (error) {
      typing.remove();
      addTrouble(troubleText);
    } finally {
      busy = false;
      sendButton.disabled = false;
      setSecretMode(secretWanted);
    }
  }

  function updateCounter() {
    const length = input.value.length;
    counter.textContent = length + " / " + maxChars;
    counter.classList.toggle("over", length > maxChars);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!secretInput.hidden) {
      const secret = secretInput.value.trim();
      if (!secret) return;
      secretInput.value = "";
      send(secret, "••••");  // neither the PIN nor its length is shown
      return;
    }
    const text = input.value.trim();
    if (!text) return;
    if (text.length > maxChars) {
      addTrouble("Your message is " + text.length + " characters long; the limit is " + maxChars + ". Please shorten it.");
      return;
    }
    input.value = "";
    updateCounter();
    send(text, text);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", updateCounter);
  updateCounter();
})();
