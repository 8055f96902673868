// The action center: pending actions to approve or reject, and the history of actions, where
// a completed one can be undone with a reason.

import { api, attempt, can, confirmDialog, el, go, pageQuery, say, show, table } from "../app.js";
import { nextPage, selection } from "./feedback.js";

export async function actionCenterPage(main) {
  const query = pageQuery();
  const tab = query.get("tab") === "history" ? "history" : "pending";
  const params = new URLSearchParams({ view: tab });
  if (query.get("cursor")) params.set("cursor", query.get("cursor"));
  const page = await api("GET", `/remediation-actions?${params}`);
  const manage = can("Remediation.Manage");
  const rerender = () => actionCenterPage(main);
  const pick = selection("actions");
  const tabButton = (name, label) =>
    el("button", {
      type: "button",
      role: "tab",
      "aria-selected": String(tab === name),
      onclick: () => go(`/action-center?tab=${name}`),
    }, label);
  const decide = (action, verb, label) =>
    el("button", {
      type: "button",
      class: verb === "reject" ? "danger" : "primary",
      disabled: !manage,
      onclick: () => decideAction(action, verb, label, rerender),
    }, label);
  const columns = [
    ...(tab === "history" ? [pick.column] : []),
    { title: "Action", cell: (a) => a.actionType },
    { title: "Entity", cell: (a) => `${a.entity.type} ${a.entity.displayName || a.entity.id}` },
    { title: "Investigation", cell: (a) => a.investigationId },
    { title: "Status", cell: (a) => a.status },
    { title: "Command", cell: commandProgress },
    { title: "Created", cell: (a) => a.createdDateTime },
    tab === "pending"
      ? { title: "Decide", cell: (a) => (a.status === "pending" ? el("span", { class: "toolbar" }, decide(a, "approve", "Approve"), decide(a, "reject", "Reject")) : "approved") }
      : { title: "Undo", cell: (a) => (a.undo ? `${a.undo.reason} (${a.undo.requestedBy.displayName || a.undo.requestedBy.id})` : "") },
  ];
  show(main, 
    el("h1", {}, "Action center"),
    el("div", { class: "tabs", role: "tablist", "aria-label": "Action center" },
      tabButton("pending", "Pending"), tabButton("history", "History")),
    tab === "history"
      ? el("div", { class: "toolbar" },
          el("button", {
            type: "button",
            class: "primary",
            disabled: !manage,
            onclick: () => undoActions(pick.selected(), rerender),
          }, "Undo"))
      : null,
    table(tab === "pending" ? "Pending actions" : "Action history", columns, page.value.map((a) => ({ ...a }))),
    nextPage(page, "/action-center", query),
  );
}

/** Where the executor's command stands: the action's own, then its undo's. */
function commandProgress(a) {
  const undo = a.undo && `${a.undo.command}: ${a.undo.commandSentDateTime ? `sent ${a.undo.commandSentDateTime}` : "not sent yet"}`;
  const run = a.dispatch && `${a.dispatch.command}: ${a.dispatch.sentDateTime ? `sent ${a.dispatch.sentDateTime}` : "not sent yet"}`;
  if (a.status === "approved") return `${run || "no command"}, waiting for the executor`;
  if (a.status === "expired") return `expired undecided${a.decidedBy?.reason ? `: ${a.decidedBy.reason}` : ""}`;
  return [run, undo].filter(Boolean).join("; ");
}

async function decideAction(action, verb, label, done) {
  const reason = el("input", { id: "decision-reason", maxlength: "1000" });
  const ok = await confirmDialog(`${label} ${action.actionType} on ${action.entity.type} ${action.entity.id}`, [
    el("label", {}, "Reason (optional)", reason),
  ], label);
  if (!ok) return;
  await attempt(async () => {
    await api("POST", `/remediation-actions/${encodeURIComponent(action.id)}/${verb}`, {
      reason: reason.value || undefined,
    });
    say(`${label}: done.`);
    await done();
  });
}

async function undoActions(ids, done) {
  if (ids.length === 0) {
    say("Select at least one action first.");
    return;
  }
  const reason = el("input", { id: "undo-reason", maxlength: "1000", required: true });
  const ok = await confirmDialog(`Undo ${ids.length} action(s)`, [
    el("p", {}, "The compensating command is sent to the system that executed each action."),
    el("label", {}, "Reason (required)", reason),
  ], "Undo");
  if (!ok) return;
  await attempt(async () => {
    const answer = await api("POST", "/remediation-actions/undo", { actionIds: ids, reason: reason.value });
    const refused = answer.value.filter((r) => r.problem);
    say(
      refused.length
        ? `Undo: ${answer.value.length - refused.length} requested; refused: ${refused.map((r) => `${r.id} (${r.problem.detail})`).join("; ")}`
        : `Undo: requested for ${answer.value.length} action(s).`,
    );
    await done();
  });
}
