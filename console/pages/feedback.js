// Giving feedback on users or sign-ins, as the seed documents describe it: select, pick the
// action, see what it would change (a dry run), confirm, then watch the risk processing state
// until the service has recomputed the risk offline.

import { api, attempt, confirmDialog, el, say, table, untilProcessed } from "../app.js";

export const USER_ACTIONS = [
  { label: "Confirm user compromised", path: "/risky-users/confirm-compromised" },
  { label: "Confirm user safe", path: "/risky-users/confirm-safe" },
  {
    label: "Dismiss user risk",
    path: "/risky-users/dismiss",
    warning: "Dismissing a user's risk cannot be undone: their risk history stays, but the risk is closed.",
  },
];

export const SIGN_IN_ACTIONS = [
  { label: "Confirm sign-in safe", path: "/risky-signins/confirm-safe" },
  { label: "Confirm sign-in compromised", path: "/risky-signins/confirm-compromised" },
  { label: "Dismiss sign-in risk", path: "/risky-signins/dismiss" },
];

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
      ],
      preview.targets,
    );
    const warning = action.warning ? el("p", { class: "problem" }, action.warning) : null;
    const ok = await confirmDialog(`${action.label}: ${ids.length} selected`, [warning, rows], action.label);
    if (!ok) {
      say("Nothing was changed.");
      return;
    }
    const accepted = await api("POST", action.path, body);
    say(`${action.label}: processing…`);
    const final = await untilProcessed(accepted.id, (f) =>
      say(`${action.label}: ${f.state} (${f.targets.filter((t) => t.result !== "pending").length} of ${f.targets.length} targets done)`),
    );
    say(`${action.label}: ${final.state}.`);
    await done();
  });
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
