// Risky users, and one user's sign-ins, detections and history.

import { api, attempt, can, confirmDialog, el, go, listQuery, pageQuery, placeName, say, show, table, untilProcessed } from "../app.js";
import {
  USER_ACTIONS,
  SIGN_IN_ACTIONS,
  adminToolbar,
  contextLabel,
  feedbackToolbar,
  nextPage,
  processingState,
  selection,
} from "./feedback.js";

export const LEVELS = ["", "low", "medium", "high", "none"];
export const STATES = ["", "atRisk", "confirmedCompromised", "confirmedSafe", "dismissed", "remediated", "none"];

export function filterSelect(label, name, values, current) {
  return el(
    "label",
    {},
    label,
    el(
      "select",
      { name },
      values.map((v) => el("option", { value: v, selected: v === current }, v || "any")),
    ),
  );
}

/** Filters that rewrite the page's address, so a filtered view can be bookmarked. */
export function filters(base, fields, query) {
  const form = el(
    "form",
    {
      class: "filters",
      onsubmit: (e) => {
        e.preventDefault();
        const next = new URLSearchParams();
        for (const [k, v] of new FormData(form)) if (v) next.set(k, v);
        go(`${base}?${next}`);
      },
    },
    fields,
    el("button", { type: "submit" }, "Apply filters"),
  );
  return form;
}

export async function usersPage(main) {
  const query = pageQuery();
  const params = listQuery(["riskLevel", "riskState", "cursor"]);
  const page = await api("GET", `/risky-users?${params}`);
  const pick = selection("users");
  const columns = [
    pick.column,
    { title: "User", cell: (u) => el("a", { href: `#/risky-users/${encodeURIComponent(u.id)}` }, u.userPrincipalName || u.id) },
    { title: "Risk level", cell: (u) => u.riskLevel },
    { title: "Risk state", cell: (u) => u.riskState },
    { title: "Risk detail", cell: (u) => u.riskDetail },
    { title: "Risk processing state", cell: processingState },
    { title: "Last updated", cell: (u) => u.riskLastUpdatedDateTime || "" },
  ];
  show(main, 
    el("h1", {}, "Risky users"),
    filters("/risky-users", [
      filterSelect("Risk level", "riskLevel", LEVELS, query.get("riskLevel") || ""),
      filterSelect("Risk state", "riskState", STATES, query.get("riskState") || ""),
    ], query),
    feedbackToolbar(USER_ACTIONS, "userIds", pick.selected, () => usersPage(main), can("Risk.Feedback")),
    adminToolbar(pick.selected, () => usersPage(main)),
    table("Risky users", columns, page.value),
    nextPage(page, "/risky-users", query),
  );
  refreshWhileProcessing(page.value, () => usersPage(main));
}

/** Re-renders every 2 s while something shown is still processing, without a manual refresh. */
export function refreshWhileProcessing(rows, rerender) {
  if (!rows.some((r) => r.isProcessing)) return;
  const shown = location.hash;
  setTimeout(() => {
    if (location.hash === shown && !document.querySelector("dialog[open]")) rerender();
  }, 2000);
}

export async function userPage(main, id) {
  const user = await api("GET", `/risky-users/${encodeURIComponent(id)}`);
  const signIns = await api("GET", `/risky-signins?userId=${encodeURIComponent(id)}`);
  const detections = await api("GET", `/risk-detections?userId=${encodeURIComponent(id)}`);
  const history = await api("GET", `/risky-users/${encodeURIComponent(id)}/history`);
  const familiar = await api("GET", `/risky-users/${encodeURIComponent(id)}/familiar-contexts`);
  const rerender = () => userPage(main, id);
  const signInPick = selection("sign-ins");
  show(main, 
    el("h1", {}, `User ${user.userPrincipalName || user.id}`),
    el(
      "p",
      {},
      `Risk level ${user.riskLevel}, risk state ${user.riskState} (${user.riskDetail}). `,
      "Risk processing state: ",
      processingState(user),
      user.requiredRemediation === "securePasswordReset" ? ". Secure password reset required." : ".",
    ),
    learningMode(user),
    feedbackToolbar(USER_ACTIONS, "userIds", () => [user.id], rerender, can("Risk.Feedback")),
    adminToolbar(() => [user.id], rerender),
    el("h2", {}, "What feedback taught"),
    familiarContexts(familiar.value, rerender),
    el("h2", {}, "Sign-ins"),
    feedbackToolbar(SIGN_IN_ACTIONS, "signInIds", signInPick.selected, rerender, can("Risk.Feedback")),
    table("The user's sign-ins", [
      signInPick.column,
      { title: "Sign-in", cell: (s) => s.id },
      { title: "When", cell: (s) => s.createdDateTime },
      { title: "IP address", cell: (s) => s.ipAddress || "" },
      { title: "Location", cell: (s) => placeName(s.location) },
      { title: "Risk level (aggregated)", cell: (s) => s.riskLevelAggregated },
      { title: "Risk state", cell: (s) => s.riskState },
      { title: "Risk processing state", cell: processingState },
    ], signIns.value),
    el("h2", {}, "Detections"),
    table("The user's detections", [
      { title: "Detection", cell: (d) => d.id },
      { title: "Type", cell: (d) => d.riskEventType },
      { title: "Level", cell: (d) => d.riskLevel },
      { title: "State", cell: (d) => d.riskState },
      { title: "Sign-in", cell: (d) => d.signInId || "not linked to a sign-in" },
      { title: "Judged safe by what feedback taught", cell: taughtBy },
    ], detections.value),
    el("h2", {}, "History"),
    historyTable("What changed the user's risk, newest first", history.value),
  );
  refreshWhileProcessing([user, ...signIns.value], rerender);
}

