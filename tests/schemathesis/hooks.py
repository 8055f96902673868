"""Schemathesis hooks for riskfeedback: the few places where a generated request is valid by the
document but could not be accepted by any correct server, each dropped only when the server's
answer says exactly that and the request shows it is so. Every other failure fails the run.

`schemathesis.toml` loads this file; `scripts/schemathesis` runs Schemathesis with it.
"""

from __future__ import annotations

import ast
import atexit
import json
import re
import sys
import threading
import unicodedata
from collections import Counter
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import schemathesis

# CPython 3.11 counts AST recursion depth in state shared between threads, so two threads turning
# source into an AST at once can make one of them fail with "AST constructor recursion depth
# mismatch" (python/cpython#106905). Hypothesis parses the source of lambdas to describe them,
# and `workers = 2` runs two threads: parse one at a time.
_AST_PARSE = ast.parse
_AST_PARSE_LOCK = threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):
    with _AST_PARSE_LOCK:
        return _AST_PARSE(*args, **kwargs)


ast.parse = _parse_one_at_a_time

# What this run has seen: the cursors the API issued, and the requests (route and body) sent
# under each Idempotency-Key. The run needs a stack of its own: keys from an earlier run, with
# other bodies, would be refused for reasons this file never saw.
ISSUED_CURSORS: set[str] = set()
BODIES_BY_KEY: dict[str, set[tuple]] = {}
INDEX = re.compile(r"\[\d+\]")
# The failures dropped, by operation and reason, printed at the end so that none goes unseen.
DROPPED: Counter = Counter()


@atexit.register
def _report_dropped():
    if DROPPED:
        print("\nFailures dropped by tests/schemathesis/hooks.py:", file=sys.stderr)
        for (operation, reason), count in sorted(DROPPED.items()):
            print(f"  {count:6}  {operation}: {reason}", file=sys.stderr)


@schemathesis.hook
def before_call(context, case, kwargs):
    # Before the request is sent, not after: with two workers, a request refused for reusing a
    # key can come back before the answer to the one that used it first.
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None:
        BODIES_BY_KEY.setdefault(key, set()).add(_request(case))


@schemathesis.hook
def after_call(context, case, response):
    try:
        body = response.json()
        cursor = body.get("nextCursor")
        link = body.get("@odata.nextLink")
    except Exception:  # not a JSON object: nothing issued
        return
    if isinstance(cursor, str):
        ISSUED_CURSORS.add(cursor)
    if isinstance(link, str):
        # The Graph surface's cursor travels in its next link, as `$skiptoken`.
        ISSUED_CURSORS.update(parse_qs(urlsplit(link).query).get("$skiptoken", []))


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False drops the failure: only a schema-valid request refused for one of these reasons."""
    if failure.code != "ST202":
        return True
    problem = _problem(response)
    errors = [(e.get("field", ""), e.get("message", "")) for e in problem.get("errors", [])]
    kind = problem.get("type")
    if kind == "/problems/idempotency-key-reused":
        # Schemathesis reuses the keys it generates (a shrunk key is often "0") with other
        # bodies; the API must refuse that (one key, one request).
        key = (case.headers or {}).get("Idempotency-Key")
        reused = bool(key and BODIES_BY_KEY.get(key, set()) - {_request(case)})
        return _keep(not reused, case, "Idempotency-Key reused with another body")
    if kind != "/problems/validation" or not errors:
        return True
    explained = all(_explained(field, message, case) for field, message in errors)
    reasons = sorted({f"{INDEX.sub('[i]', f)}: {m}" for f, m in errors})
    return _keep(not explained, case, "; ".join(reasons))


def _keep(keep: bool, case, reason: str) -> bool:
    if not keep:
        DROPPED[(f"{case.method} {case.path}", reason)] += 1
    return keep


def _explained(field: str, message: str, case) -> bool:
    """Whether a field error is one no document can prevent, and the request shows it."""
    query = case.query or {}
    if field in ("cursor", "$skiptoken") and message.startswith("is not a cursor this API issued"):
        # A cursor is opaque: one Schemathesis invents is refused, one a page gave is not.
        return (query.get("cursor") or query.get("$skiptoken")) not in ISSUED_CURSORS
    if field == "$filter":
        # OData's grammar, and the properties each Graph list filters on (named in words in
        # each list's description), are more than JSON Schema can say of a string.
        return "$filter" in query
    if field.endswith("expirationDateTime") and message == "must be in the future":
        # "In the future" depends on the clock, which a schema cannot state.
        return _expiry(case.body, field) <= datetime.now(timezone.utc)
    if message in ("no such detection", "no such remediation action"):
        # A submission links to detections and actions that must exist; generated ids do not.
        return field.startswith(("detectionIds[", "remediationActionIds["))
    if message in (
        "no such sign-in, so no address to block",
        "the sign-in has no valid IP address to block",
    ):
        # A blockIndicator blocks the addresses of sign-ins that must exist and have one.
        return field.startswith("signInIds[") and "blockIndicator" in (case.body or {})
    if field.endswith(".id") and message.startswith("repeats an earlier"):
        # A batch's items must have distinct ids: JSON Schema's uniqueItems compares whole items.
        items = (case.body or {}).get(field.split("[")[0], [])
        ids = [json.dumps(item.get("id")) for item in items if isinstance(item, dict)]
        return len(ids) != len(set(ids))
    if field == "status" and message == "is not a status of this view":
        # `view` and `status` are two query parameters, and a schema cannot relate them.
        pending = {"pending", "approved"}
        view, status = query.get("view"), query.get("status")
        in_view = (status in pending) if view == "pending" else (status not in pending)
        return view is not None and not in_view
    if message == "must not contain control characters" and field in (case.path_parameters or {}):
        # Schemathesis also fills path parameters with values it saw in responses, where text
        # (a reason, a comment) may hold line breaks, and sends them as valid though the
        # parameter's pattern refuses every control character.
        value = unquote(str(case.path_parameters[field]))
        return any(unicodedata.category(c) == "Cc" for c in value)
    if field == "commandId" and message == "is not the undo command of this action":
        # The executor reports on the command it was sent, whose id only the action knows.
        return True
    if field == "from" and message == "must not be after to":
        return _day(query.get("from")) > _day(query.get("to"))
    if field == "from" and message.startswith("the period may span at most"):
        days = int(re.search(r"\d+", message).group())
        return (_day(query.get("to")) - _day(query.get("from"))).days >= days
    return False


def _expiry(body, field: str) -> datetime:
    value = body
    for name in field.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return _instant(value) or datetime.max.replace(tzinfo=timezone.utc)


def _day(value) -> date:
    """A report bound as the server reads it: a time stands for its day in UTC."""
    if value is None:
        return datetime.now(timezone.utc).date()
    instant = _instant(value)
    return instant.date() if instant else date.fromisoformat(str(value)[:10])


def _instant(value) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _problem(response) -> dict:
    """The answer as problem+json says it; Graph's error envelope is read as the same."""
    try:
        body = response.json()
    except Exception:
        return {}
    if not isinstance(body, dict):
        return {}
    error = body.get("error")
    if isinstance(error, dict):
        kinds = {400: "/problems/validation", 422: "/problems/idempotency-key-reused"}
        details = error.get("details") or []
        return {
            "type": kinds.get(response.status_code, error.get("code")),
            "errors": [{"field": d.get("target", ""), "message": d.get("message", "")} for d in details],
        }
    return body


def _request(case) -> tuple:
    """What makes a request under a key the same request: its route and its body."""
    return (case.method.upper(), case.formatted_path, json.dumps(case.body, sort_keys=True, default=str))
