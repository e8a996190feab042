"""Building blocks for the sample logs: accounts, healthy chatter, and the lines of each problem.

Shapes follow shared/research/emailengine-logs.md (message texts, fields, key order, duplicate
keys). Each problem scenario writes what EmailEngine writes for that failure, often two or
three lines for one event, and tags every line with the catalog id it must be classified as.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Pairs = list[tuple[str, Any]]

PROFILES: dict[str, dict[str, Any]] = {
    "gmail-oauth": {"provider": "gmail", "host": "imap.gmail.com", "smtp": "smtp.gmail.com",
                    "domain": "gmail.com", "auth": "oauth",
                    "token_url": "https://oauth2.googleapis.com/token",
                    "greeting": "* OK Gimap ready for requests from 198.51.100.20 {r}"},
    "gmail-password": {"provider": "gmail", "host": "imap.gmail.com", "smtp": "smtp.gmail.com",
                       "domain": "acme-corp.com", "auth": "password",
                       "greeting": "* OK Gimap ready for requests from 198.51.100.20 {r}"},
    "outlook-oauth": {"provider": "outlook", "host": "outlook.office365.com",
                      "smtp": "smtp.office365.com", "domain": "contoso.com", "auth": "oauth",
                      "token_url":
                          "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
                      "greeting": "* OK The Microsoft Exchange IMAP4 service is ready. [{r}]"},
    "yahoo": {"provider": "yahoo", "host": "imap.mail.yahoo.com", "smtp": "smtp.mail.yahoo.com",
              "domain": "yahoo.com", "auth": "password",
              "greeting": "* OK [CAPABILITY IMAP4rev1 ID MOVE NAMESPACE XYMHIGHESTMODSEQ UIDPLUS "
                          "LITERAL+ CHILDREN X-MSG-EXT UNSELECT OBJECTID] IMAP4rev1 Hello"},
    "icloud": {"provider": "icloud", "host": "imap.mail.me.com", "smtp": "smtp.mail.me.com",
               "domain": "icloud.com", "auth": "password",
               "greeting": "* OK [CAPABILITY st11p00im-{r} XAPPLEPUSHSERVICE IMAP4 IMAP4rev1 "
                           "SASL-IR AUTH=ATOKEN AUTH=PLAIN] iCloud IMAP4 Service 2531B33"},
    "fastmail": {"provider": "other", "host": "imap.fastmail.com", "smtp": "smtp.fastmail.com",
                 "domain": "fastmail.com", "auth": "password",
                 "greeting": "* OK IMAP4 ready"},
    "dovecot": {"provider": "unknown", "host": "mail.example.org", "smtp": "mail.example.org",
                "domain": "example.org", "auth": "password",
                "greeting": "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
                            "LITERAL+ AUTH=PLAIN] Dovecot (Debian) ready."},
    "gmail-api": {"provider": "gmail", "host": None, "smtp": None, "domain": "example.com",
                  "auth": "gmail-api", "token_url": "https://oauth2.googleapis.com/token"},
    "graph": {"provider": "outlook", "host": None, "smtp": None, "domain": "contoso.com",
              "auth": "graph",
              "token_url": "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"},
}
GOOGLE_CLIENT = "123456789012-abc123def456ghi789jkl012mno345pq.apps.googleusercontent.com"
MS_CLIENT = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
HOOK = "https://hooks.example.com/emailengine"


@dataclass
class Account:
    id: str
    profile: str
    user: str
    tid: int
    cid: str
    conn: int = 0
    connected: bool = False
    spec: dict[str, Any] = field(default_factory=dict)

    def next_conn(self) -> str:
        self.conn += 1
        return f"{self.cid}:m:{self.conn}"


class Writer:
    """Collects pino lines with monotonic time, duplicate keys and expected pattern ids."""

    def __init__(self, rng: random.Random, start_ms: int, host: str) -> None:
        self.rng = rng
        self.t = start_ms
        self.host = host
        self.out: list[tuple[str, str | None, int]] = []
        self.accounts: dict[str, Account] = {}
        self.job = 48000

    def advance(self, low: int, high: int) -> None:
        self.t += self.rng.randint(low, high)

    def line(self, level: int, pairs: Pairs, tid: int | None = None,
             expect: str | None = None) -> None:
        self.t += self.rng.randint(3, 250)
        head: Pairs = [("level", level), ("time", self.t), ("pid", 7), ("hostname", self.host)]
        if tid is not None:
            head.append(("tid", tid))
        body = ",".join(f"{json.dumps(k)}:{_json(v)}" for k, v in head + pairs)
        self.out.append(("{" + body + "}", expect, self.t))

    def conn(self, a: Account, level: int, msg: str, extra: Pairs | None = None,
             expect: str | None = None) -> None:
        self.line(level, [*_conn(a), ("msg", msg), *(extra or [])], a.tid, expect)

    def imap(self, a: Account, level: int, msg: str, extra: Pairs | None = None,
             expect: str | None = None, cid: str | None = None) -> None:
        pairs = [*_imap(a), ("msg", msg), ("cid", cid or f"{a.cid}:m:{a.conn}"), *(extra or [])]
        self.line(level, pairs, a.tid, expect)

    def imap_error(self, a: Account, err: dict[str, Any], expect: str | None,
                   level: int = 50) -> None:
        """imapflow's own `{err, cid}` record: pino appends msg = err.message last."""
        pairs = [*_imap(a), ("err", err), ("cid", f"{a.cid}:m:{a.conn}"),
                 ("msg", err.get("message", ""))]
        self.line(level, pairs, a.tid, expect)

    def main(self, level: int, msg: str, extra: Pairs | None = None,
             expect: str | None = None) -> None:
        self.line(level, [("msg", msg), *(extra or [])], None, expect)

    def api(self, level: int, msg: str, extra: Pairs | None = None,
            expect: str | None = None) -> None:
        self.line(level, [("msg", msg), *(extra or [])], 1, expect)

    def next_job(self) -> str:
        self.job += 1
        return str(self.job)

    def startup(self, version: str) -> None:
        self.main(30, "EmailEngine starting up", [("version", version), ("node", "22.13.1"),
                  ("uvThreadpoolSize", 8), ("workersImap", 4), ("workersWebhooks", 1),
                  ("workersSubmission", 1)])
        self.main(30, "License loaded", [("license", {
            "application": "@postalsys/emailengine-app", "licensedTo": "Example Corp",
            "hostname": "ee.example.com", "created": "2026-01-12T08:14:03.000Z", "lt": True}),
            ("source", "db")])
        self.main(30, "HTTP proxy agent reloaded", [("httpProxyEnabled", False),
                  ("httpProxyUrl", None), ("webhookEgressPolicy", "link-local"),
                  ("webhookEgressPinned", True)])
        self.api(30, "Started API server thread", [("port", 3000), ("host", "0.0.0.0"),
                 ("maxSize", 5242880), ("maxBodySize", 52428800), ("version", version)])
        self.main(30, "API workers started", [("requested", 1), ("ready", 1)])
        for tid in (2, 3, 4, 5):
            self.line(30, [("msg", "Started IMAP worker thread"), ("version", version)], tid)
        self.main(30, "IMAP workers started", [("workers", 4), ("threadIds", [2, 3, 4, 5])])
        self.line(30, [("msg", "Started Webhooks worker thread"), ("version", version)], 6)
        self.line(30, [("msg", "Started SMTP submission worker thread"),
                       ("version", version)], 7)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _conn(a: Account) -> Pairs:
    return [("component", "connection-client"), ("account", a.id), ("cid", a.cid)]


