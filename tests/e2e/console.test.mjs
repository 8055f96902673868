// The seed scenarios, done by clicking in the console (headless Chromium), against the local
// stack that scripts/e2e starts. Data is seeded through the public API, as an identity
// protection system and an automated investigation would send it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const base = process.env.RF_BASE_URL;
const admin = process.env.RF_TOKEN_ADMIN;
const reader = process.env.RF_TOKEN_READER;
const shots = process.env.RF_SCREENSHOTS;
const run = Date.now().toString(36);

let browser;

async function call(method, path, body, token = admin) {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitProcessed(feedbackId) {
  for (let i = 0; i < 100; i++) {
    const feedback = await call("GET", `/feedback/${feedbackId}`);
    if (feedback.state !== "queued" && feedback.state !== "processing") return feedback;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`feedback ${feedbackId} never completed`);
}

function detection(id, user, signIn, extra = {}) {
  return {
    id,
    userId: user,
    userPrincipalName: `${user}@contoso.com`,
    riskEventType: "unfamiliarFeatures",
    riskLevel: "high",
    detectionTimingType: "realtime",
    source: "IdentityProtection",
    detectedDateTime: "2026-11-20T08:00:00Z",
    signIn: signIn && {
      id: signIn,
      createdDateTime: "2026-11-20T08:00:00Z",
      ipAddress: "203.0.113.7",
      location: "Lisbon, PT",
      appDisplayName: "Office 365",
      riskLevelDuringSignIn: "high",
    },
    ...extra,
  };
}

/** A fresh page signed in with `token`, at `path` of the console. */
async function open(path, token = admin) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(`${base}/console/#token=${encodeURIComponent(token)}`);
  await page.waitForSelector("h1");
  await page.goto(`${base}/console/#${path}`);
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

const users = {
  dismiss: `dismiss-${run}`,
  compromised: `compromised-${run}`,
  signIn: `signin-${run}`,
};

const apps = { compromised: `app-compromised-${run}`, dismissed: `app-dismissed-${run}` };

/** A service principal's detection in Graph's own shape, as Entra exports it. */
function appDetection(app, n) {
  return {
    "@odata.type": "#microsoft.graph.servicePrincipalRiskDetection",
    id: `spd${n}-${run}`,
    riskEventType: "investigationsThreatIntelligence",
    riskState: "atRisk",
    riskLevel: "high",
    riskDetail: "none",
    source: "IdentityProtection",
    detectionTimingType: "offline",
    activity: "servicePrincipal",
    detectedDateTime: "2026-11-20T08:00:00Z",
    servicePrincipalId: app,
    servicePrincipalDisplayName: `Payroll sync ${n}`,
    appId: `appid-${n}-${run}`,
    keyIds: [`key-${n}-${run}`],
  };
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.RF_CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const ingested = await call("POST", "/risk-detections", {
    detections: [
      detection(`d1-${run}`, users.dismiss, `s1-${run}`),
      detection(`d2-${run}`, users.compromised, `s2-${run}`),
      detection(`d3-${run}`, users.signIn, `s3-${run}`, { evidence: { ipAddress: "198.51.100.9" } }),
      detection(`d4-${run}`, users.signIn, null, { riskEventType: "leakedCredentials", detectionTimingType: "offline" }),
    ],
  });
  await waitProcessed(ingested.id);
  const ingestedApps = await call("POST", "/risk-detections", {
    value: [appDetection(apps.compromised, 1), appDetection(apps.dismissed, 2)],
  });
  await waitProcessed(ingestedApps.id);
  await call("POST", "/remediation-actions", {
    actions: [
      { id: `a-done-${run}`, investigationId: `inv-${run}`, actionType: "quarantineFile",
        entity: { type: "file", id: `f-${run}`, displayName: "invoice.pdf" }, status: "completed",
        createdDateTime: "2026-11-20T10:00:00Z" },
      { id: `a-pending-${run}`, investigationId: `inv-${run}`, actionType: "isolateDevice",
        entity: { type: "device", id: `dev-${run}`, displayName: "laptop-7" }, status: "pending",
        createdDateTime: "2026-11-20T10:01:00Z" },
    ],
  });
});

after(async () => {
  await browser?.close();
});

