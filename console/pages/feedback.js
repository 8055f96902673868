// Giving feedback on users or sign-ins, as the seed documents describe it: select, pick the
// action, see what it would change (a dry run), confirm, then watch the risk processing state
// until the service has recomputed the risk offline.

import { api, attempt, can, confirmDialog, el, say, table, untilProcessed } from "../app.js";

// What each action teaches (SPEC 3a), said before the analyst confirms it.
export const USER_ACTIONS = [
  {
    label: "Confirm user compromised",
    path: "/risky-users/confirm-compromised",
    teaches: "Teaches: the places and networks of the user's sign-ins at risk stop being familiar, and learning mode ends.",
    thenOption: true,
  },
  {
    label: "Confirm user safe",
    path: "/risky-users/confirm-safe",
    teaches:
      "Teaches: everything familiar for the user is forgotten and learning mode starts: for the deployment's learning days (14 by default), detections judged by network or location are judged safe, and their networks and places become familiar.",
  },
  {
    label: "Dismiss user risk",
    path: "/risky-users/dismiss",
    warning: "Dismissing a user's risk cannot be undone: their risk history stays, but the risk is closed.",
    teaches: "Teaches nothing: similar sign-ins keep being evaluated.",
  },
];

export const SIGN_IN_ACTIONS = [
  {
    label: "Confirm sign-in safe",
    path: "/risky-signins/confirm-safe",
    teaches:
      "Teaches: each sign-in's network (its /24 or /48) and place become familiar for its user, so later detections judged by network or location from them are judged safe. Credential and token detections are never taught away. The user's page lists what was learned, with Forget.",
  },
  {
    label: "Confirm sign-in compromised",
    path: "/risky-signins/confirm-compromised",
    teaches: "Teaches: the networks and places these sign-ins come from stop being familiar for their users.",
    blockOption: true,
    thenOption: true,
  },
  {
    label: "Dismiss sign-in risk",
    path: "/risky-signins/dismiss",
    teaches: "Teaches nothing: similar sign-ins keep being evaluated.",
  },
];

/** A familiar context as an analyst reads it: its network, or its place. */
export function contextLabel(c) {
  return c.network || [c.city, c.countryOrRegion].filter(Boolean).join(", ");
}

function teachings(target) {
  const learned = (target.learnedContexts || []).map((c) => `learns ${contextLabel(c)}`);
  const forgotten = (target.forgottenContexts || []).map((c) => `forgets ${contextLabel(c)}`);
  return [...learned, ...forgotten].join("; ") || "nothing";
}

function snapshot(s) {
  if (!s) return "—";
  return `${s.user.riskLevel} / ${s.user.riskState}`;
}

/**
 * Runs one feedback action on the ids `selected()` returns (userIds or signInIds), then calls
 * `done()` so the page can show the new state.
 */
export async function giveFeedback(action, field, selected, done) {
  const ids = selected();
  if (ids.length === 0) {
    say("Select at least one row first.");
    return;
  }
  const comment = document.getElementById("feedback-comment")?.value || undefined;
  const body = { [field]: ids, comment };
  await attempt(async () => {
    say(`Previewing ${action.label}…`);
    const preview = await api("POST", `${action.path}?dryRun=true`, body);
    say("");
    const rows = table(
      "What would change",
      [
        { title: "Target", cell: (t) => t.id },
        { title: "Result", cell: (t) => t.result },
        { title: "User before", cell: (t) => snapshot(t.before) },
        { title: "User after", cell: (t) => snapshot(t.after) },
        { title: "Familiar contexts", cell: teachings },
      ],
      preview.targets,
    );
    const warning = action.warning ? el("p", { class: "problem" }, action.warning) : null;
    const teaches = action.teaches ? el("p", { class: "note" }, action.teaches) : null;
    const block = action.blockOption ? blockChoice() : null;
    const then = action.thenOption ? thenChoices() : null;
    const ok = await confirmDialog(`${action.label}: ${ids.length} selected`, [warning, teaches, block?.label, then?.group, rows], action.label);
    if (!ok) {
      say("Nothing was changed.");
      return;
    }
    if (block?.box.checked) body.blockIndicator = {};
    const chosen = then ? then.chosen() : [];
    if (chosen.length) body.then = chosen;
    const accepted = await api("POST", action.path, body);
    say(`${action.label}: processing…`);
    const final = await untilProcessed(accepted.id, (f) =>
      say(`${action.label}: ${f.state} (${f.targets.filter((t) => t.result !== "pending").length} of ${f.targets.length} targets done)`),
    );
    say(`${action.label}: ${final.state}.`);
    await done();
  });
}

