#!/usr/bin/env python3
"""Peak memory of `eelogs analyze` on many distinct accounts (issue 20).

    python bench/accounts.py                    # 2,000,000 accounts, text and JSON
    python bench/accounts.py --accounts 200000  # a quick look
    python bench/accounts.py --formats json,html

Each account writes a few realistic records: the secure connection to its provider's host
(the provider's evidence), and the login that makes it `connected`. Every FAILING_EVERY-th
account fails to log in instead (an authentication finding and a failing account row), so
the report has findings whose account lists are long, as on a real instance with an outage.
The corpus goes under bench/corpus/ (git-ignored) and is reused. Each format is one run of
its own process, measured with os.wait4 (the child's own peak RSS, not the largest so far);
the report goes to a temporary file, which is deleted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from timing import measure

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
START_MS = 1_795_420_800_000
FAILING_EVERY = 100
HOSTS = (
    ("imap.gmail.com", 993),
    ("outlook.office365.com", 993),
    ("imap.mail.yahoo.com", 993),
    ("imap.mail.me.com", 993),
    ("mail.example.net", 143),
)


def _lines(index: int) -> list[str]:
    """One account's records, as EmailEngine writes them (pino key order)."""
    account = f"acct{index:07d}-{index * 2654435761 % 99991:05d}"
    t = START_MS + index * 7
    host, port = HOSTS[index % len(HOSTS)]
    head = (
        f'"pid":7,"hostname":"ee-prod-01","tid":{2 + index % 4},'
        f'"component":"connection-client","account":"{account}","cid":"c{index:x}"'
    )
    lines = [
        f'{{"level":30,"time":{t},{head},"sub":"imap-connection","channel":"primary",'
        f'"msg":"Established secure TCP connection","secure":true,"host":"{host}",'
        f'"servername":"{host}","port":{port}}}'
    ]
    if index % FAILING_EVERY:
        lines.append(
            f'{{"level":30,"time":{t + 3},{head},"msg":"Successful login without a previous '
            f'active session","account":"{account}","isInitial":true,"prevActive":false}}'
        )
    else:
        lines.append(
            f'{{"level":50,"time":{t + 3},{head},"sub":"imap-connection","channel":"primary",'
            '"err":{"type":"Error","message":"Command failed","response":"3 NO '
            '[AUTHENTICATIONFAILED] Invalid credentials (Failure)","responseStatus":"NO",'
            '"executedCommand":"3 AUTHENTICATE PLAIN","responseText":"Invalid credentials '
            '(Failure)","serverResponseCode":"AUTHENTICATIONFAILED","authenticationFailed":'
            'true},"msg":"Command failed"}'
        )
    return lines


def build(accounts: int) -> Path:
    path = CORPUS / f"accounts-{accounts}.log"
    if path.exists():
        return path
    CORPUS.mkdir(parents=True, exist_ok=True)
    print(f"building {path} ({accounts:,} accounts)…", file=sys.stderr)
    part = path.with_suffix(".part")
    with open(part, "w", encoding="utf-8") as out:
        for start in range(0, accounts, 10_000):
            block = range(start, min(start + 10_000, accounts))
            out.write("".join(line + "\n" for i in block for line in _lines(i)))
    part.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=2_000_000)
    parser.add_argument("--formats", default="text,json", help="comma-separated: text,md,html,json")
    args = parser.parse_args()
    corpus = build(args.accounts)
    print("| format | accounts | peak RSS | per account | wall | CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for fmt in args.formats.split(","):
        argv = [sys.executable, "-m", "eelogs", "analyze", str(corpus), "--format", fmt]
        wall, rss_mb, cpu = measure(argv)
        per = rss_mb * 1024 * 1024 / args.accounts
        print(
            f"| {fmt} | {args.accounts:,} | {rss_mb:,.0f} MB | {per:,.0f} B | "
            f"{wall:.1f} s | {cpu:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
