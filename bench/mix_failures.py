"""Problem lines and the large records for the benchmark's failure-heavy mix.

Problem lines are the 195 real-shaped lines of tests/accuracy/lines.jsonl, replayed with other
accounts, times, client ids, job ids and UUIDs, so that a burst of one failure is many
distinct lines, as in a real log. The large records (the API thread's configuration dump and
hapi-pino's `server started`, worker restarts, OAuth2 token requests with their bodies,
nodemailer's SMTP transaction) follow the call sites cited in
shared/research/emailengine-logs.md.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from mix_records import HOST, Mailbox, Stream, conn_note, dumps, pairs, rid

LINES = Path(__file__).resolve().parent.parent / "tests" / "accuracy" / "lines.jsonl"
HEAD = re.compile(r'^\{"level":(\d+),"time":\d+,"pid":\d+,"hostname":"[^"]*",(.*)\}$', re.S)
CID = re.compile(r'"cid":"[a-z0-9]{20}')
IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
                 r"\b[0-9a-f]{19}\b")
NOTIFY_JOB = re.compile(r'"job":"\d+"')
CORS = {"origin": ["https://app.example.com", "https://admin.example.com"],
        "additionalHeaders": ["X-EE-Timeout", "MCP-Protocol-Version", "Mcp-Method",
                              "Mcp-Name", "Mcp-Session-Id"],
        "additionalExposedHeaders": ["Accept"], "preflightStatusCode": 204, "maxAge": 60,
        "credentials": True}


@dataclass
class Problem:
    level: int
    body: str  # the line after pino's head, tid included
    account: str | None
    context: str


def load_problems() -> list[Problem]:
    out = []
    for row in LINES.read_text(encoding="utf-8").splitlines():
        item = json.loads(row)
        match = HEAD.match(item["line"])
        if match is None:  # every line has pino's head today; a new odd one is skipped
            continue
        account = json.loads(item["line"]).get("account")
        out.append(Problem(int(match[1]), match[2], account, item.get("context") or "other"))
    return out


def replay(s: Stream, problem: Problem, mb: Mailbox, job: int) -> None:
    """One problem line about `mb`'s account, with fresh ids, at the stream's time."""
    body = problem.body
    if problem.account:
        body = body.replace(dumps(problem.account)[1:-1], mb.id)
    body = CID.sub(f'"cid":"{mb.cid}', body)
    fresh: dict[str, str] = {}

    def new_id(match: re.Match[str]) -> str:
        old = match[0]
        if old not in fresh:
            fresh[old] = (str(uuid.UUID(int=s.rng.getrandbits(128), version=4))
                          if "-" in old else rid(s.rng, 19, "0123456789abcdef"))
        return fresh[old]

    body = NOTIFY_JOB.sub(f'"job":"{job}"', IDS.sub(new_id, body))
    s.emit(problem.level, body, None, gap=400)


def startup(s: Stream, version: str = "2.79.2") -> None:
    """What the main thread and the threads write when EmailEngine starts."""
    s.emit(30, pairs(("msg", "EmailEngine starting up"), ("version", version),
                     ("node", "22.13.1"), ("uvThreadpoolSize", 8), ("workersImap", 4),
                     ("workersWebhooks", 1), ("workersSubmission", 1)))
    api_start(s, version)
    for tid in (2, 3, 4, 5):
        s.emit(30, pairs(("msg", "Started IMAP worker thread"), ("version", version)), tid)
    s.emit(30, pairs(("msg", "IMAP workers started"), ("workers", 4),
                     ("threadIds", [2, 3, 4, 5])))
    s.emit(30, pairs(("msg", "Started Webhooks worker thread"), ("version", version)), 6)
    s.emit(30, pairs(("msg", "Started SMTP submission worker thread"), ("version", version)), 7)


def api_restart(s: Stream) -> None:
    """An API worker dies and comes back."""
    s.emit(50, pairs(("msg", "Worker unexpectedly exited"), ("exitCode", 1), ("type", "api")))
    api_start(s)


def api_start(s: Stream, version: str = "2.79.2") -> None:
    """The API thread's configuration dump, hapi's start record and the thread's start."""
    s.emit(30, pairs(("msg", "API server configuration"),
                     ("api", {"port": 3000, "host": "0.0.0.0", "maxPayloadTimeout": 10000,
                              "maxBodySize": 52428800, "maxSize": 5242880}),
                     ("service", {"commandTimeout": 10000}), ("cors", CORS)), 1)
    s.emit(30, pairs(("component", "api"), ("created", s.t - 1000), ("started", s.t),
                     ("host", "0.0.0.0"), ("port", 3000), ("protocol", "http"),
                     ("id", f"{HOST}:7:{rid(s.rng, 8)}"), ("uri", "http://0.0.0.0:3000"),
                     ("address", "0.0.0.0"), ("msg", "server started")), 1)
    s.emit(30, pairs(("msg", "Started API server thread"), ("port", 3000), ("host", "0.0.0.0"),
                     ("maxSize", 5242880), ("maxBodySize", 52428800), ("version", version)), 1)


