// The long-polling chat client (Tornado's demos/chat/static/chat.js without
// jQuery). The form posts through fetch with the _xsrf cookie as a form
// field; the updater keeps one POST /a/message/updates open, re-polls as soon
// as it is answered and backs off (from 500 ms, doubling) after errors.
"use strict";

function getCookie(name) {
  const m = document.cookie.match("\\b" + name + "=([^;]*)\\b");
  return m ? decodeURIComponent(m[1]) : undefined;
}

function formBody(fields) {
  const body = new URLSearchParams(fields);
  body.set("_xsrf", getCookie("_xsrf") || "");
  return body;
}

const updater = {
  errorSleepTime: 500,
  cursor: null,

  poll() {
    const fields = {};
    if (updater.cursor) fields.cursor = updater.cursor;
    fetch("/a/message/updates", { method: "POST", body: formBody(fields) })
      .then((r) => {
        if (!r.ok) throw new Error("updates: HTTP " + r.status);
        return r.json();
      })
      .then((response) => {
        updater.errorSleepTime = 500;
        response.messages.forEach(updater.showMessage);
        updater.poll();
      })
      .catch((err) => {
        updater.errorSleepTime *= 2;
        console.log("Poll error (" + err + "); sleeping for", updater.errorSleepTime, "ms");
        window.setTimeout(updater.poll, updater.errorSleepTime);
      });
  },

  showMessage(message) {
    updater.cursor = message.id;
    if (document.getElementById("m" + message.id)) return;
    const holder = document.createElement("div");
    holder.innerHTML = message.html;
    const node = holder.firstElementChild;
    node.style.display = "none";
    document.getElementById("inbox").appendChild(node);
    node.style.display = "";
  },
};

function newMessage(form) {
  const fields = new FormData(form);
  fields.delete("next");  // the server answers JSON, not a redirect
  fields.delete("_xsrf");
  const submit = form.querySelector("input[type=submit]");
  submit.disabled = true;
  fetch("/a/message/new", { method: "POST", body: formBody(fields) })
    .then((r) => {
      if (!r.ok) throw new Error("new message: HTTP " + r.status);
      return r.json();
    })
    .then((message) => {
      updater.showMessage(message);
      form.querySelector("#message").value = "";
    })
    .catch((err) => console.log(String(err)))
    .finally(() => {
      submit.disabled = false;
      form.querySelector("#message").focus();
    });
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("messageform");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    newMessage(form);
  });
  const messages = document.querySelectorAll("#inbox .message");
  if (messages.length) updater.cursor = messages[messages.length - 1].id.slice(1);
  updater.poll();
});
