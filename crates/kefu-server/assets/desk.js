/* kefu desk: countdowns, keyboard navigation, the guard as you type, and live updates.
 * Pages work without it; it only makes them quicker to use. */
(function () {
  "use strict";
  var zh = document.documentElement.lang === "zh";

  // The server writes times in the viewer's zone once it knows it: tell it the browser's.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) document.cookie = "kefu_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  } catch (err) { /* an old browser: times stay in UTC, labelled by the server */ }

  // ---- the one way the desk writes a moment (the server's Lang::when): 12月6日 21:40 /
  // 6 Dec 21:40, with the year when it is not this year ----
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(d) {
    var year = d.getFullYear() !== new Date().getFullYear();
    var hm = two(d.getHours()) + ":" + two(d.getMinutes());
    if (zh) return (year ? d.getFullYear() + "年" : "") + (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm;
    return d.getDate() + " " + MONTHS[d.getMonth()] + (year ? " " + d.getFullYear() : "") + " " + hm;
  }

  // ---- countdowns: red when passed, amber with under a fifth of the time left ----
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown").forEach(function (el) {
      var due = Date.parse(el.dataset.due), opened = Date.parse(el.dataset.opened);
      var left = Math.round((due - now) / 1000), total = Math.max(1, (due - opened) / 1000);
      var a = Math.abs(left), h = Math.floor(a / 3600), m = Math.floor((a % 3600) / 60), s = a % 60;
      // The same words as the server's Lang::left.
      var text = zh
        ? (h ? h + "小时" : "") + (h || m ? m + "分" : "") + s + "秒"
        : (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
      el.textContent = left < 0 ? (zh ? "已超时 " : "late ") + text : text;
      el.classList.toggle("breached", left < 0);
      el.classList.toggle("amber", left >= 0 && left < total / 5);
    });
  }
  tick();
  setInterval(tick, 1000);

  // ---- times in the viewer's own time zone (the page is rendered in UTC) ----
  function localTimes(scope) {
    (scope || document).querySelectorAll("time.when").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) el.textContent = fmt(d);
    });
  }
  localTimes();

  // ---- keyboard: j/k/Enter in the inbox, r/e in a conversation ----
  var rows = Array.prototype.slice.call(document.querySelectorAll("#inbox tr.row"));
  var at = -1;
  function typing(e) {
    var t = e.target.tagName;
    return t === "INPUT" || t === "TEXTAREA" || t === "SELECT";
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (rows.length && (e.key === "j" || e.key === "k")) {
      at = Math.max(0, Math.min(rows.length - 1, at + (e.key === "j" ? 1 : -1)));
      rows.forEach(function (r, i) { r.classList.toggle("current", i === at); });
      rows[at].focus();
    } else if (rows.length && e.key === "Enter" && at >= 0) {
      location.href = rows[at].dataset.href;
    } else if (e.key === "r" && document.getElementById("reply")) {
      e.preventDefault();
      document.getElementById("reply").focus();
    } else if (e.key === "e") {
      var resolve = document.querySelector("button[data-status='resolved']");
      if (resolve) resolve.click();
    }
  });

  // ---- resolving a conversation no agent has answered asks first (the server asks too) ----
  var ask = document.getElementById("confirm-resolve");
  var askButton = document.querySelector("button[data-status='resolved'][data-needs-confirm]");
  if (ask && askButton && ask.tagName === "DIALOG" && ask.showModal) {
    askButton.addEventListener("click", function (e) {
      e.preventDefault();
      ask.showModal();
      document.getElementById("confirm-resolve-yes").focus();
    });
    document.getElementById("confirm-resolve-no").addEventListener("click", function () { ask.close(); });
  }

  // ---- templates: the chosen one goes into the reply box, then through the guard ----
  var picker = document.getElementById("template");
  if (picker) {
    picker.addEventListener("change", function () {
      var opt = picker.options[picker.selectedIndex];
      var box = document.getElementById("reply");
      if (!opt || !opt.dataset.text || !box) return;
      box.value = box.value ? box.value + "\n" + opt.dataset.text : opt.dataset.text;
      box.dispatchEvent(new Event("input"));
      box.focus();
    });
  }

  // ---- the guard as the agent types (debounced) ----
  var reply = document.getElementById("reply");
  var conv = document.querySelector(".conv");
  if (reply && conv && window.fetch) {
    var timer = null, box = document.getElementById("guard-findings");
    // The buyer's chat shows "typing…": at most one signal every 3 seconds while typing.
    var lastTyping = 0;
    reply.addEventListener("input", function () {
      var now = Date.now();
      if (reply.dataset.typing && now - lastTyping > 3000) {
        lastTyping = now;
        fetch(reply.dataset.typing, { method: "POST", headers: { "X-CSRF-Token": window.KEFU_CSRF || "" } })
          .catch(function () { /* only a courtesy to the buyer */ });
      }
    });
    reply.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch("/ui/lint", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": window.KEFU_CSRF || "" },
          body: JSON.stringify({ text: reply.value, lang: reply.dataset.lang || null, conversation_id: parseInt(conv.dataset.conversation, 10) })
        }).then(function (r) { return r.json(); }).then(function (v) {
          box.textContent = "";
          if (!v.findings || !v.findings.length) return;
          var p = document.createElement("p");
          p.className = v.blocked ? "error" : "warn";
          p.textContent = (zh ? "回复检查：" : "The reply guard says: ") + (v.verdict_label || v.verdict);
          box.appendChild(p);
          var ul = document.createElement("ul");
          v.findings.forEach(function (f) {
            var li = document.createElement("li");
            li.textContent = f.rule + " " + f.message + (f.suggestion ? " → " + f.suggestion : "");
            ul.appendChild(li);
          });
          box.appendChild(ul);
        }).catch(function () { /* the server checks again on send */ });
      }, 300);
    });
  }

  // ---- live: new messages and status changes without a reload ----
  // One stream for the whole browser, not one per page: a browser keeps at most six
  // connections to a host, and every open tab, and every page kept in the back/forward
  // cache, would hold one. The tab holding the Web Lock "kefu-live" keeps the stream and
  // passes each event to the other tabs over a BroadcastChannel; when it closes, another tab
  // takes the lock. A page that is hidden (navigated away, cached) lets go of both.
  function startLive(onEvent) {
    var kinds = ["message", "status", "typing", "resync", "incident_alert"];
    var channel = window.BroadcastChannel ? new BroadcastChannel("kefu-live") : null;
    var source = null, release = null, abort = null;
    function open() {
      source = new EventSource("/live");
      kinds.forEach(function (k) {
        source.addEventListener(k, function (e) {
          if (channel) channel.postMessage({ kind: k, data: e.data });
          onEvent(k, e.data);
        });
      });
    }
    function close() {
      if (source) { source.close(); source = null; }
      if (release) { release(); release = null; }
      if (abort) { abort.abort(); abort = null; }
    }
    function lead() {
      if (!(navigator.locks && channel)) { open(); return; }
      abort = window.AbortController ? new AbortController() : null;
      navigator.locks.request("kefu-live", abort ? { signal: abort.signal } : {}, function () {
        open();
        // Held until this page closes or is hidden.
        return new Promise(function (done) { release = done; });
      }).catch(function () { /* aborted: the page was hidden before its turn */ });
    }
    if (channel) channel.onmessage = function (e) { if (!source) onEvent(e.data.kind, e.data.data); };
    window.addEventListener("pagehide", close);
    window.addEventListener("pageshow", function (e) { if (e.persisted) { lead(); if (here === null && inboxPage) refreshInbox(); } });
    lead();
  }
  var here = conv ? parseInt(conv.dataset.conversation, 10) : null;
  function onMessage(data) {
    var m = JSON.parse(data);
    if (here !== null) {
      if (m.conversation_id !== here || document.querySelector("#thread li[data-id='" + m.id + "']")) return;
      var li = document.createElement("li");
      li.className = "msg " + m.direction;
      li.dataset.id = m.id;
      var meta = document.createElement("div");
      meta.className = "meta";
      // Who and when, as the server writes it: the buyer's name, the bot, or an agent.
      var who = m.direction === "inbound" ? (document.querySelector(".convhead h1") || {}).textContent
        : m.bot ? (zh ? "机器人" : "Bot") : (zh ? "客服" : "agent");
      meta.textContent = (who || "") + " · " + fmt(new Date(m.at));
      var body = document.createElement("div");
      body.className = "body";
      body.textContent = m.body;
      li.appendChild(meta);
      li.appendChild(body);
      // After the last message, before the system events listed under the messages.
      var thread = document.getElementById("thread");
      var msgs = thread.querySelectorAll("li.msg");
      var last = msgs.length ? msgs[msgs.length - 1] : null;
      if (last && last.nextSibling) thread.insertBefore(li, last.nextSibling);
      else thread.appendChild(li);
    } else if (inboxPage) {
      refreshInbox();
    }
  }
  // ---- incidents: an alert for supervisors on whatever page they are on ----
  var alerts = document.getElementById("incident-alerts");
  function onIncident(data) {
    var a = JSON.parse(data);
    if (!alerts) return;
    var id = "incident-alert-" + a.incident_id;
    var p = document.getElementById(id) || document.createElement("p");
    p.id = id;
    p.textContent = alerts.dataset.label + " #" + a.incident_id + " · " + alerts.dataset.level + " " + a.level + " ";
    var link = document.createElement("a");
    link.href = "/incidents/" + a.incident_id;
    link.textContent = alerts.dataset.open;
    p.appendChild(link);
    alerts.insertBefore(p, alerts.firstChild);
    if (document.getElementById("incidents") || document.getElementById("incidents-empty")) refresh("incidents");
  }
  var inboxPage = document.getElementById("inbox") || document.querySelector(".inbox-empty");
  if (window.EventSource && (conv || inboxPage || alerts)) {
    startLive(function (kind, data) {
      if (kind === "incident_alert") onIncident(data);
      else if (kind === "message") onMessage(data);
      else if (kind === "status") {
        var s = JSON.parse(data);
        if (here !== null && s.conversation_id === here) {
          var st = document.getElementById("status");
          st.dataset.status = s.status;
          st.textContent = (window.KEFU_STATUS || {})[s.status] || s.status;
        }
        if (here === null && inboxPage) refreshInbox();
      } else if (kind === "resync") {
        if (here === null && inboxPage) refreshInbox();
      }
    });
  }
  var refreshing = false, again = false;
  function refreshInbox() { refresh("inbox"); }
  // Fetches the page again and puts its fresh table (`id`) in place of the shown one. An
  // event that comes while a fetch is on its way asks for one more after it: the page may
  // have been read before that event's change.
  function refresh(id) {
    if (refreshing) { again = true; return; }
    refreshing = true;
    again = false;
    setTimeout(function () {
      fetch(location.href, { headers: { Accept: "text/html" } }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        // The table, or its empty state (`id-empty`), as the server shows it now.
        var fresh = doc.getElementById(id) || doc.getElementById(id + "-empty");
        var old = document.getElementById(id) || document.getElementById(id + "-empty");
        // The table changes, appears or empties: whatever the server shows now replaces it
        // in place (a reload would drop the live stream, and the events while it reconnects).
        if (fresh && old) old.replaceWith(fresh);
        else if (fresh !== old) location.reload();
        rows = Array.prototype.slice.call(document.querySelectorAll("#inbox tr.row"));
        tick();
        localTimes();
        refreshing = false;
        if (again) refresh(id);
      }).catch(function () { refreshing = false; });
    }, 300);
  }
})();