const CAUSES = {
  familiarNetwork: "familiar network",
  familiarLocation: "familiar place",
  learningMode: "learning mode",
};

function taughtBy(d) {
  if (!d.taughtBy) return "";
  const context = d.taughtBy.familiarContext;
  return context ? `${CAUSES[d.taughtBy.cause]} ${contextLabel(context)}` : CAUSES[d.taughtBy.cause];
}

/** A principal's history: who changed its risk, how, and to what. */
export function historyTable(caption, entries) {
  return table(caption, [
    { title: "When", cell: (h) => h.createdDateTime },
    { title: "By", cell: (h) => h.initiatedBy?.displayName || h.initiatedBy?.id || "" },
    { title: "What", cell: historyWhat },
    { title: "Risk after", cell: (h) => `${h.riskLevel} / ${h.riskState}` },
    { title: "Comment", cell: (h) => h.comment || "" },
  ], entries);
}

function historyWhat(h) {
  const detail = h.activity?.detail && h.activity.detail !== "none" ? ` (${h.activity.detail})` : "";
  const learned = (h.activity?.learnedContexts || []).map(contextLabel);
  const forgotten = (h.activity?.forgottenContexts || []).map(contextLabel);
  return [
    `${h.action}${detail}`,
    learned.length ? `learned ${learned.join(", ")}` : "",
    forgotten.length ? `forgot ${forgotten.join(", ")}` : "",
  ].filter(Boolean).join("; ");
}

function learningMode(user) {
  const until = user.learningUntilDateTime;
  if (!until || new Date(until) <= new Date()) return null;
  return el(
    "p",
    { class: "note" },
    `Learning mode until ${until}: detections of this user's sign-ins judged by network or location are judged safe, and their networks and places become familiar.`,
  );
}

/** The user's familiar contexts, each with Forget; expired ones are marked and match nothing. */
function familiarContexts(contexts, rerender) {
  if (contexts.length === 0) {
    return el("p", { class: "note" }, "Nothing is familiar for this user: confirming a sign-in safe teaches its network and place.");
  }
  const now = new Date();
  return table("Familiar networks and places: context-based detections from them are judged safe", [
    { title: "Context", cell: contextLabel },
    { title: "Kind", cell: (c) => (c.network ? "network" : "place") },
    {
      title: "Learned from",
      cell: (c) => `sign-in ${c.learnedFrom.signInId}${c.learnedFrom.learningMode ? " in learning mode" : `, confirmed safe by ${c.createdBy.displayName || c.createdBy.id}`}`,
    },
    { title: "Expires", cell: (c) => (new Date(c.expirationDateTime) <= now ? `expired ${c.expirationDateTime}` : c.expirationDateTime) },
    { title: "Detections judged safe", cell: (c) => String(c.hits) },
    { title: "Last judged safe", cell: (c) => c.lastHitDateTime || "" },
    {
      title: "Forget",
      cell: (c) =>
        el(
          "button",
          {
            type: "button",
            class: "danger",
            disabled: !can("Risk.Feedback"),
            "aria-label": `Forget ${contextLabel(c)}`,
            onclick: () => forget(c, rerender),
          },
          "Forget",
        ),
    },
  ], contexts);
}

async function forget(context, rerender) {
  const label = contextLabel(context);
  const ok = await confirmDialog(
    `Forget ${label}?`,
    el("p", {}, `Detections from ${label} will raise this user's risk again. The user's history records who forgot it.`),
    "Forget",
  );
  if (!ok) return;
  await attempt(async () => {
    const accepted = await api("DELETE", `/familiar-contexts/${encodeURIComponent(context.id)}`);
    const final = await untilProcessed(accepted.id, (f) => say(`Forget ${label}: ${f.state}`));
    say(`Forget ${label}: ${final.state}.`);
    await rerender();
  });
}