test("Dismiss user risk: a preview, a warning that it cannot be undone, then the processing state until done", async () => {
  const page = await open(`/risky-users`);
  await page.getByRole("checkbox", { name: `Select ${users.dismiss}` }).check();
  await shot(page, "risky-users");
  await page.getByRole("button", { name: "Dismiss user risk" }).first().click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("cannot be undone").waitFor();
  await dialog.getByText("Teaches nothing").waitFor();
  await dialog.getByRole("cell", { name: users.dismiss }).waitFor();
  await dialog.getByRole("button", { name: "Dismiss user risk" }).click();
  await page.getByRole("status").getByText("Dismiss user risk: completed").waitFor({ timeout: 20000 });
  const row = page.getByRole("row", { name: new RegExp(users.dismiss) });
  await row.getByRole("cell", { name: "dismissed", exact: true }).waitFor();
  await page.close();
});

test("Confirm user compromised from the user's page", async () => {
  const page = await open(`/risky-users/${users.compromised}`);
  await page.getByRole("button", { name: "Confirm user compromised" }).first().click();
  await page.getByRole("dialog").getByRole("button", { name: "Confirm user compromised" }).click();
  await page.getByText(/risk state confirmedCompromised/).waitFor({ timeout: 20000 });
  await shot(page, "user-detail");
  await page.close();
});

test("Risky service principals: dismiss one from the list, confirm another compromised from its page", async () => {
  const page = await open(`/risky-service-principals`);
  await page.getByRole("checkbox", { name: `Select ${apps.dismissed}` }).check();
  await page.getByRole("button", { name: "Dismiss risk" }).first().click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("cell", { name: apps.dismissed }).waitFor();
  await dialog.getByRole("button", { name: "Dismiss risk" }).click();
  await page.getByRole("status").getByText("Dismiss risk: completed").waitFor({ timeout: 20000 });
  await page.getByRole("row", { name: /Payroll sync 2/ }).getByRole("cell", { name: "dismissed", exact: true }).waitFor();
  await shot(page, "risky-service-principals");
  await page.getByRole("link", { name: "Payroll sync 1" }).click();
  await page.getByRole("heading", { name: "Service principal Payroll sync 1" }).waitFor();
  await page.getByRole("cell", { name: `key-1-${run}` }).waitFor();
  await page.getByRole("button", { name: "Confirm compromised" }).first().click();
  await page.getByRole("dialog").getByRole("button", { name: "Confirm compromised" }).click();
  await page.getByText(/risk state confirmedCompromised \(adminConfirmedServicePrincipalCompromised\)/).waitFor({ timeout: 20000 });
  await page.getByRole("cell", { name: "adminConfirmedServicePrincipalCompromised", exact: false }).first().waitFor();
  await shot(page, "service-principal-detail");
  await page.close();
});

