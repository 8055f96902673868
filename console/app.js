// The console's shell: who is signed in, which page the address names, and the helpers every
// page uses to call the API and to show what it answered. Pages live in pages/*.js.

import { usersPage, userPage } from "./pages/users.js";
import { servicePrincipalsPage, servicePrincipalPage } from "./pages/service_principals.js";
import { signInsPage } from "./pages/signins.js";
import { detectionsPage } from "./pages/detections.js";
import { actionCenterPage } from "./pages/actions.js";
import { indicatorsPage } from "./pages/indicators.js";
import { submissionsPage } from "./pages/submissions.js";
import { qualityPage } from "./pages/quality.js";

const routes = [
  [/^\/risky-users$/, usersPage],
  [/^\/risky-users\/([^/]+)$/, userPage],
  [/^\/risky-service-principals$/, servicePrincipalsPage],
  [/^\/risky-service-principals\/([^/]+)$/, servicePrincipalPage],
  [/^\/risky-signins$/, signInsPage],
  [/^\/risk-detections$/, detectionsPage],
  [/^\/action-center$/, actionCenterPage],
  [/^\/indicators$/, indicatorsPage],
  [/^\/submissions$/, submissionsPage],
  [/^\/detection-quality$/, qualityPage],
];

// ---------------------------------------------------------------------------------------
// Who: a bearer token. Deployed, config.json names the identity provider the API's JWT
// authorizer trusts, and the console signs in there (authorization code with PKCE). Locally
// scripts/dev prints a console address carrying a token minted for tenant contoso
// (`#token=...`). Either way the token is kept for this tab only (sessionStorage).
// ---------------------------------------------------------------------------------------

const TOKEN_KEY = "riskfeedback.token";
const SIGN_IN_KEY = "riskfeedback.sign-in";

function takeTokenFromAddress() {
  const match = location.hash.match(/^#token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + "#/risky-users");
  }
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function discovery(oidc) {
  const url = `${oidc.authority.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the identity provider's ${url} answered ${response.status}`);
  return response.json();
}

function redirectUri() {
  return location.origin + location.pathname;
}

/** Sends the browser to the identity provider, remembering the PKCE verifier and state. */
async function signIn(oidc) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify({ verifier, state }));
  const provider = await discovery(oidc);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: oidc.clientId,
    redirect_uri: redirectUri(),
    scope: oidc.scope || "openid",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${provider.authorization_endpoint}?${query}`);
}

/** Back from the identity provider with `?code=`: trades the code for a token. */
async function finishSignIn(oidc) {
  const answer = new URLSearchParams(location.search);
  if (!answer.has("code") && !answer.has("error")) return;
  const saved = JSON.parse(sessionStorage.getItem(SIGN_IN_KEY) || "{}");
  sessionStorage.removeItem(SIGN_IN_KEY);
  history.replaceState(null, "", location.pathname + "#/risky-users");
  if (answer.has("error")) throw new Error(answer.get("error_description") || answer.get("error"));
  if (!saved.state || answer.get("state") !== saved.state) throw new Error("the sign-in answer does not match the request; sign in again");
  const provider = await discovery(oidc);
  const response = await fetch(provider.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: answer.get("code"),
      redirect_uri: redirectUri(),
      client_id: oidc.clientId,
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await response.json();
  if (!response.ok || !tokens.access_token) throw new Error(tokens.error_description || tokens.error || "sign-in failed");
  sessionStorage.setItem(TOKEN_KEY, tokens.access_token);
}

function claims() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return null;
  }
}

/** The roles the token carries (`roles`, or the space-separated `scp`). */
export function roles() {
  const c = claims();
  if (!c) return [];
  if (Array.isArray(c.roles)) return c.roles;
  return String(c.roles || c.scp || "").split(/[\s,]+/).filter(Boolean);
}

export function can(role) {
  return roles().includes(role);
}

// ---------------------------------------------------------------------------------------
// The API: same origin locally; deployed, config.json names it.
// ---------------------------------------------------------------------------------------

let apiBase = "";
let oidc = null;

/** An answer that is not 2xx, with its problem+json body when it has one. */
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(apiBase + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && oidc) {
    // Expired or revoked: the next page load signs in again.
    sessionStorage.removeItem(TOKEN_KEY);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new Problem(response.status, parsed);
  return parsed;
}

/** Polls a feedback until every target has its result; calls `progress` on each answer. */
export async function untilProcessed(feedbackId, progress) {
  for (let i = 0; i < 120; i++) {
    const feedback = await api("GET", `/feedback/${encodeURIComponent(feedbackId)}`);
    progress(feedback);
    if (feedback.state !== "queued" && feedback.state !== "processing") return feedback;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("still processing after a minute; the page shows it when it is done");
}

// ---------------------------------------------------------------------------------------
// Building pages: elements from data, never HTML from data.
// ---------------------------------------------------------------------------------------

// A Graph signInLocation as a person reads it: "Seattle, Washington, US".
export function placeName(location) {
  if (!location) return "";
  return [location.city, location.state, location.countryOrRegion].filter(Boolean).join(", ");
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A table of `rows`, with a header per column; `cell(row)` gives each cell. */
export function table(caption, columns, rows) {
  return el(
    "table",
    {},
    el("caption", { class: "note" }, caption),
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c.title)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => el("td", {}, c.cell(row)))))),
  );
}

/** A problem+json answer (or any error) as the analyst should read it. */
export function problemBox(error) {
  const body = error.body || {};
  const fields = (body.errors || []).map((e) => el("li", {}, `${e.field}: ${e.message}`));
  return el(
    "div",
    { class: "problem", role: "alert" },
    el("strong", {}, body.title || "Something went wrong"),
    " ",
    body.status ? `(${body.status}) ` : "",
    body.detail || error.message,
    fields.length ? el("ul", {}, fields) : null,
  );
}

/** Replaces what `node` shows, skipping absent parts (`null`, `false`). */
export function show(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

export function say(message) {
  document.getElementById("status").textContent = message;
}

/** Asks before doing something; resolves true on OK. */
export function confirmDialog(title, body, okLabel = "OK") {
  const dialog = document.getElementById("dialog");
  document.getElementById("dialog-title").textContent = title;
  const holder = document.getElementById("dialog-body");
  holder.replaceChildren(...(Array.isArray(body) ? body : [body]));
  document.getElementById("dialog-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

/** Runs an action, showing its problem (if any) at the top of the page. */
export async function attempt(work) {
  const main = document.getElementById("main");
  main.querySelectorAll(".problem").forEach((p) => p.remove());
  try {
    return await work();
  } catch (error) {
    main.prepend(problemBox(error));
    say("");
    return undefined;
  }
}

/** The query of the page's address (`#/page?a=1`). */
export function pageQuery() {
  const [, query = ""] = location.hash.slice(1).split("?");
  return new URLSearchParams(query);
}

