"""Three consecutive nights of a small EmailEngine instance, for the nightly-job tests.

Night 1 (2026-11-23, UTC): bob's password is rejected once, a medium-severity throttle is
not in the log yet. Night 2: bob twice more (ongoing), and carol's server presents an
expired certificate (new, high). Night 3: bob three times, carol's certificate still expired
(both ongoing). Each night is the day from 00:00 to 24:00 UTC; the job runs at 00:15 the
next morning with `--since yesterday --until today`, as contrib/ installs it.
"""

from __future__ import annotations

import random
from pathlib import Path

from scenarios import Writer, auth_failure, connect_failure, err, imap_login, new_account

DAY_MS = 86_400_000
NIGHT1_MS = 1795392000000  # 2026-11-23T00:00:00Z
BOB_EVENTS = (1, 2, 3)  # auth-invalid-credentials events per night
CAROL_EVENTS = (0, 1, 1)  # tls-cert-expired events per night
BAD_PASSWORD = "2 NO [AUTHENTICATIONFAILED] LOGIN Invalid credentials"


def job_env(night: int) -> dict[str, str]:
    """The clock of night `night`'s job (1-based): 00:15 UTC the morning after."""
    return {"EELOGS_NOW": f"2026-11-{23 + night}T00:15:00Z", "TZ": "UTC"}


def write_nights(folder: Path) -> Path:
    """One log holding all three nights, as EmailEngine's journal would."""
    lines: list[str] = []
    for night in range(3):
        w = Writer(random.Random(40 + night), NIGHT1_MS + night * DAY_MS + 3_600_000, "ee")
        alice = new_account(w, "alice", "gmail-password", "alice", intro=False)
        bob = new_account(w, "bob", "yahoo", "bob", intro=False)
        imap_login(w, alice, initial=False)
        for _ in range(BOB_EVENTS[night]):
            w.advance(60_000, 600_000)
            auth_failure(w, bob, BAD_PASSWORD, "auth-invalid-credentials",
                         code="AUTHENTICATIONFAILED")  # fmt: skip
        if CAROL_EVENTS[night]:
            carol = new_account(w, "carol", "dovecot", "carol", intro=False)
            expired = err("certificate has expired", "CERT_HAS_EXPIRED")
            connect_failure(w, carol, expired, "tls-cert-expired")
        lines += [line for line, _expect, _t in w.out]
    log = folder / "emailengine.log"
    log.write_text("".join(line + "\n" for line in lines))
    return log


def nightly_args(log: Path, folder: Path, *extra: str) -> list[str]:
    """The nightly job's command line, with its files in `folder`."""
    latest = str(folder / "latest.json")
    return [
        "analyze",
        str(log),
        "--since",
        "yesterday",
        "--until",
        "today",
        "--baseline",
        latest,
        "--save-json",
        latest,
        *extra,
    ]
