"""The records EmailEngine writes while an account is busy, for the benchmark mixes.

Shapes follow EmailEngine 2.79 and imapflow (see shared/research/emailengine-logs.md): pino's
key order (level, time, pid, hostname, tid, child bindings, the logged object), the
per-account bindings `component`/`account`/`cid` and imapflow's own `cid` after them, protocol
lines as `{"src":"c"|"s","msg":<line>}` with hexadecimal tags (imapflow counts tags in hex),
untagged FETCH responses at trace and every other protocol line at debug, and the lock and
IDLE bookkeeping imapflow writes at trace. Lines are composed as text, not as dicts, because
EmailEngine writes duplicate keys and a dict cannot hold them.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

import orjson

HOST = "ee-prod-01"
FOLDERS = ("INBOX", "Sent", "Drafts", "Archive", "Junk", "Trash")
FLAG_SETS = ("\\Seen", "\\Seen \\Flagged", "")
SUBJECTS = ("Invoice 2026-118", 'Re: "Quarterly" numbers', "Café meeting – agenda ✓",
            "Your ticket #4411", "Fwd: contract\\draft", "Besprechung am Donnerstag")


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def pairs(*items: tuple[str, Any]) -> str:
    """`"key":value,...` in the given order (keys are plain names, values JSON-encoded)."""
    return ",".join(f'"{key}":{dumps(value)}' for key, value in items)


class Stream:
    """Pino lines with a clock that moves on, buffered per unit of activity."""

    def __init__(self, rng: random.Random, start_ms: int) -> None:
        self.rng = rng
        self.t = start_ms
        self.lines: list[str] = []
        self.head = f'"pid":7,"hostname":"{HOST}"'

    def emit(self, level: int, body: str, tid: int | None = None, gap: int = 40) -> None:
        self.t += self.rng.randint(1, gap)
        thread = f',"tid":{tid}' if tid is not None else ""
        self.lines.append(f'{{"level":{level},"time":{self.t},{self.head}{thread},{body}}}')


@dataclass
class Mailbox:
    """One account's IMAP session: the counters imapflow and the server keep moving."""

    id: str
    cid: str
    tid: int
    user: str
    spec: dict[str, Any]
    exists: int
    uidnext: int
    modseq: int
    tag: int = 0
    conn: int = 0
    lock: int = 0
    connected: bool = False

    @property
    def conn_bind(self) -> str:
        return f'"component":"connection-client","account":{dumps(self.id)},"cid":"{self.cid}"'

    @property
    def imap_bind(self) -> str:
        return f'{self.conn_bind},"sub":"imap-connection","channel":"primary"'

    def next_tag(self) -> str:
        self.tag += 1
        return f"{self.tag:X}"


def proto(s: Stream, mb: Mailbox, src: str, line: str, level: int = 20,
          comment: str | None = None) -> None:
    """One protocol line as imapflow logs it (no `S:`/`C:` prefix: direction is in `src`)."""
    extra = f',"comment":{dumps(comment)}' if comment else ""
    s.emit(level, f'{mb.imap_bind},"src":"{src}","msg":{dumps(line)},'
                  f'"cid":"{mb.cid}:m:{mb.conn}"{extra}', mb.tid, gap=8)


def command(s: Stream, mb: Mailbox, text: str, untagged: list[str], done: str = "Success",
            level: int = 20) -> None:
    """A tagged command, its untagged responses (at `level`) and the tagged OK."""
    tag = mb.next_tag()
    proto(s, mb, "c", f"{tag} {text}")
    for line in untagged:
        proto(s, mb, "s", line, level)
    proto(s, mb, "s", f"{tag} OK {done}")


def imap_note(s: Stream, mb: Mailbox, level: int, msg: str, *extra: tuple[str, Any]) -> None:
    tail = f",{pairs(*extra)}" if extra else ""
    s.emit(level, f'{mb.imap_bind},"msg":{dumps(msg)}{tail}', mb.tid, gap=5)


def conn_note(s: Stream, mb: Mailbox, level: int, msg: str, *extra: tuple[str, Any]) -> None:
    tail = f",{pairs(*extra)}" if extra else ""
    s.emit(level, f'{mb.conn_bind},"msg":{dumps(msg)}{tail}', mb.tid)


def lock_note(s: Stream, mb: Mailbox, msg: str, path: str = "INBOX") -> None:
    imap_note(s, mb, 10, msg, ("path", path), ("lockId", mb.lock), ("idling", False))


