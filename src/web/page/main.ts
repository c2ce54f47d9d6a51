// The web page's entry: the login form, then the room (a Visit), the tab title, and the page's words in its language.

import { humanLine, type View } from "../../core/screen/render.ts";
import { checkName, checkRoom, DEFAULT_ROOM } from "../../core/wire/protocol.ts";
import { hexOf, PAGE_WORDS, titleFor } from "./logic.ts";
import { TabCompletion } from "./tab.ts";
import { RoomView } from "./view.ts";
import { Visit } from "./visit.ts";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  login: byId<HTMLFormElement>("login"),
  name: byId<HTMLInputElement>("name"),
  alert: byId<HTMLElement>("alert"),
  status: byId<HTMLElement>("status"),
  room: byId<HTMLElement>("room"),
  heading: byId<HTMLElement>("heading"),
  log: byId<HTMLElement>("log"),
  members: byId<HTMLElement>("members"),
  say: byId<HTMLFormElement>("say"),
  message: byId<HTMLInputElement>("message"),
};

const lang = navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
const words = PAGE_WORDS[lang];
/** Drawn once per page load: the same member across reconnects; a reload is a new client run. */
const client = hexOf(crypto.getRandomValues(new Uint8Array(8)));
const asked = checkRoom(new URLSearchParams(location.search).get("room") ?? DEFAULT_ROOM);
const room = "name" in asked ? asked.name : undefined;

const view: View = { json: false, color: false, lang, ...(room !== undefined && room !== DEFAULT_ROOM ? { room } : {}) };
// The human line alone: the page never writes JSON lines, so their code stays out of its bundle.
const roomView = new RoomView(ui.log, ui.members, view, (item, history) => humanLine(item, view, history));
let visit: Visit | undefined;
let unread = 0;

function translate(): void {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll<HTMLElement>("[data-word]")) {
    el.textContent = words[el.dataset.word as "name" | "join" | "message" | "send" | "members"];
  }
  ui.log.setAttribute("aria-label", words.transcript);
  ui.heading.textContent = room ?? "chat";
}

function alert(text: string): void {
  ui.alert.textContent = text;
}

function showRoom(inRoom: boolean): void {
  ui.login.hidden = inRoom;
  ui.room.hidden = !inRoom;
  (inRoom ? ui.message : ui.name).focus();
}

function updateTitle(): void {
  document.title = titleFor(visit ? room : undefined, unread);
}

ui.login.addEventListener("submit", (event) => {
  event.preventDefault();
  if (visit || room === undefined) return;
  const checked = checkName(ui.name.value.trim());
  if ("problem" in checked) return alert(checked.problem);
  alert("");
  roomView.clear();
  ui.login.querySelector("button")!.disabled = true;
  visit = new Visit({ name: checked.name, room, client }, roomView, view, {
    joined: () => {
      alert("");
      showRoom(true);
      updateTitle();
    },
    status: (text) => (ui.status.textContent = text),
    alert,
    shown: (history) => {
      if (document.hidden && !history) unread++;
      updateTitle();
    },
    ended: (how) => {
      visit = undefined;
      ui.login.querySelector("button")!.disabled = false;
      ui.status.textContent = how === "left" || how === "undelivered" ? words.left : "";
      showRoom(false);
      updateTitle();
    },
  });
});

const tabs = new TabCompletion(() => roomView.names());
ui.message.addEventListener("keydown", (event) => {
  if (event.key !== "Tab" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
  const done = tabs.tab({ value: ui.message.value, cursor: ui.message.selectionStart ?? ui.message.value.length });
  if (!done) return; // nothing to complete: Tab moves on, as keyboard users expect
  event.preventDefault();
  ui.message.value = done.value;
  ui.message.setSelectionRange(done.cursor, done.cursor);
});

ui.say.addEventListener("submit", (event) => {
  event.preventDefault();
  if (visit?.typed(ui.message.value)) ui.message.value = "";
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) unread = 0;
  updateTitle();
});
window.addEventListener("pagehide", () => visit?.abandon());

translate();
if ("problem" in asked) {
  alert(asked.problem);
  ui.login.querySelector("button")!.disabled = true;
}
ui.name.focus();