def _imap(a: Account) -> Pairs:
    return [*_conn(a), ("sub", "imap-connection"), ("channel", "primary")]


def _rid(rng: random.Random, n: int, alphabet: str = string.ascii_lowercase + string.digits
         ) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def new_account(w: Writer, account_id: str, profile: str, local: str | None = None,
                intro: bool = True) -> Account:
    """An account a scenario uses; the first time, it writes what precedes trouble in a
    real log (a token renewal, an API sync or a connection attempt)."""
    if account_id in w.accounts:
        return w.accounts[account_id]
    spec = PROFILES[profile]
    user = f"{local or account_id.split('@')[0]}@{spec['domain']}"
    if "@" in account_id:
        user = account_id
    a = Account(account_id, profile, user, w.rng.choice([2, 3, 4, 5]), _rid(w.rng, 20),
                spec=spec)
    w.accounts[account_id] = a
    if intro:
        _intro(w, a)
    return a


def _intro(w: Writer, a: Account) -> None:
    if a.spec["auth"] in ("oauth", "gmail-api", "graph"):
        token_ok(w, a)
    if a.spec["auth"] in ("gmail-api", "graph"):
        api_sync(w, a)
    elif a.spec["host"]:
        imap_login(w, a, initial=False)


def make_accounts(rng: random.Random, count: int) -> list[Account]:
    weights = [("gmail-oauth", 5), ("outlook-oauth", 4), ("yahoo", 2), ("icloud", 2),
               ("fastmail", 1), ("dovecot", 1), ("gmail-api", 2), ("graph", 2)]
    names = [p for p, n in weights for _ in range(n)]
    w = Writer(rng, 0, "")
    accounts = []
    for n in range(count):
        profile = names[n % len(names)]
        style = n % 3
        account_id = (f"user{n:04d}" if style == 0 else
                      f"{_rid(rng, 8)}-{_rid(rng, 4)}-{_rid(rng, 4)}" if style == 1 else
                      f"team{n}@{PROFILES[profile]['domain']}")
        accounts.append(new_account(w, account_id, profile, f"user{n}", intro=False))
    return accounts