def login(s: Stream, mb: Mailbox, hour: int) -> None:
    """Connect, authenticate, list and select: what a (re)connection writes at trace level."""
    spec, rng = mb.spec, s.rng
    mb.conn += 1
    mb.tag = 0
    conn_note(s, mb, 20, "Created primary client")
    s.emit(30, f'{mb.imap_bind},"src":"connection","msg":"Established secure TCP connection",'
               f'"cid":"{mb.cid}:m:{mb.conn}",' + pairs(
                   ("secure", True), ("host", spec["host"]), ("servername", spec["host"]),
                   ("port", 993), ("address", f"203.0.113.{rng.randint(2, 250)}"),
                   ("localAddress", "172.18.0.3"), ("localPort", rng.randint(30000, 60000)),
                   ("authorized", True), ("algo", "TLS_AES_256_GCM_SHA384"),
                   ("version", "TLSv1.3")), mb.tid)
    proto(s, mb, "s", spec["greeting"].format(r=rid(rng, 12)))
    command(s, mb, "CAPABILITY", ["* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID "
                                  "XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE "
                                  "MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED "
                                  "LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584"])
    command(s, mb, 'ID ("name" "EmailEngine" "version" "2.79.2" "vendor" "Postal Systems")',
            ['* ID ("name" "IMAP" "vendor" "Provider" "support-url" "https://example.com")'])
    if spec["auth"] == "oauth":
        command(s, mb, 'AUTHENTICATE XOAUTH2 "(* value hidden *)"', [],
                f"{mb.user} authenticated (Success)")
    else:
        command(s, mb, f'LOGIN "{mb.user}" "(* value hidden *)"', [], "LOGIN completed")
    imap_note(s, mb, 30, "User authenticated", ("src", "auth"), ("user", mb.user))
    command(s, mb, "ENABLE CONDSTORE UTF8=ACCEPT", ["* ENABLED CONDSTORE UTF8=ACCEPT"])
    state = "with" if mb.connected else "without"
    conn_note(s, mb, 30, f"Successful login {state} a previous active session",
              ("account", mb.id), ("isInitial", hour == 0), ("prevActive", mb.connected))
    mb.connected = True
    conn_note(s, mb, 20, "Starting mailbox sync")
    command(s, mb, 'LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED)',
            [f'* LIST ({list_flags(f)}) "/" "{f}"' for f in FOLDERS])
    for folder in FOLDERS[1:4]:
        command(s, mb, f'STATUS "{folder}" (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)',
                [f'* STATUS "{folder}" (MESSAGES {rng.randint(10, 9000)} UIDNEXT '
                 f"{rng.randint(9000, 90000)} UIDVALIDITY {rng.randint(1, 9)} HIGHESTMODSEQ "
                 f"{mb.modseq - rng.randint(1, 50000)})"])
    conn_note(s, mb, 20, "Mailboxes synced", ("usable", True))
    select(s, mb)
    idle(s, mb)


def list_flags(folder: str) -> str:
    return "\\HasNoChildren" + ("" if folder == "INBOX" else f" \\{folder}")


def select(s: Stream, mb: Mailbox) -> None:
    mb.lock += 1
    lock_note(s, mb, "Requesting lock")
    command(s, mb, 'SELECT "INBOX" (CONDSTORE)', [
        "* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen \\*)] "
        "Flags permitted.",
        "* OK [UIDVALIDITY 1] UIDs valid.", f"* {mb.exists} EXISTS", "* 0 RECENT",
        f"* OK [UIDNEXT {mb.uidnext}] Predicted next UID.",
        f"* OK [HIGHESTMODSEQ {mb.modseq}]"], "[READ-WRITE] INBOX selected. (Success)")
    lock_note(s, mb, "Mailbox lock acquired [selected]")
    imap_note(s, mb, 10, "Running partial sync", ("imapIndexer", "full"))
    lock_note(s, mb, "Mailbox lock released")


def idle(s: Stream, mb: Mailbox) -> None:
    proto(s, mb, "c", f"{mb.next_tag()} IDLE")
    proto(s, mb, "s", "+ idling")
    imap_note(s, mb, 20, "Initiated IDLE, waiting for server input", ("lockId", mb.lock),
              ("doneRequested", False))


def change_cycle(s: Stream, mb: Mailbox) -> None:
    """IDLE wakes on EXISTS, imapflow breaks IDLE, EmailEngine fetches changes and new mail."""
    rng = s.rng
    new = rng.choice((0, 1, 1, 1, 2))
    changed = rng.randint(2, 7)
    mb.exists += new
    proto(s, mb, "s", f"* {mb.exists} EXISTS")
    mb.lock += 1
    lock_note(s, mb, "Requesting lock")
    imap_note(s, mb, 10, "Requesting IDLE break", ("lockId", mb.lock), ("path", "INBOX"),
              ("queued", 1), ("doneRequested", False), ("canEnd", True), ("doneSent", False))
    s.emit(20, f'{mb.imap_bind},"src":"c","msg":"DONE","comment":"breaking IDLE",'
               f'"lockId":{mb.lock},"path":"INBOX"', mb.tid, gap=5)
    proto(s, mb, "s", f"{mb.tag:X} OK IDLE terminated (Success)")
    lock_note(s, mb, "Mailbox lock acquired [existing]")
    since = mb.modseq
    lines = []
    for _ in range(changed):
        mb.modseq += rng.randint(1, 40)
        seq = rng.randint(1, mb.exists)
        lines.append(f"* {seq} FETCH (UID {mb.uidnext - mb.exists + seq} MODSEQ ({mb.modseq}) "
                     f"FLAGS ({rng.choice(FLAG_SETS)}))")
    command(s, mb, f"UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE {since})", lines,
            level=10)
    for _ in range(new):
        fetch_new(s, mb)
    lock_note(s, mb, "Mailbox lock released")
    idle(s, mb)