/** The choice to block each compromised sign-in's address in the same call, all or nothing. */
function blockChoice() {
  const allowed = can("Indicators.Manage");
  const box = el("input", { type: "checkbox", disabled: !allowed });
  const label = el(
    "label",
    { class: "choice" },
    box,
    allowed
      ? " Also block each sign-in's IP address, tenant-wide (a block indicator)"
      : " Also block each sign-in's IP address (needs the Indicators.Manage role)",
  );
  return { box, label };
}

/** What the identity provider's executor can do to users (SPEC 3b), and what each does. */
export const ADMIN_ACTIONS = [
  {
    label: "Reset password",
    kind: "resetPassword",
    path: "/risky-users/reset-password",
    says: "The identity provider sets a temporary password and revokes the user's sessions. When its executor reports it done, the user's risk is remediated (adminGeneratedTemporaryPassword).",
  },
  {
    label: "Block user",
    kind: "disableUser",
    path: "/risky-users/block",
    says: "The identity provider disables the account. Undo it from the Action center's history (enableUser).",
  },
  {
    label: "Revoke sessions",
    kind: "revokeSessions",
    path: "/risky-users/revoke-sessions",
    says: "The identity provider revokes the user's sessions and refresh tokens.",
  },
];

/** The `then` choices of a confirm compromised: act on the users in the same call. */
function thenChoices() {
  const allowed = can("Remediation.Manage");
  const boxes = ADMIN_ACTIONS.map((a) => ({ kind: a.kind, box: el("input", { type: "checkbox", disabled: !allowed }) }));
  const group = el(
    "fieldset",
    { class: "choice" },
    el("legend", {}, allowed ? "Then, through the identity provider (all or nothing)" : "Then (needs the Remediation.Manage role)"),
    ADMIN_ACTIONS.map((a, i) => el("label", {}, boxes[i].box, ` ${a.label}`)),
  );
  return { group, chosen: () => boxes.filter((b) => b.box.checked).map((b) => b.kind) };
}

/** Runs one admin action on the selected users and says what the executor was sent. */
async function adminAction(action, selected, done) {
  const ids = selected();
  if (ids.length === 0) {
    say("Select at least one row first.");
    return;
  }
  const comment = el("input", { maxlength: "1000" });
  const ok = await confirmDialog(`${action.label}: ${ids.length} selected`, [
    el("p", { class: "note" }, action.says),
    el("label", {}, "Comment (optional)", comment),
  ], action.label);
  if (!ok) {
    say("Nothing was changed.");
    return;
  }
  await attempt(async () => {
    const answer = await api("POST", action.path, { userIds: ids, comment: comment.value || undefined });
    const sent = answer.value.filter((r) => r.action);
    const unknown = answer.value.filter((r) => r.result === "notFound").map((r) => r.userId);
    say(`${action.label}: sent to the executor for ${sent.length} user(s)${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}. The Action center shows its progress.`);
    await done();
  });
}

/** One button per admin action, for a page with a selection of users. */
export function adminToolbar(selected, done) {
  return el(
    "div",
    { class: "toolbar", role: "group", "aria-label": "Admin actions" },
    ADMIN_ACTIONS.map((action) =>
      el("button", {
        type: "button",
        class: "danger",
        disabled: !can("Remediation.Manage"),
        onclick: () => adminAction(action, selected, done),
      }, action.label),
    ),
  );
}

/** The comment box and one button per action, for a page with a selection. */
export function feedbackToolbar(actions, field, selected, done, enabled) {
  return el(
    "div",
    { class: "toolbar", role: "group", "aria-label": "Feedback" },
    el("label", {}, "Comment (optional)", el("input", { id: "feedback-comment", maxlength: "1000" })),
    actions.map((action) =>
      el(
        "button",
        {
          type: "button",
          class: action.warning ? "danger" : "primary",
          disabled: !enabled,
          onclick: () => giveFeedback(action, field, selected, done),
        },
        action.label,
      ),
    ),
  );
}

/** A select-all checkbox column and the selected ids of a table. */
export function selection(name) {
  const boxes = [];
  const column = {
    title: el("input", {
      type: "checkbox",
      "aria-label": `Select all ${name}`,
      onchange: (e) => boxes.forEach((b) => (b.checked = e.target.checked)),
    }),
    cell: (row) => {
      const box = el("input", { type: "checkbox", value: row.id, "aria-label": `Select ${row.id}` });
      boxes.push(box);
      return box;
    },
  };
  return { column, selected: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

/** "Processing" while the service recomputes a risk, "Done" after. */
export function processingState(row) {
  return row.isProcessing ? el("span", { class: "processing" }, "Processing") : "Done";
}

/** A `nextCursor` link for lists. */
export function nextPage(page, base, query) {
  if (!page.nextCursor) return null;
  const next = new URLSearchParams(query);
  next.set("cursor", page.nextCursor);
  return el("a", { href: `#${base}?${next}` }, "Next page");
}