# ---------------------------------------------------------------- healthy chatter

def token_ok(w: Writer, a: Account) -> None:
    spec = a.spec
    if spec["auth"] == "oauth":
        secret = "GOCSPX-a" if spec["provider"] == "gmail" else "Q2x8Q~mN"
        w.conn(a, 30, "OAuth2 authentication request", [
            ("action", "oauth2Fetch"), ("fn", "refreshToken"), ("method", "post"),
            ("url", spec["token_url"]), ("success", True), ("status", 200),
            ("request", {"refresh_token": "1//09Xq7... (103B)", "client_id": GOOGLE_CLIENT
                         if spec["provider"] == "gmail" else MS_CLIENT,
                         "grant_type": "refresh_token", "client_secret": f"{secret}... (35B)"}),
            ("response", {"access_token": "ya29.a0A... (2048B)", "expires_in": 3599,
                          "token_type": "Bearer"})])
    scopes = (["https://mail.google.com/"] if spec["provider"] == "gmail" else
              ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"])
    expires = "2026-11-22T%02d:00:05.118Z" % ((w.t // 3_600_000 + 1) % 24)
    pairs: Pairs = [("action", "ensureAccessToken"), ("account", a.id), ("user", a.user),
                    ("expires", expires), ("scopes", scopes), ("oauth2App", "AAABmX0kFh0AAAAC")]
    if spec["auth"] in ("gmail-api", "graph"):
        w.line(30, [("msg", "Renewed OAuth2 access token"), *pairs], a.tid)
    else:
        w.conn(a, 30, "Renewed OAuth2 access token", pairs)


def imap_login(w: Writer, a: Account, initial: bool) -> None:
    spec = a.spec
    cid = a.next_conn()
    w.conn(a, 20, "Created primary client")
    w.imap(a, 30, "Established secure TCP connection", [
        ("secure", True), ("host", spec["host"]), ("servername", spec["host"]), ("port", 993),
        ("address", f"203.0.113.{w.rng.randint(2, 250)}"), ("localAddress", "172.18.0.3"),
        ("localPort", w.rng.randint(30000, 60000)), ("authorized", True),
        ("algo", "TLS_AES_256_GCM_SHA384"), ("version", "TLSv1.3")], cid=cid)
    w.imap(a, 20, spec["greeting"].format(r=_rid(w.rng, 12)), cid=cid)
    if spec["auth"] == "oauth":
        w.imap(a, 20, '1 AUTHENTICATE XOAUTH2 "(* value hidden *)"', [("src", "c")], cid=cid)
    else:
        w.imap(a, 20, f'1 LOGIN "{a.user}" "(* value hidden *)"', [("src", "c")], cid=cid)
    w.imap(a, 20, "1 OK Success", [("src", "s")], cid=cid)
    w.imap(a, 30, "User authenticated", [("src", "auth"), ("user", a.user)], cid=cid)
    state = "without" if not a.connected else "with"
    w.conn(a, 30, f"Successful login {state} a previous active session",
           [("account", a.id), ("isInitial", initial), ("prevActive", a.connected)])
    a.connected = True
    w.imap(a, 20, "Initiated IDLE, waiting for server input",
           [("lockId", w.rng.randint(1, 999)), ("doneRequested", False)], cid=cid)


def api_sync(w: Writer, a: Account) -> None:
    if a.spec["auth"] == "gmail-api":
        url = "https://gmail.googleapis.com/gmail/v1/users/me/history?startHistoryId=4512"
        provider, client = "gmail", GOOGLE_CLIENT
    else:
        url = f"https://graph.microsoft.com/v1.0/users/{a.user}/mailFolders/inbox/messages/delta"
        provider, client = "outlookService", MS_CLIENT
    if not a.connected:
        kind = "Gmail" if provider == "gmail" else "Outlook"
        w.conn(a, 30 if provider == "gmail" else 20, f"Initializing {kind} account",
               [("provider", "AAABmX0kFh0AAAAE"), ("user", a.user), ("sendOnly", False)])
        w.conn(a, 30, "Successful login without a previous active session",
               [("account", a.id), ("isInitial", True), ("prevActive", False)])
        a.connected = True
    w.conn(a, 20, "External API request completed", [
        ("url", url), ("method", "get"), ("provider", provider), ("status", 200),
        ("contentType", "application/json"), ("clientId", client),
        ("reqTime", w.rng.randint(40, 400))])


def send_ok(w: Writer, a: Account) -> None:
    queue_id = _rid(w.rng, 19, "0123456789abcdef")
    msgid = f"<{_rid(w.rng, 8)}-{_rid(w.rng, 4)}@{a.spec['domain']}>"
    w.conn(a, 30, "Message queued for delivery", [
        ("envelope", {"from": a.user, "to": ["customer@example.net"]}), ("messageId", msgid),
        ("sendAt", "2026-11-22T10:00:00.000Z"), ("queueId", queue_id), ("job", queue_id)])
    if a.spec["smtp"]:
        sid = _rid(w.rng, 11, string.ascii_letters + string.digits)
        nm: Pairs = [("component", "smtp-connection"), ("sid", sid)]
        w.line(30, [*_conn(a), *nm, ("tnx", "network"), ("localAddress", "172.18.0.3"),
                    ("localPort", w.rng.randint(30000, 60000)), ("remoteAddress", "203.0.113.9"),
                    ("remotePort", 465),
                    ("msg", f"Secure connection established to 203.0.113.9:465"),
                    ("sub", "nodemailer")], a.tid)
        w.line(30, [*_conn(a), *nm, ("tnx", "smtp"), ("username", a.user),
                    ("action", "authenticated"), ("method", "PLAIN"),
                    ("msg", f'User "{a.user}" authenticated'), ("sub", "nodemailer")], a.tid)
        w.line(30, [*_conn(a), ("component", "smtp-pool"), ("tnx", "send"),
                    ("messageId", msgid), ("cid", 1),
                    ("msg", f"Sending message {msgid} using #1 to <customer@example.net>"),
                    ("sub", "nodemailer")], a.tid)
    w.line(30, [("msg", "Submission queue entry completed"), ("action", "submit"),
                ("queue", "submit"), ("code", "completed"), ("job", queue_id),
                ("account", a.id)], 7)


def new_mail(w: Writer, a: Account) -> None:
    if a.spec["host"]:
        w.line(20, [*_conn(a), ("sub", "mailbox"), ("path", "INBOX"), ("msg", "New message"),
                    ("uid", w.rng.randint(1000, 90000)), ("flags", [])], a.tid)
    job = w.next_job()
    w.line(20, [("msg", "Notification queue entry completed"), ("action", "webhook"),
                ("queue", "notify"), ("code", "completed"), ("job", job),
                ("event", "messageNew"), ("account", a.id)], 6)


def healthy_round(w: Writer, a: Account, hour: int) -> None:
    """What one account writes in an hour when nothing is wrong."""
    spec = a.spec
    if spec["auth"] in ("oauth", "gmail-api", "graph"):
        token_ok(w, a)
    if spec["auth"] in ("gmail-api", "graph"):
        api_sync(w, a)
    elif not a.connected or w.rng.random() < 0.08:
        if a.connected:  # providers drop idle sessions now and then
            w.imap(a, 20, "Connection closed", [("unknownTagCount", 0)])
            w.line(30, [*_imap(a), ("msg", "Connection closed"), ("type", "imapClient"),
                        ("account", a.id), ("disabled", False)], a.tid)
        imap_login(w, a, initial=hour == 0)
    for _ in range(w.rng.randint(0, 3)):
        new_mail(w, a)
    if w.rng.random() < 0.3:
        send_ok(w, a)
    w.api(30, f"[response] get /v1/account/{a.id}/messages 200 ({w.rng.randint(5, 90)}ms)",
          [("component", "api"), ("responseTime", w.rng.randint(5, 90))])
    if w.rng.random() < 0.2:
        w.api(30, "[response] get /health 200 (1ms)", [("component", "api")])
    w.advance(100, 3000)


# ---------------------------------------------------------------- failure building blocks

def err(message: str, code: str | None = None, etype: str = "Error",
        frame: str = "    at TLSSocket.onConnectSecure (node:_tls_wrap:1679:34)",
        **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": etype, "message": message,
                           "stack": f"Error: {message.splitlines()[0]}\n{frame}"}
    if code:
        out["code"] = code
    out.update(extra)
    return out


def auth_failure(w: Writer, a: Account, response: str, expect: str, code: str = "ALERT",
                 command: str = "AUTHENTICATE PLAIN") -> None:
    """imapflow's `Command failed`, then EmailEngine's `Failed to authenticate`: one event."""
    cid = a.next_conn()
    w.imap(a, 30, "Established secure TCP connection", [
        ("secure", True), ("host", a.spec["host"]), ("servername", a.spec["host"]),
        ("port", 993), ("authorized", True)], cid=cid)
    tag = response.split(" ", 1)[0]
    w.imap(a, 20, f"{tag} {command}", [("src", "c")], cid=cid)
    w.imap(a, 20, response, [("src", "s")], cid=cid)
    text = response.split("] ", 1)[-1] if "]" in response else response.split(" ", 2)[-1]
    e = err("Command failed", None,
            frame="    at ImapFlow.reader (/emailengine/node_modules/imapflow/lib/imap-flow.js:1312:31)",
            response=response, responseStatus="NO", executedCommand=f"{tag} {command}",
            responseText=text, serverResponseCode=code, authenticationFailed=True)
    if code is None:
        del e["serverResponseCode"]
    w.imap_error(a, e, expect)
    w.conn(a, 40, "Failed to authenticate", [("account", a.id), ("err", e)], expect)
    w.line(30, [*_imap(a), ("msg", "Connection closed"), ("type", "imapClient"),
                ("account", a.id), ("disabled", False)], a.tid)
    a.connected = False


def connect_failure(w: Writer, a: Account, e: dict[str, Any], expect: str,
                    imapflow_line: bool = True) -> None:
    a.next_conn()
    if imapflow_line:
        w.imap_error(a, e, expect)
    w.conn(a, 40, "Failed to connect", [("account", a.id), ("err", e)], expect)
    a.connected = False


def oauth_failure(w: Writer, a: Account, error: str, description: str, expect: str,
                  status: int = 400, extra_request: dict[str, Any] | None = None) -> None:
    """The three lines of one failed refresh (research doc 3.8)."""
    spec = a.spec
    provider = "gmail" if spec["provider"] == "gmail" else "outlook"
    response = {"error": error, "error_description": description}
    w.conn(a, 30, "OAuth2 authentication request", [
        ("action", "oauth2Fetch"), ("fn", "refreshToken"), ("method", "post"),
        ("url", spec["token_url"]), ("success", False), ("status", status),
        ("request", {"refresh_token": "1.AXsAW3... (1687B)", "grant_type": "refresh_token",
                     **(extra_request or {})}),
        ("response", response)], expect)
    token_request = {"url": spec["token_url"], "method": "post", "grant": "refresh_token",
                     "provider": provider, "status": status,
                     "clientId": GOOGLE_CLIENT if provider == "gmail" else MS_CLIENT,
                     "scopes": ["https://mail.google.com/"] if provider == "gmail" else
                     ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"],
                     "response": response}
    message = (f"Token request failed for {provider} (refresh_token, HTTP {status}): "
               f"{error} - {description}")
    e = {"type": "Error", "message": message,
         "stack": "Error: Token request failed\n    at OutlookOauth.refreshToken "
                  "(/emailengine/lib/oauth/outlook.js:407:23)",
         "code": "ETokenRefresh", "statusCode": status, "tokenRequest": token_request}
    w.conn(a, 40, "Failed to renew OAuth2 access token",
           [("action", "ensureAccessToken"), ("account", a.id), ("err", e)], expect)
    w.conn(a, 40, "Failed to renew OAuth2 access token",
           [("account", a.id), ("err", {**e, "authenticationFailed": True})], expect)
    a.connected = False


def webhook_failure(w: Writer, account: str, e: dict[str, Any], expect: str,
                    final: bool = False, url: str = HOOK, event: str = "messageNew") -> None:
    job = w.next_job()
    common: Pairs = [("action", "webhook"), ("queue", "notify")]
    w.line(50 if final else 40, [("msg", "Failed posting webhook"), *common,
                                 ("code", "result_fail"), ("job", job), ("webhooks", url),
                                 ("requestBodySize", 1874), ("accountWebhooks", False),
                                 ("event", event), ("account", account), ("err", e)], 6, expect)
    w.line(50 if final else 20, [("msg", "Notification queue entry failed"), *common,
                                 ("code", "failed"), ("job", job), ("event", event),
                                 ("account", account), ("webhooks", url), ("err", e),
                                 ("failedReason", e["message"]), ("stacktrace", []),
                                 ("attemptsMade", 10 if final else 2)], 6,
           # a retry EmailEngine logs at debug on purpose: no finding of its own
           expect if final else None)


Scenario = Callable[[Writer, str], None]
PROBLEMS: list[tuple[str, Scenario]] = []


def problem(fn: Scenario) -> Scenario:
    PROBLEMS.append((fn.__name__, fn))
    return fn