test("Confirm sign-in safe on the Risky sign-ins page; detections without a sign-in are listed too", async () => {
  const page = await open(`/risky-signins?userId=${users.signIn}`);
  await page.getByRole("checkbox", { name: `Select s3-${run}` }).check();
  await page.getByRole("button", { name: "Confirm sign-in safe" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("become familiar for its user").waitFor();
  await dialog.getByRole("cell", { name: "learns 203.0.113.0/24; learns Lisbon, PT" }).waitFor();
  await dialog.getByRole("button", { name: "Confirm sign-in safe" }).click();
  await page.getByRole("status").getByText("Confirm sign-in safe: completed").waitFor({ timeout: 20000 });
  await page.getByRole("row", { name: new RegExp(`s3-${run}`) }).getByRole("cell", { name: "confirmedSafe" }).waitFor();
  await shot(page, "risky-signins");
  await page.goto(`${base}/console/#/risk-detections?userId=${users.signIn}`);
  await page.getByRole("row", { name: new RegExp(`d4-${run}`) }).getByText("not linked to a sign-in").waitFor();
  await shot(page, "risk-detections");
  await page.close();
});

test("What feedback taught: the user page lists familiar contexts and what they judged safe, and Forget undoes one", async () => {
  const ingested = await call("POST", "/risk-detections", { detections: [detection(`d5-${run}`, users.signIn, `s5-${run}`)] });
  await waitProcessed(ingested.id);
  const page = await open(`/risky-users/${users.signIn}`);
  await page.getByRole("row", { name: new RegExp(`d5-${run}`) }).getByText("familiar network 203.0.113.0/24").waitFor();
  const network = page.getByRole("row", { name: /^203\.0\.113\.0\/24 network/ });
  await network.getByRole("cell", { name: "1", exact: true }).waitFor();
  await shot(page, "familiar-contexts");
  await page.getByRole("button", { name: "Forget 203.0.113.0/24" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("will raise this user's risk again").waitFor();
  await dialog.getByRole("button", { name: "Forget" }).click();
  await page.getByRole("status").getByText("Forget 203.0.113.0/24: completed").waitFor({ timeout: 20000 });
  await page.getByRole("button", { name: "Forget 203.0.113.0/24" }).waitFor({ state: "detached" });
  await page.getByRole("cell", { name: /forgot 203\.0\.113\.0\/24/ }).waitFor();
  await page.getByRole("button", { name: "Forget Lisbon, PT" }).waitFor();
  await page.close();
});

test("Confirm sign-in compromised says what it teaches and can block the sign-in's address in the same call", async () => {
  const user = `attacked-${run}`;
  const attacker = detection(`d6-${run}`, user, `s6-${run}`);
  attacker.signIn.ipAddress = "192.0.2.66";
  const ingested = await call("POST", "/risk-detections", { detections: [attacker] });
  await waitProcessed(ingested.id);
  const page = await open(`/risky-signins?userId=${user}`);
  await page.getByRole("checkbox", { name: `Select s6-${run}` }).check();
  await page.getByRole("button", { name: "Confirm sign-in compromised" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("stop being familiar").waitFor();
  await dialog.getByRole("checkbox", { name: /Also block each sign-in's IP address/ }).check();
  await dialog.getByRole("button", { name: "Confirm sign-in compromised" }).click();
  await page.getByRole("status").getByText("Confirm sign-in compromised: completed").waitFor({ timeout: 20000 });
  await page.goto(`${base}/console/#/indicators`);
  await page.getByRole("row", { name: /192\.0\.2\.66/ }).getByRole("cell", { name: "block", exact: true }).waitFor();
  await page.close();
});

test("Reset password from the user's page: the command goes to the executor and the Action center shows it waiting", async () => {
  const page = await open(`/risky-users/${users.signIn}`);
  await page.getByRole("button", { name: "Reset password" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("sets a temporary password").waitFor();
  await dialog.getByRole("button", { name: "Reset password" }).click();
  await page.getByRole("status").getByText("Reset password: sent to the executor for 1 user(s)").waitFor({ timeout: 20000 });
  await page.goto(`${base}/console/#/action-center`);
  await page.getByRole("heading", { name: "Action center" }).waitFor();
  const row = page.getByRole("row", { name: new RegExp(`resetPassword user ${users.signIn}`) });
  await row.getByText(/waiting for the executor/).waitFor();
  await shot(page, "action-center-admin-action");
  await page.close();
});

test("Confirm user compromised can revoke the user's sessions in the same call", async () => {
  const user = `revoked-${run}`;
  const ingested = await call("POST", "/risk-detections", { detections: [detection(`d7-${run}`, user, `s7-${run}`)] });
  await waitProcessed(ingested.id);
  const page = await open(`/risky-users/${user}`);
  await page.getByRole("button", { name: "Confirm user compromised" }).first().click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("checkbox", { name: "Revoke sessions" }).check();
  await dialog.getByRole("button", { name: "Confirm user compromised" }).click();
  await page.getByText(/risk state confirmedCompromised/).waitFor({ timeout: 20000 });
  const actions = await call("GET", `/remediation-actions?view=pending`);
  assert.ok(actions.value.some((a) => a.actionType === "revokeSessions" && a.entity.id === user), JSON.stringify(actions));
  await page.close();
});

test("Action center: approve a pending action; undo a completed one with a reason", async () => {
  const page = await open(`/action-center`);
  const pending = page.getByRole("row", { name: /laptop-7/ });
  await pending.getByRole("button", { name: "Approve" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
  await page.getByRole("status").getByText("Approve: done.").waitFor();
  await shot(page, "action-center-pending");
  await page.getByRole("tab", { name: "History" }).click();
  await page.getByRole("checkbox", { name: `Select a-done-${run}` }).check();
  await page.getByRole("button", { name: "Undo" }).click();
  await page.getByLabel("Reason (required)").fill("false positive: the invoice is genuine");
  await page.getByRole("dialog").getByRole("button", { name: "Undo" }).click();
  await page.getByRole("status").getByText("Undo: requested for 1 action(s).").waitFor();
  await page.getByRole("row", { name: new RegExp(`invoice.pdf`) }).getByRole("cell", { name: "undoRequested" }).waitFor();
  await shot(page, "action-center-history");
  const stored = await call("GET", `/remediation-actions/a-done-${run}`);
  assert.equal(stored.undo.reason, "false positive: the invoice is genuine");
  await page.close();
});

test("Add allow indicator, and a refused one shows its problem readably", async () => {
  const page = await open(`/indicators`);
  await page.getByLabel("Type").selectOption("ipAddress");
  await page.getByLabel("Value").fill("not an address");
  await page.getByLabel("Title").fill(`bad ${run}`);
  await page.getByRole("button", { name: "Add indicator" }).click();
  const problem = page.getByRole("alert");
  await problem.getByText("Invalid request").waitFor();
  await problem.getByText(/indicatorValue/).waitFor();
  await page.getByLabel("Value").fill("198.51.100.9");
  await page.getByLabel("Title").fill(`VPN egress ${run}`);
  await page.getByRole("button", { name: "Add indicator" }).click();
  await page.getByRole("row", { name: new RegExp(`VPN egress ${run}`) }).waitFor();
  await shot(page, "indicators");
  await page.close();
});

test("Report false positive on a detection with its item; Detection quality charts precision", async () => {
  const page = await open(`/risk-detections?userId=${users.compromised}`);
  await page.getByRole("checkbox", { name: `Select d2-${run}` }).check();
  await page.getByRole("button", { name: "Report false positive" }).click();
  await page.getByRole("heading", { name: "Report a false positive or negative" }).waitFor();
  assert.equal(await page.getByLabel("Detection ids (optional, comma-separated)").inputValue(), `d2-${run}`);
  await page.getByLabel("Item type").selectOption("file");
  await page.getByLabel("fileSha256").fill("a".repeat(64));
  await page.getByRole("button", { name: "Submit" }).click();
  await page.getByRole("status").getByText(/^Submission .* recorded\.$/).waitFor();
  await shot(page, "submissions");
  await page.goto(`${base}/console/#/detection-quality`);
  const chart = page.getByRole("img", { name: /Precision per detection type: .*unfamiliarFeatures/ });
  await chart.waitFor();
  await shot(page, "detection-quality");
  await page.close();
});

test("A reader sees the lists but no action is enabled", async () => {
  const page = await open(`/risky-users`, reader);
  await page.getByRole("heading", { name: "Risky users" }).waitFor();
  for (const name of ["Confirm user compromised", "Confirm user safe", "Dismiss user risk"]) {
    assert.equal(await page.getByRole("button", { name }).first().isDisabled(), true, name);
  }
  await page.goto(`${base}/console/#/action-center?tab=history`);
  await page.getByRole("tab", { name: "History" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Undo" }).isDisabled(), true);
  await page.close();
});

test("Everything is reachable from the keyboard", async () => {
  const page = await open(`/risky-users`);
  await page.getByRole("heading", { name: "Risky users" }).waitFor();
  const reached = new Set();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    reached.add(await page.evaluate(() => document.activeElement?.textContent?.trim() || document.activeElement?.getAttribute("aria-label")));
  }
  for (const name of ["Risky users", "Action center", "Dismiss user risk", "Apply filters"]) {
    assert.ok(reached.has(name), `${name} not reached by Tab: ${[...reached].join(" | ")}`);
  }
  await page.close();
});

test("Deployed sign-in: authorization code with PKCE at the identity provider config.json names", async () => {
  const { createServer } = await import("node:http");
  const { createHash } = await import("node:crypto");
  const issued = new Map();
  const provider = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const cors = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type" };
    if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
    if (url.pathname === "/.well-known/openid-configuration") {
      const origin = `http://127.0.0.1:${provider.address().port}`;
      res.writeHead(200, { ...cors, "Content-Type": "application/json" });
      return res.end(JSON.stringify({ authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token` }));
    }
    if (url.pathname === "/authorize") {
      assert.equal(url.searchParams.get("client_id"), "console-client");
      assert.equal(url.searchParams.get("code_challenge_method"), "S256");
      const code = `code-${run}`;
      issued.set(code, url.searchParams.get("code_challenge"));
      const back = new URL(url.searchParams.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state"));
      return res.writeHead(302, { Location: back.toString() }).end();
    }
    if (url.pathname === "/token") {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        const challenge = createHash("sha256").update(form.get("code_verifier") || "").digest("base64url");
        const ok = issued.get(form.get("code")) === challenge;
        res.writeHead(ok ? 200 : 400, { ...cors, "Content-Type": "application/json" });
        res.end(JSON.stringify(ok ? { access_token: reader, token_type: "Bearer" } : { error: "invalid_grant" }));
      });
      return;
    }
    res.writeHead(404, cors).end();
  });
  await new Promise((resolve) => provider.listen(0, "127.0.0.1", resolve));
  const page = await browser.newPage();
  await page.route("**/console/config.json", (route) =>
    route.fulfill({
      json: { apiUrl: "", oidc: { authority: `http://127.0.0.1:${provider.address().port}`, clientId: "console-client", scope: "openid" } },
    }),
  );
  await page.goto(`${base}/console/`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Risky users" }).waitFor();
  await page.getByText("Rey Reader · contoso · Risk.Read").waitFor();
  await page.close();
  provider.close();
});
