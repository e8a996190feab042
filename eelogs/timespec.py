"""--since/--until values: ISO 8601, epoch, `now`, `today`, `yesterday`, `-6h`, `-30m`, `-7d`.

A relative time needs its sign: `-6h` is six hours before now, `+6h` six hours after it (which
names something when EELOGS_NOW pins now to a past moment: `--since now --until +6h`). A bare
`6h` is refused, because "since 6h" reads as both "the last 6 hours" and "6 hours from now".
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import UTC, datetime, timedelta

from eelogs.errors import TimeSpecError

_RELATIVE = re.compile(
    r"^([+-]?)\s*(\d+(?:\.\d+)?)\s*"
    r"(s|sec|secs|m|min|mins|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)"
    r"(?:\s+ago)?$"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


NOW_VARIABLE = "EELOGS_NOW"


def now() -> datetime:
    """The current moment, or the one EELOGS_NOW pins (ISO 8601 or epoch seconds).

    Everything that depends on the clock (`--since yesterday`, `-o %Y-%m-%d`, the report's
    generated time) asks here, so a test, a replayed cron job or a report rebuilt later can
    run as if it were another day.
    """
    pinned = os.environ.get(NOW_VARIABLE, "").strip()
    if not pinned:
        return datetime.now(UTC)
    try:
        if re.fullmatch(r"@?\d+(?:\.\d+)?", pinned):
            return datetime.fromtimestamp(float(pinned.lstrip("@")), tz=UTC)
        return _absolute(pinned)
    except (TimeSpecError, OverflowError, ValueError, OSError) as exc:
        raise TimeSpecError(
            f"cannot read {NOW_VARIABLE}={pinned!r}",
            "set it to ISO 8601 (2026-11-24T00:15:00Z) or epoch seconds, or unset it",
        ) from exc


def resolve(spec: str, at: datetime | None = None) -> datetime:
    """Return the moment `spec` names, as an aware UTC datetime.

    Dates and times without a zone, `today` and `yesterday` are local time, as journalctl
    reads them.
    """
    moment = at or now()
    try:
        return _resolve(spec, moment)
    except (OverflowError, ValueError, OSError) as exc:  # beyond datetime's years 1 to 9999
        raise TimeSpecError(
            f"the time {spec!r} is out of range", "give a moment between the years 1 and 9999"
        ) from exc


def _resolve(spec: str, moment: datetime) -> datetime:
    text = spec.strip().lower()
    local_midnight = moment.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    named = {
        "now": moment,
        "today": local_midnight,
        "yesterday": local_midnight - timedelta(days=1),
        "tomorrow": local_midnight + timedelta(days=1),
    }
    if text in named:
        return named[text].astimezone(UTC)
    relative = _RELATIVE.match(text)
    if relative:
        sign, amount, unit = relative.groups()
        ago = text.endswith("ago")
        if not sign and not ago:
            raise TimeSpecError(
                f"the relative time {spec.strip()!r} has no sign",
                f"write -{text} for {amount}{unit[0]} before now, or +{text} for after it",
            )
        seconds = float(amount) * _UNIT_SECONDS[unit[0]]
        future = sign == "+" and not ago
        return moment + timedelta(seconds=seconds if future else -seconds)
    if re.fullmatch(r"\d{8}", text):  # ISO 8601's basic date (20261124) comes before an epoch
        with contextlib.suppress(TimeSpecError):
            return _absolute(text)
    if re.fullmatch(r"@?\d+(?:\.\d+)?", text):
        # epoch seconds; above 1e11 (13 digits, as pino writes `time`) milliseconds
        value = float(text.lstrip("@"))
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
    return _absolute(spec.strip())


def _absolute(spec: str) -> datetime:
    text = spec[:-1] + "+00:00" if spec.endswith(("Z", "z")) else spec
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimeSpecError(
            f"cannot read the time {spec!r}",
            "use ISO 8601 (2026-11-23T10:00:00Z or 2026-11-23), epoch seconds, now, today, "
            "yesterday, or a relative time like -6h, -30m, -7d",
        ) from exc
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as journalctl
    return moment.astimezone(UTC)


def from_ms(ms: int | None) -> datetime | None:
    """An epoch in ms as an aware UTC datetime (None stays None: an open window edge)."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def journalctl_arg_ms(ms: int) -> str:
    """A moment (epoch ms) in a form every journalctl version accepts."""
    return f"@{ms // 1000}"


def duration_ms(spec: str) -> int:
    """A length of time such as `30m`, `2h`, `90s` or `1d` (no sign: it is not a moment)."""
    match = _RELATIVE.match(spec.strip().lower())
    if match is None or match.group(1) or spec.strip().lower().endswith("ago"):
        raise TimeSpecError(
            f"cannot read the duration {spec!r}", "write a number and a unit: 30m, 2h, 90s, 1d"
        )
    _, amount, unit = match.groups()
    ms = round(float(amount) * _UNIT_SECONDS[unit[0]] * 1000)
    if ms <= 0:
        raise TimeSpecError(f"the duration {spec!r} is zero", "give a positive duration: 30m, 2h")
    return ms