/** The API query for a list page: the named parameters its address carries, as given. */
export function listQuery(keys) {
  const query = pageQuery();
  const params = new URLSearchParams();
  for (const k of keys) if (query.get(k)) params.set(k, query.get(k));
  return params;
}

export function go(path) {
  location.hash = "#" + path;
}

export function render() {
  const [path] = location.hash.slice(1).split("?");
  const main = document.getElementById("main");
  for (const link of document.querySelectorAll("nav a")) {
    const here = path.startsWith(link.getAttribute("href").slice(1));
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!claims()) {
    show(
      main,
      el("h1", {}, "Sign in"),
      oidc
        ? el("button", { type: "button", class: "primary", onclick: () => signIn(oidc).catch((e) => show(main, problemBox(e))) }, "Sign in")
        : el("p", {}, "Open the console address that scripts/dev prints; it carries a local token."),
    );
    return;
  }
  for (const [pattern, page] of routes) {
    const match = path.match(pattern);
    if (match) {
      // Each page draws into a view of its own: one that finishes loading (or reloading,
      // after an action) once the analyst has gone elsewhere draws into a detached view.
      const view = el("div", { class: "view" }, el("p", { class: "note" }, "Loading…"));
      main.replaceChildren(view);
      page(view, ...match.slice(1).map(decodeURIComponent)).catch((error) =>
        view.replaceChildren(problemBox(error)),
      );
      return;
    }
  }
  go("/risky-users");
}

async function start() {
  takeTokenFromAddress();
  try {
    const config = await fetch("config.json").then((r) => (r.ok ? r.json() : {}));
    apiBase = (config.apiUrl || "").replace(/\/$/, "");
    oidc = config.oidc && config.oidc.authority && config.oidc.clientId ? config.oidc : null;
    if (oidc) await finishSignIn(oidc);
  } catch (error) {
    say(`Sign-in failed: ${error.message}`);
  }
  const c = claims();
  document.getElementById("who").textContent = c
    ? `${c.name || c.oid} · ${c.tid} · ${roles().join(", ")}`
    : "not signed in";
  window.addEventListener("hashchange", render);
  render();
}

start();
