"""The catalog decides causes from what the error is, not from EmailEngine's message: the
same `Failed to authenticate` line is a wrong password, a refused OAuth2 token or a cause
eelogs does not know, depending on the server's code, its words and the login mechanism."""

from __future__ import annotations

import json

from conftest import classify_rows

_BASE = {"level": 40, "time": 1795428000000, "pid": 7, "hostname": "ee", "tid": 4}
_CLIENT = {"component": "connection-client", "account": "acme", "cid": "x1"}


def _login(response: str, command: str, code: str | None = None) -> dict[str, object]:
    err: dict[str, object] = {
        "type": "Error",
        "message": "Command failed",
        "response": response,
        "responseStatus": "NO",
        "executedCommand": command,
        "authenticationFailed": True,
    }
    if code:
        err["serverResponseCode"] = code
    return {**_BASE, **_CLIENT, "msg": "Failed to authenticate", "err": err}


def _session(msg: str, response: str, command: str, code: str) -> dict[str, object]:
    err = {
        "type": "Error",
        "message": "Command failed",
        "response": response,
        "responseStatus": "NO",
        "executedCommand": command,
        "serverResponseCode": code,
    }
    return {**_BASE, **_CLIENT, "level": 50, "msg": msg, "err": err}


GMAIL_NO = "2 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"
CASES = [
    # the same Gmail answer: a password login is a wrong password, an OAuth2 one a bad token
    (_login(GMAIL_NO, "2 AUTHENTICATE PLAIN", "AUTHENTICATIONFAILED"), "auth-invalid-credentials"),
    (
        _login(GMAIL_NO, '2 AUTHENTICATE XOAUTH2 "(* value hidden *)"', "AUTHENTICATIONFAILED"),
        "gmail-oauth-imap-refused",
    ),
    # Microsoft's bare refusal: only the OAuth2 mechanism names a cause
    (_login("2 NO AUTHENTICATE failed.", "2 AUTHENTICATE PLAIN"), "imap-auth-failed"),
    (
        _login("2 NO AUTHENTICATE failed.", '2 AUTHENTICATE XOAUTH2 "(* value hidden *)"'),
        "m365-oauth-imap-refused",
    ),
    # a temporary outage at login is not a credentials problem
    (
        _login("2 NO [UNAVAILABLE] LOGIN failure. Server error", "2 LOGIN", "UNAVAILABLE"),
        "imap-server-unavailable",
    ),
    # OVERQUOTA: Gmail's bandwidth limit or a full mailbox, by the server's words
    (
        _session(
            "Failed to select main mailbox",
            "5 NO [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)",
            '5 SELECT "INBOX"',
            "OVERQUOTA",
        ),
        "gmail-bandwidth-limit",
    ),
    (
        _session(
            "Failed to upload Sent mail",
            "9 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)",
            '9 APPEND "Sent" (\\Seen) {120}',
            "OVERQUOTA",
        ),
        "mailbox-over-quota",
    ),
    # an APPEND to Sent that fails for an unknown reason: the message itself was sent
    (
        _session(
            "Failed to upload Sent mail",
            "9 NO [SERVERBUG] Internal error",
            '9 APPEND "Sent" (\\Seen) {120}',
            "SERVERBUG",
        ),
        "sent-upload-failed",
    ),
]


def test_the_error_decides_the_cause() -> None:
    lines = "\n".join(json.dumps(record) for record, _ in CASES) + "\n"
    rows = classify_rows(stdin=lines)
    got = [row["pattern"] for row in rows]
    assert got == [want for _, want in CASES]
