"""Microsoft's Graph SDK for Python against riskfeedback's Graph-compatible surface (SPEC 8a).

A client no one here wrote, set up as its documentation says, with only its base URL changed:
what a security team's existing scripts would do. `scripts/graph-sdk` starts a local stack of
its own and runs this file with its URL and two tokens (RF_GRAPH_ANALYST_TOKEN,
RF_GRAPH_READER_TOKEN). Every check prints a line; the first that fails ends the run with 1.

What the SDK needs of a server, found while writing this: `Content-Type: application/json`,
collections as `{"value": [...]}`, an absolute `@odata.nextLink` on the host it called, and
errors in Graph's envelope. It sends no `Authorization` to a host its validator does not allow.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import urllib.request
from urllib.parse import quote, urlsplit

import msgraph
import msgraph_beta
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.identity_protection.risk_detections.risk_detections_request_builder import (
    RiskDetectionsRequestBuilder,
)
from msgraph.generated.identity_protection.risky_users.confirm_compromised.confirm_compromised_post_request_body import (
    ConfirmCompromisedPostRequestBody,
)
from msgraph.generated.identity_protection.risky_users.confirm_safe.confirm_safe_post_request_body import (
    ConfirmSafePostRequestBody,
)
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)
from msgraph.generated.identity_protection.risky_users.risky_users_request_builder import (
    RiskyUsersRequestBuilder,
)
from msgraph.generated.identity_protection.risky_service_principals.confirm_compromised.confirm_compromised_post_request_body import (
    ConfirmCompromisedPostRequestBody as ServicePrincipalsConfirmCompromisedBody,
)
from msgraph.generated.identity_protection.risky_service_principals.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody as ServicePrincipalsDismissBody,
)
from msgraph.generated.identity_protection.risky_service_principals.risky_service_principals_request_builder import (
    RiskyServicePrincipalsRequestBuilder,
)
from msgraph.generated.identity_protection.service_principal_risk_detections.service_principal_risk_detections_request_builder import (
    ServicePrincipalRiskDetectionsRequestBuilder,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.audit_logs.sign_ins.confirm_compromised.confirm_compromised_post_request_body import (
    ConfirmCompromisedPostRequestBody as SignInsConfirmCompromisedBody,
)
from msgraph_beta.generated.audit_logs.sign_ins.confirm_safe.confirm_safe_post_request_body import (
    ConfirmSafePostRequestBody as SignInsConfirmSafeBody,
)
from msgraph_core.tasks.page_iterator import PageIterator

URL = sys.argv[1].rstrip("/")
ANALYST = os.environ["RF_GRAPH_ANALYST_TOKEN"]
READER = os.environ["RF_GRAPH_READER_TOKEN"]
# Each run names its own users, so that a run can share a stack with another.
RUN = f"sdk{int(time.time() * 1000) % 10**9}"


class LocalToken(AccessTokenProvider):
    """The local stack's token, for the one host the stack listens on."""

    def __init__(self, token: str, host: str):
        self.token = token
        self.hosts = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri, additional_authentication_context=None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self.hosts


def client(sdk, token: str, version: str):
    """The SDK's client, as its documentation builds it, on the local stack's base URL. No
    trailing slash: the SDK's HTTP client adds one (and the server ignores the empty segment)."""
    provider = BaseBearerTokenAuthenticationProvider(LocalToken(token, urlsplit(URL).hostname))
    adapter = sdk.GraphRequestAdapter(provider)
    adapter.base_url = f"{URL}/graph/{version}"
    return sdk.GraphServiceClient(request_adapter=adapter)


def check(what: str, ok: bool, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if not ok else ""), flush=True)
    if not ok:
        sys.exit(1)


def name(value) -> str:
    """An SDK enum's wire name, or the value itself."""
    return getattr(value, "value", value)