def imap_restart(s: Stream, accounts: int, tid: int) -> None:
    """An IMAP worker restarts: its start, the main thread's bookkeeping, reassignment."""
    s.emit(30, pairs(("msg", "Worker exited, moving accounts to unassigned"),
                     ("accounts", accounts), ("exitCode", 0)))
    s.emit(30, pairs(("msg", "Started IMAP worker thread"), ("version", "2.79.2")), tid)
    s.emit(10, pairs(("msg", "Worker configuration"), ("DOWNLOAD_CHUNK_SIZE", 1000000),
                     ("DISABLE_IMAP_COMPRESSION", False)), tid)
    s.emit(30, pairs(("msg", "IMAP worker ready"), ("threadId", tid), ("currentWorkers", 4),
                     ("expectedWorkers", 4), ("unassignedCount", accounts),
                     ("assignedCount", 0), ("imapInitialWorkersLoaded", True),
                     ("reassignmentPending", True)))
    share = [{"threadId": t, "accounts": accounts // 4} for t in range(2, 6)]
    s.emit(30, pairs(("msg", "Account assignment completed"), ("distribution", share),
                     ("totalAssigned", accounts)))


def token_refresh(s: Stream, mb: Mailbox) -> None:
    """OAuth2 accounts: the token request with its masked bodies, then the renewal."""
    gmail = mb.spec["provider"] == "gmail"
    url = mb.spec.get("token_url") or "https://oauth2.googleapis.com/token"
    client = ("123456789012-abc123def456ghi789jkl012mno345pq.apps.googleusercontent.com"
              if gmail else "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b")
    conn_note(s, mb, 30, "OAuth2 authentication request", ("action", "oauth2Fetch"),
              ("fn", "refreshToken"), ("method", "post"), ("url", url), ("success", True),
              ("status", 200),
              ("request", {"refresh_token": f"1//09{rid(s.rng, 4)}... (103B)",
                           "client_id": client, "grant_type": "refresh_token",
                           "client_secret": "GOCSPX-a... (35B)"}),
              ("response", {"access_token": f"ya29.{rid(s.rng, 4)}... (2048B)",
                            "expires_in": 3599, "scope": "https://mail.google.com/",
                            "token_type": "Bearer"}))
    scopes = (["https://mail.google.com/"] if gmail else
              ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"])
    conn_note(s, mb, 30, "Renewed OAuth2 access token", ("action", "ensureAccessToken"),
              ("account", mb.id), ("user", mb.user), ("expires", "2026-11-22T11:00:05.118Z"),
              ("scopes", scopes), ("oauth2App", "AAABmX0kFh0AAAAC"))


def send(s: Stream, mb: Mailbox) -> None:
    """A send through the submit queue: nodemailer's transaction log at debug."""
    queue_id = rid(s.rng, 19, "0123456789abcdef")
    msgid = f"<{rid(s.rng, 8)}-{rid(s.rng, 4)}@example.com>"
    conn_note(s, mb, 30, "Message queued for delivery",
              ("envelope", {"from": mb.user, "to": ["customer@example.net"]}),
              ("messageId", msgid), ("sendAt", "2026-11-22T10:00:00.000Z"),
              ("queueId", queue_id), ("job", queue_id))
    smtp = mb.spec.get("smtp") or "smtp.example.com"
    sid = rid(s.rng, 11)
    talk = [("server", f"220 {smtp} ESMTP ready"), ("client", "EHLO [127.0.0.1]"),
            ("server", f"250-{smtp} at your service\n250-SIZE 35882577\n250-8BITMIME\n"
                       "250-AUTH LOGIN PLAIN XOAUTH2\n250 SMTPUTF8"),
            ("client", "AUTH PLAIN AHVzZXIAKiBzZWNyZXQgKg=="),
            ("server", "235 2.7.0 Accepted"), ("client", "MAIL FROM:<sender@example.com>"),
            ("server", "250 2.1.0 OK"), ("client", "RCPT TO:<customer@example.net>"),
            ("server", "250 2.1.5 OK"), ("client", "DATA"),
            ("server", "354 Go ahead"), ("server", f"250 2.0.0 OK {rid(s.rng, 20)} - gsmtp")]
    for tnx, text in talk:
        s.emit(20, f'{mb.conn_bind},"component":"smtp-connection","sid":"{sid}",'
                   f'"tnx":"{tnx}","msg":{dumps(text)},"sub":"nodemailer"', mb.tid)
    s.emit(30, pairs(("msg", "Submission queue entry completed"), ("action", "submit"),
                     ("queue", "submit"), ("code", "completed"), ("job", queue_id),
                     ("account", mb.id)), 7)


def odd_shapes(s: Stream, mb: Mailbox) -> None:
    """Real but rare shapes: nodemailer's string data spread into numeric keys, and a
    multi-address connect failure (AggregateError) whose message, and so msg, is empty."""
    reply = "421 4.7.0 Try again later"
    spread = ",".join(f'"{n}":{dumps(ch)}' for n, ch in enumerate(reply))
    s.emit(40, f'{mb.conn_bind},"component":"smtp-connection","sid":"{rid(s.rng, 11)}",'
               f'{spread},"tnx":"network","msg":{dumps(reply)},"sub":"nodemailer"', mb.tid)
    members = [{"type": "Error", "message": f"connect ETIMEDOUT 203.0.113.{n}:993",
                "stack": f"Error: connect ETIMEDOUT 203.0.113.{n}:993",
                "errno": -110, "code": "ETIMEDOUT", "syscall": "connect",
                "address": f"203.0.113.{n}", "port": 993} for n in (7, 8)]
    err = {"type": "AggregateError", "message": "", "stack": "AggregateError\n    at "
           "internalConnectMultiple (node:net:1139:18)", "aggregateErrors": members,
           "code": "ETIMEDOUT"}
    s.emit(50, f'{mb.imap_bind},"err":{dumps(err)},"cid":"{mb.cid}:m:{mb.conn}","msg":""',
           mb.tid)
