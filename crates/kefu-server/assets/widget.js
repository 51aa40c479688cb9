/* kefu web chat widget. Embed on a store page with:
 *   <script src="https://YOUR-KEFU/widget.js" data-shop="SHOP_ID" async></script>
 * No third-party code; everything it loads comes from the kefu server that served it.
 *
 * Nothing typed is lost: a message goes into a local outbox (localStorage) with a client id
 * before it is sent, and is retried with that same id until the server has it, so a retry is
 * never stored twice. The live stream (server-sent events) resumes after the last message
 * shown, so a reconnect neither loses nor repeats messages.
 *
 * On the shop's own order page the tag may name the order and carry a signed link, so the
 * desk knows the order is this buyer's (a bare order number proves nothing):
 *   <script src="…/widget.js" data-shop="SHOP_ID" data-order="ORDER_NO"
 *           data-order-link="EXPIRES.MAC" async></script>
 * (how the shop makes the link: crates/kefu-server/src/order_proof.rs). */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-shop][src*='widget.js']");
  if (!script) return;
  var shopId = parseInt(script.getAttribute("data-shop"), 10);
  if (!shopId) return;
  var base = new URL(script.src, location.href).origin;
  var orderNo = (script.getAttribute("data-order") || "").trim();
  var orderLink = (script.getAttribute("data-order-link") || "").trim();
  var orderTried = false; // the link is offered once per page: a bad one is not retried
  var key = "kefu-chat:" + base + ":" + shopId;
  var zh = /^zh/i.test(navigator.language || "");
  var t = zh
    ? { open: "在线客服", title: "联系客服", send: "发送", placeholder: "请输入您的问题…", typing: "客服正在输入…", rate: "请为本次服务评分：", thanks: "感谢您的评价！", failed: "发送失败，正在重试…", bot: "自动回复", attach: "发送图片或 PDF", too_big: "文件不能超过 5 MB" }
    : { open: "Chat with us", title: "Customer service", send: "Send", placeholder: "Type your question…", typing: "An agent is typing…", rate: "How did we do?", thanks: "Thank you for your rating!", failed: "Not sent yet, retrying…", bot: "automatic reply", attach: "Send a photo or PDF", too_big: "Files may have at most 5 MB" };

  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { saved = {}; }
  saved.outbox = saved.outbox || [];
  saved.last = saved.last || 0;
  function save() { try { localStorage.setItem(key, JSON.stringify(saved)); } catch (e) { /* private mode: memory only */ } }

  function api(path, body) {
    return fetch(base + "/chat/v1/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    });
  }

  // ---- the panel, in a shadow root so the store's CSS and ours do not mix ----
  var host = document.createElement("div");
  host.setAttribute("data-kefu-chat", "");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.innerHTML =
    "<style>" +
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;font-size:14px}" +
    ".btn{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;background:#b3261e;color:#fff;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3)}" +
    ".panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:340px;max-width:calc(100vw - 24px);height:460px;max-height:calc(100vh - 100px);display:none;flex-direction:column;background:#fff;color:#1d1b20;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);overflow:hidden}" +
    ".panel.on{display:flex}.head{background:#b3261e;color:#fff;padding:10px 14px;font-weight:600}" +
    ".notice{background:#fff4e5;color:#5f3700;padding:8px 12px;border-bottom:1px solid #f0d9b5}" +
    ".list{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px}" +
    ".m{max-width:80%;padding:7px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}" +
    ".buyer{align-self:flex-end;background:#e8def8}.shop{align-self:flex-start;background:#f1f1f1}" +
    ".pending{opacity:.6}.err{color:#b3261e;font-size:12px;padding:0 12px}.meta{font-size:11px;color:#555}" +
    ".typing{font-size:12px;color:#555;padding:0 12px;min-height:16px}" +
    ".rate{padding:8px 12px;border-top:1px solid #eee}.rate button{margin-right:4px;border:1px solid #ccc;background:#fff;border-radius:6px;padding:4px 8px;cursor:pointer}" +
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid #eee}textarea{flex:1;resize:none;height:44px;padding:6px;border:1px solid #bbb;border-radius:6px}" +
    "form button{border:0;border-radius:6px;background:#b3261e;color:#fff;padding:0 14px;cursor:pointer}" +
    "form button.attach{background:#eee;color:#333;padding:0 10px}" +
    "</style>" +
    "<button class='btn' type='button' aria-expanded='false'></button>" +
    "<div class='panel' role='dialog'><div class='head'></div><div class='notice' hidden></div>" +
    "<div class='list' aria-live='polite'></div><div class='typing'></div><div class='err' role='alert'></div>" +
    "<div class='rate' hidden></div>" +
    "<form><label style='position:absolute;left:-9999px' for='kefu-text'></label><textarea id='kefu-text'></textarea>" +
    "<input type='file' id='kefu-file' accept='image/jpeg,image/png,image/gif,image/webp,application/pdf' hidden>" +
    "<button type='button' class='attach'>📎</button><button type='submit'></button></form></div>";
  var $ = function (s) { return root.querySelector(s); };
  var button = $(".btn"), panel = $(".panel"), list = $(".list"), notice = $(".notice");
  var typingEl = $(".typing"), errEl = $(".err"), rateEl = $(".rate"), form = $("form"), text = $("textarea");
  button.textContent = t.open;
  $(".head").textContent = t.title;
  $("label").textContent = t.placeholder;
  text.placeholder = t.placeholder;
  form.querySelector("button[type='submit']").textContent = t.send;
  var fileInput = $("#kefu-file"), attach = $(".attach");
  attach.setAttribute("aria-label", t.attach);
  attach.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file || !saved.token) return;
    if (file.size > 5 * 1024 * 1024) { errEl.textContent = t.too_big; return; }
    var id = clientId();
    var el = bubble("buyer pending", "📎 " + file.name);
    el.setAttribute("data-client", id);
    fetch(base + "/chat/v1/attachments?token=" + encodeURIComponent(saved.token) + "&client_id=" + id + "&name=" + encodeURIComponent(file.name), {
      method: "POST", headers: { "Content-Type": file.type || "application/octet-stream" }, body: file
    }).then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
      .then(function (r) {
        if (r.status === 200 || r.status === 201) {
          el.classList.remove("pending");
          el.setAttribute("data-id", r.body.message_id);
          seen[r.body.message_id] = true;
          errEl.textContent = "";
          if (saved.conversation !== r.body.conversation_id) { saved.conversation = r.body.conversation_id; save(); connect(); }
        } else {
          el.remove();
          errEl.textContent = (r.body.error && r.body.error.message) || t.failed;
        }
      })
      .catch(function () { el.remove(); errEl.textContent = t.failed; });
  });
  button.addEventListener("click", function () {
    var on = panel.classList.toggle("on");
    button.setAttribute("aria-expanded", on ? "true" : "false");
    if (on) text.focus();
  });
  (document.body || document.documentElement).appendChild(host);

  var seen = {};
  function bubble(from, body, id, bot) {
    var el = document.createElement("div");
    el.className = "m " + from;
    el.textContent = body;
    if (bot) {
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = t.bot;
      el.appendChild(meta);
    }
    if (id) el.setAttribute("data-id", id);
    list.appendChild(el);
    list.scrollTop = list.scrollHeight;
    return el;
  }

  // ---- the live stream ----
  var source = null;
  function connect() {
    if (source) source.close();
    var url = base + "/chat/v1/stream?token=" + encodeURIComponent(saved.token) +
      (saved.conversation ? "&conversation=" + saved.conversation + "&after=" + saved.last : "");
    source = new EventSource(url);
    source.addEventListener("message", function (e) {
      var m = JSON.parse(e.data);
      if (m.conversation_id && saved.conversation !== m.conversation_id) {
        saved.conversation = m.conversation_id;
        save();
      }
      if (seen[m.id]) return;
      seen[m.id] = true;
      var pending = m.from === "buyer" && list.querySelector(".pending");
      if (pending && pending.textContent === m.body) {
        pending.classList.remove("pending");
        pending.setAttribute("data-id", m.id);
      } else {
        bubble(m.from, m.body, m.id, m.bot);
      }
      if (m.id > saved.last) { saved.last = m.id; save(); }
      if (m.from === "shop") {
        typingEl.textContent = "";
        ack(m.conversation_id, m.id, 0);
      }
    });
    source.addEventListener("typing", function () {
      typingEl.textContent = t.typing;
      clearTimeout(connect.typingTimer);
      connect.typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 5000);
    });
    source.addEventListener("status", function (e) {
      var s = JSON.parse(e.data);
      if (s.rate && saved.rated !== s.conversation_id) askRating(s.conversation_id);
    });
  }

  // A delivery receipt that fails is tried again a few times; the reply is shown either way.
  function ack(conversation, id, tries) {
    api("ack", { token: saved.token, conversation_id: conversation, message_id: id })
      .then(function (r) { if (r.status >= 500 || r.status === 429) throw new Error("retry"); })
      .catch(function () { if (tries < 5) setTimeout(function () { ack(conversation, id, tries + 1); }, 2000 * (tries + 1)); });
  }

  function askRating(conversation) {
    rateEl.hidden = false;
    rateEl.textContent = t.rate + " ";
    [1, 2, 3, 4, 5].forEach(function (score) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = score + "★";
      b.setAttribute("aria-label", score + " / 5");
      b.addEventListener("click", function () {
        api("csat", { token: saved.token, conversation_id: conversation, score: score }).then(function (r) {
          if (r.status !== 201 && r.status !== 409) throw new Error("rating not stored");
          saved.rated = conversation;
          save();
          rateEl.textContent = t.thanks;
        }).catch(function () {
          // The buttons stay, so the buyer can rate again.
          errEl.textContent = t.failed;
        });
      });
      rateEl.appendChild(b);
    });
  }

  // ---- sending, through the local outbox ----
  var flushing = false, delay = 1000;
  function flush() {
    if (flushing || !saved.token || !saved.outbox.length) return;
    flushing = true;
    var item = saved.outbox[0];
    var msg = { token: saved.token, client_id: item.client_id, body: item.body };
    if (orderNo && !orderTried && saved.orderVerified !== orderNo) {
      msg.order = orderNo;
      if (orderLink) msg.order_link = orderLink;
    }
    api("messages", msg)
      .then(function (r) {
        return r.json().then(function (j) { return { status: r.status, body: j, retry: r.headers.get("Retry-After") }; });
      })
      .then(function (r) {
        flushing = false;
        if (r.status === 200 || r.status === 201) {
          saved.outbox.shift();
          delay = 1000;
          if (msg.order) {
            orderTried = true;
            if (r.body.order && r.body.order.verified) saved.orderVerified = msg.order;
          }
          errEl.textContent = "";
          var el = list.querySelector("[data-client='" + item.client_id + "']");
          if (el) { el.classList.remove("pending"); el.setAttribute("data-id", r.body.message_id); }
          seen[r.body.message_id] = true;
          if (r.body.message_id > saved.last) saved.last = r.body.message_id;
          var reconnect = saved.conversation !== r.body.conversation_id;
          saved.conversation = r.body.conversation_id;
          save();
          if (reconnect) connect();
          flush();
        } else if (r.status === 429 || r.status >= 500) {
          errEl.textContent = t.failed;
          setTimeout(flush, r.retry ? r.retry * 1000 : delay);
          delay = Math.min(delay * 2, 30000);
        } else {
          // Refused for good (too long, empty…): say why and give the text back to edit.
          saved.outbox.shift();
          save();
          var bad = list.querySelector("[data-client='" + item.client_id + "']");
          if (bad) bad.remove();
          errEl.textContent = (r.body.error && r.body.error.message) || "error";
          text.value = item.body;
          flush();
        }
      })
      .catch(function () {
        flushing = false;
        errEl.textContent = t.failed;
        setTimeout(flush, delay);
        delay = Math.min(delay * 2, 30000);
      });
  }
  window.addEventListener("online", flush);

  function clientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = text.value.trim();
    if (!body) return;
    var item = { client_id: clientId(), body: body };
    saved.outbox.push(item);
    save();
    text.value = "";
    bubble("buyer pending", body).setAttribute("data-client", item.client_id);
    flush();
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
  var lastTyping = 0;
  text.addEventListener("input", function () {
    var now = Date.now();
    if (!saved.conversation || now - lastTyping < 3000) return;
    lastTyping = now;
    // Only a hint for the agent: if it fails, nothing is lost and nothing is said.
    api("typing", { token: saved.token, conversation_id: saved.conversation }).catch(function () {});
  });

  // ---- start: a session (new or resumed), then the stream and whatever is still unsent ----
  api("sessions", { shop_id: shopId, token: saved.token || null, language: navigator.language || null })
    .then(function (r) { return r.json(); })
    .then(function (s) {
      if (!s.token) { errEl.textContent = (s.error && s.error.message) || "chat unavailable"; return; }
      if (s.token !== saved.token) { saved = { token: s.token, outbox: saved.outbox, last: 0 }; }
      save();
      $(".head").textContent = s.shop.name;
      if (!s.open && s.notice) { notice.hidden = false; notice.textContent = s.notice; }
      text.maxLength = s.max_chars || 2000;
      // Messages still in the outbox from an earlier page are shown and sent again.
      saved.outbox.forEach(function (item) {
        bubble("buyer pending", item.body).setAttribute("data-client", item.client_id);
      });
      saved.last = 0; // replay the whole conversation into this fresh page
      connect();
      flush();
    })
    .catch(function () { errEl.textContent = t.failed; });
})();