def api(method: str, path: str, body=None):
    """The service's own API, for setting up and reading back what the SDK cannot."""
    request = urllib.request.Request(
        f"{URL}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {ANALYST}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def until(what: str, probe, seconds: float = 60):
    """Waits for offline processing: `probe` returns the value once it is ready, else None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = probe()
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
            value = None
        if value is not None:
            return value
        time.sleep(0.25)
    check(what, False, f"not within {seconds} s")


def user(n: int) -> str:
    return f"{RUN}-user-{n}"


def detection(n: int, level: str, day: int) -> dict:
    """A detection in Graph's own shape, as an export from Entra carries it."""
    return {
        "@odata.type": "#microsoft.graph.riskDetection",
        "id": f"{RUN}-d{n}",
        "requestId": f"{RUN}-si{n}",
        "correlationId": f"{RUN}-c{n}",
        "riskEventType": "unfamiliarFeatures",
        "riskState": "atRisk",
        "riskLevel": level,
        "riskDetail": "none",
        "source": "IdentityProtection",
        "detectionTimingType": "realtime",
        "activity": "signin",
        "tokenIssuerType": "AzureAD",
        "ipAddress": f"203.0.113.{n}",
        "location": {"city": "Lisbon", "state": "Lisboa", "countryOrRegion": "PT"},
        "activityDateTime": f"2026-12-0{day}T09:00:00Z",
        "detectedDateTime": f"2026-12-0{day}T09:00:05Z",
        "lastUpdatedDateTime": f"2026-12-0{day}T09:00:05Z",
        "userId": user(n),
        "userDisplayName": f"User {n}",
        "userPrincipalName": f"{user(n)}@contoso.com",
    }


def app(n: int) -> str:
    return f"{RUN}-app-{n}"


def app_detection(n: int) -> dict:
    """A service principal's detection in Graph's own shape."""
    return {
        "@odata.type": "#microsoft.graph.servicePrincipalRiskDetection",
        "id": f"{RUN}-spd{n}",
        "requestId": None,
        "correlationId": None,
        "riskEventType": "investigationsThreatIntelligence",
        "riskState": "atRisk",
        "riskLevel": "high",
        "riskDetail": "none",
        "source": "IdentityProtection",
        "detectionTimingType": "offline",
        "activity": "servicePrincipal",
        "tokenIssuerType": "AzureAD",
        "ipAddress": None,
        "location": None,
        "activityDateTime": "2026-12-01T00:00:00Z",
        "detectedDateTime": "2026-12-01T00:00:00Z",
        "lastUpdatedDateTime": "2026-12-01T00:00:00Z",
        "servicePrincipalId": app(n),
        "servicePrincipalDisplayName": f"Contoso App {n}",
        "appId": f"{RUN}-appid-{n}",
        "keyIds": [f"{RUN}-key-{n}"],
        "additionalInfo": "[{\"Key\":\"alertUrl\",\"Value\":null}]",
    }


def app_state_of(n: int) -> str:
    return api("GET", f"/risky-service-principals/{quote(app(n))}")["riskState"]


def state_of(n: int) -> str:
    return api("GET", f"/risky-users/{quote(user(n))}")["riskState"]


def becomes(n: int, state: str):
    until(f"{user(n)} becomes {state}", lambda: state if state_of(n) == state else None)


async def main():
    graph = client(msgraph, ANALYST, "v1.0")
    beta = client(msgraph_beta, ANALYST, "beta")
    reader = client(msgraph, READER, "v1.0")

    # Users 1-3 high, 4 medium, 5 low, each on a sign-in of its own, on days 1 to 5: posted as
    # the `value` of a Graph page, unchanged.
    levels = ["high", "high", "high", "medium", "low"]
    page = {"value": [detection(n, level, n) for n, level in enumerate(levels, start=1)]}
    api("POST", "/risk-detections", page)
    for n in range(1, 6):
        until(f"{user(n)} is at risk", lambda n=n: state_of(n) == "atRisk" or None)

    # Risky users, filtered and paged with $top; the rest by PageIterator.
    query = RiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters(
        filter=f"riskLevel eq 'high' and startswith(userPrincipalName, '{RUN}')", top=2
    )
    first = await graph.identity_protection.risky_users.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    check("a page holds at most $top users", len(first.value) <= 2, len(first.value))
    check(
        "the next link is absolute, on the host called",
        bool(first.odata_next_link) and first.odata_next_link.startswith(f"{URL}/graph/v1.0/"),
        first.odata_next_link,
    )
    seen = []

    def collect(item):
        seen.append(item)
        return True

    await PageIterator(first, graph.request_adapter).iterate(collect)
    check(
        "PageIterator collects every high-risk user across pages",
        sorted(u.id for u in seen) == [user(1), user(2), user(3)],
        [u.id for u in seen],
    )
    check("each is high", all(name(u.risk_level) == "high" for u in seen))

    # How many: `$count`, answered as text.
    total = await graph.identity_protection.risky_users.count.get()
    check("riskyUsers/$count counts every risky user", isinstance(total, int) and total >= 5, total)

    # One user, and its history.
    one = await graph.identity_protection.risky_users.by_risky_user_id(user(4)).get()
    check("one user by id", one.id == user(4) and name(one.risk_level) == "medium", one)
    check("with its principal name", one.user_principal_name == f"{user(4)}@contoso.com")
    history = await graph.identity_protection.risky_users.by_risky_user_id(user(4)).history.get()
    check("its history", len(history.value) >= 1, history.value)
    check(
        "names what raised the risk",
        "unfamiliarFeatures" in (history.value[0].activity.risk_event_types or []),
    )

    # Risk detections of one user within a time range.
    query = RiskDetectionsRequestBuilder.RiskDetectionsRequestBuilderGetQueryParameters(
        filter=(
            f"userId eq '{user(2)}' and detectedDateTime ge 2026-12-02T00:00:00Z"
            " and detectedDateTime le 2026-12-02T23:59:59Z"
        )
    )
    detections = await graph.identity_protection.risk_detections.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    check(
        "riskDetections filtered on userId and a detectedDateTime range",
        [d.id for d in detections.value] == [f"{RUN}-d2"],
        [d.id for d in detections.value],
    )
    d = detections.value[0]
    check("with Graph's requestId", d.request_id == f"{RUN}-si2", d.request_id)
    check("and its location", d.location is not None and d.location.city == "Lisbon")
    outside = RiskDetectionsRequestBuilder.RiskDetectionsRequestBuilderGetQueryParameters(
        filter=f"userId eq '{user(2)}' and detectedDateTime ge 2026-12-03T00:00:00Z"
    )
    none = await graph.identity_protection.risk_detections.get(
        request_configuration=RequestConfiguration(query_parameters=outside)
    )
    check("none outside the range", none.value == [], none.value)

    # The three actions, each applied offline.
    await graph.identity_protection.risky_users.confirm_compromised.post(
        ConfirmCompromisedPostRequestBody(user_ids=[user(1)])
    )
    becomes(1, "confirmedCompromised")
    check("confirmCompromised", True)
    await graph.identity_protection.risky_users.confirm_safe.post(
        ConfirmSafePostRequestBody(user_ids=[user(2)])
    )
    becomes(2, "confirmedSafe")
    check("confirmSafe", True)
    await graph.identity_protection.risky_users.dismiss.post(
        DismissPostRequestBody(user_ids=[user(3)])
    )
    becomes(3, "dismissed")
    check("dismiss", True)
    after = await graph.identity_protection.risky_users.by_risky_user_id(user(1)).get()
    check(
        "read back through the SDK",
        name(after.risk_state) == "confirmedCompromised" and name(after.risk_level) == "high",
        after,
    )

    # Beta's sign-in actions, by requestIds.
    await beta.audit_logs.sign_ins.confirm_safe.post(
        SignInsConfirmSafeBody(request_ids=[f"{RUN}-si4"])
    )
    await beta.audit_logs.sign_ins.confirm_compromised.post(
        SignInsConfirmCompromisedBody(request_ids=[f"{RUN}-si5"])
    )
    sign_in = lambda n: api("GET", f"/risky-signins/{RUN}-si{n}")["riskState"]
    until("beta confirmSafe", lambda: sign_in(4) == "confirmedSafe" or None)
    until("beta confirmCompromised", lambda: sign_in(5) == "confirmedCompromised" or None)
    check("beta auditLogs/signIns confirmSafe and confirmCompromised", True)

    # Risky service principals, from Graph's servicePrincipalRiskDetections shape.
    api("POST", "/risk-detections", {"value": [app_detection(1), app_detection(2)]})
    for n in (1, 2):
        until(f"{app(n)} is at risk", lambda n=n: app_state_of(n) == "atRisk" or None)
    query = RiskyServicePrincipalsRequestBuilder.RiskyServicePrincipalsRequestBuilderGetQueryParameters(
        filter=f"riskState eq 'atRisk' and startswith(displayName, 'Contoso App')"
    )
    apps = await graph.identity_protection.risky_service_principals.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    mine = sorted(a.id for a in apps.value if a.id.startswith(RUN))
    check("risky service principals listed", mine == [app(1), app(2)], mine)
    first = next(a for a in apps.value if a.id == app(1))
    check(
        "with Graph's names",
        first.display_name == "Contoso App 1" and first.app_id == f"{RUN}-appid-1"
        and name(first.risk_level) == "high",
        first,
    )
    query = ServicePrincipalRiskDetectionsRequestBuilder.ServicePrincipalRiskDetectionsRequestBuilderGetQueryParameters(
        filter=f"servicePrincipalId eq '{app(2)}'"
    )
    found = await graph.identity_protection.service_principal_risk_detections.get(
        request_configuration=RequestConfiguration(query_parameters=query)
    )
    check(
        "servicePrincipalRiskDetections of one",
        [d.id for d in found.value] == [f"{RUN}-spd2"] and found.value[0].key_ids == [f"{RUN}-key-2"],
        [d.id for d in found.value],
    )
    await graph.identity_protection.risky_service_principals.confirm_compromised.post(
        ServicePrincipalsConfirmCompromisedBody(service_principal_ids=[app(1)])
    )
    until(f"{app(1)} is confirmed compromised", lambda: app_state_of(1) == "confirmedCompromised" or None)
    await graph.identity_protection.risky_service_principals.dismiss.post(
        ServicePrincipalsDismissBody(service_principal_ids=[app(2)])
    )
    until(f"{app(2)} is dismissed", lambda: app_state_of(2) == "dismissed" or None)
    one = await graph.identity_protection.risky_service_principals.by_risky_service_principal_id(app(1)).get()
    check(
        "service principals' confirmCompromised and dismiss, read back",
        name(one.risk_state) == "confirmedCompromised"
        and name(one.risk_detail) == "adminConfirmedServicePrincipalCompromised",
        one,
    )

    # Refused calls come back as the SDK's ODataError, with Graph's code.
    try:
        await reader.identity_protection.risky_users.dismiss.post(
            DismissPostRequestBody(user_ids=[user(4)])
        )
        check("a reader may not dismiss", False, "accepted")
    except ODataError as e:
        check(
            "a reader may not dismiss: ODataError accessDenied",
            e.response_status_code == 403 and e.error.code == "accessDenied",
            (e.response_status_code, e.error.code if e.error else None),
        )
    try:
        query = RiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters(
            filter="riskLevel has 'high'"
        )
        await graph.identity_protection.risky_users.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        check("a filter the list cannot take is refused", False, "accepted")
    except ODataError as e:
        check(
            "a filter the list cannot take: ODataError invalidRequest, naming $filter",
            e.response_status_code == 400
            and e.error.code == "invalidRequest"
            and "$filter" in (e.error.message or ""),
            (e.response_status_code, e.error.code if e.error else None),
        )
    try:
        await graph.identity_protection.risky_users.by_risky_user_id(f"{RUN}-nobody").get()
        check("an unknown user is not found", False, "found")
    except ODataError as e:
        check(
            "an unknown user: ODataError itemNotFound",
            e.response_status_code == 404 and e.error.code == "itemNotFound",
            (e.response_status_code, e.error.code if e.error else None),
        )
    print("the Graph SDK passed", flush=True)


asyncio.run(main())