def fetch_new(s: Stream, mb: Mailbox) -> None:
    rng = s.rng
    uid, mb.uidnext = mb.uidnext, mb.uidnext + 1
    mb.modseq += rng.randint(1, 40)
    subject = rng.choice(SUBJECTS)
    envelope = (f'* {mb.exists} FETCH (UID {uid} MODSEQ ({mb.modseq}) FLAGS () '
                f'EMAILID (M{rid(rng, 16)}) RFC822.SIZE {rng.randint(900, 90000)} ENVELOPE '
                f'("Sun, 22 Nov 2026 10:{rng.randint(10, 59)}:00 +0000" {dumps(subject)} '
                f'(("Customer" NIL "customer" "example.net")) NIL NIL '
                f'((NIL NIL "{mb.user.split("@")[0]}" "example.com")) NIL NIL NIL '
                f'"<{rid(rng, 12)}@example.net>"))')
    command(s, mb, f"UID FETCH {uid} (UID FLAGS ENVELOPE BODYSTRUCTURE INTERNALDATE "
                   "RFC822.SIZE MODSEQ EMAILID THREADID BODY.PEEK[HEADER.FIELDS (REFERENCES "
                   "IN-REPLY-TO LIST-ID)])", [envelope], level=10)
    s.emit(20, f'{mb.conn_bind},"sub":"mailbox","path":"INBOX","msg":"New message",'
               f'"uid":{uid},"flags":[]', mb.tid)


def api_poll(s: Stream, mb: Mailbox) -> None:
    """Gmail API and MS Graph accounts have no protocol lines: API requests instead."""
    if mb.spec["auth"] == "gmail-api":
        url = f"https://gmail.googleapis.com/gmail/v1/users/me/history?startHistoryId={mb.modseq}"
        provider = "gmail"
    else:
        url = (f"https://graph.microsoft.com/v1.0/users/{mb.user}/mailFolders/inbox/messages/"
               f"delta?$deltatoken={rid(s.rng, 24)}")
        provider = "outlookService"
    mb.modseq += s.rng.randint(1, 90)
    conn_note(s, mb, 20, "External API request completed", ("url", url), ("method", "get"),
              ("provider", provider), ("status", 200), ("contentType", "application/json"),
              ("reqTime", s.rng.randint(40, 400)))


def notify(s: Stream, account: str, job: int, event: str = "messageNew") -> None:
    s.emit(20, pairs(("msg", "Notification queue entry completed"), ("action", "webhook"),
                     ("queue", "notify"), ("code", "completed"), ("job", str(job)),
                     ("event", event), ("account", account)), 6)


def http_response(s: Stream, account: str, req_id: int) -> None:
    """hapi-pino's record of one API request: `req` and `res` objects before msg."""
    rng = s.rng
    path = rng.choice((f"/v1/account/{account}/messages", f"/v1/account/{account}",
                       f"/v1/account/{account}/message/{rid(rng, 24)}", "/health"))
    method = "post" if path.endswith("messages") and rng.random() < 0.2 else "get"
    took = rng.randint(1, 300)
    req = {"id": f"1795420800000:{HOST}:7:mecx1k2q:{req_id}", "method": method, "url": path,
           "query": {}, "params": {"account": account} if "/account/" in path else {},
           "headers": {"host": "ee.example.com", "user-agent": "axios/1.7.2",
                       "accept": "application/json", "x-forwarded-for": "198.51.100.44",
                       "authorization": "[Redacted]"},
           "remoteAddress": "127.0.0.1", "remotePort": rng.randint(30000, 60000)}
    res = {"statusCode": 200, "headers": {"content-type": "application/json; charset=utf-8",
                                          "content-length": rng.randint(20, 9000)}}
    s.emit(30, pairs(("component", "api"), ("req", req), ("res", res), ("responseTime", took),
                     ("msg", f"[response] {method} {path} 200 ({took}ms)")), 1)


def rid(rng: random.Random, n: int, alphabet: str = string.ascii_lowercase + string.digits
        ) -> str:
    return "".join(rng.choices(alphabet, k=n))
