"""Account state, reconstructed from messages: EmailEngine never logs "state changed".

Mapping (research doc §3.4): connect() → connecting; a successful login → connected (syncing
is the short step between, only visible when nothing follows); a failed login or token renewal
→ authenticationError; a failed connect → connectError; an unexpected close → disconnected;
pause → paused; IMAP disabled or unconfigured → unset.
"""

from __future__ import annotations

from collections import deque

from eelogs.parse import Record

STATES = (
    "connecting",
    "syncing",
    "connected",
    "authenticationError",
    "connectError",
    "unset",
    "disconnected",
    "paused",
    "unknown",
)
ERROR_STATES = frozenset({"authenticationError", "connectError", "unset", "disconnected"})
SHORT_LIVED_MS = 5 * 60_000  # EmailEngine's STABLE_CONNECTION_TIME

_DISABLED = "IMAP was disabled for the account due to exceeding the authentication error threshold"
BY_MSG = {
    "Created primary client": "connecting",
    "Established secure TCP connection": "connecting",
    "Established TCP connection": "connecting",
    "Initializing Gmail account": "connecting",
    "Initializing Gmail send-only account": "connecting",
    "Initializing Outlook account": "connecting",
    "Initializing Outlook send-only account": "connecting",
    "Account reconnection requested": "connecting",
    "Account resume requested": "connecting",
    "User authenticated": "syncing",
    "Successful login without a previous active session": "connected",
    "Successful login with a previous active session": "connected",
    "Failed to authenticate": "authenticationError",
    "Failed to renew OAuth2 access token": "authenticationError",
    "Failed to load access token": "authenticationError",
    "Failed to initialize account connection": "authenticationError",
    "Failed to authenticate API request": "authenticationError",
    "Failed to resolve credentials from authentication server": "connectError",
    "Network error during OAuth2 token refresh": "connectError",
    "Failed to connect": "connectError",
    _DISABLED: "unset",
    "Account pause requested": "paused",
}
_LIVE = frozenset({"connecting", "syncing", "connected", "unknown"})
# Activity that only happens on a working connection.
HEALTHY = frozenset(
    {
        "Initiated IDLE, waiting for server input",
        "New message",
        "External API request completed",
        "Set up subconnections",
        "Renewed Gmail pubsub watch",
        "Subscription renewed successfully",
    }
)
_HEALTHY_FROM = frozenset({"syncing", "connecting", "unknown"})  # states activity proves up
_SKIPPED = ("Skipped connection setup", "Skipped start", "Skipped establishing connection")
# Messages whose effect depends on more than the message itself: on these data fields (the
# fast path reads them to replay such lines; keep the list complete when next_state changes).
CONDITIONAL = ("Connection closed", *_SKIPPED, "Closing connection")
STATE_KEYS = ("type", "disabled", "reason", "action")
# What proves a problem went away, by kind.
SIGNALS = {
    "Successful login without a previous active session": "login",
    "Successful login with a previous active session": "login",
    "Renewed OAuth2 access token": "token",
    "OAuth2 access token renewed while locked": "token",
    "Submission queue entry completed": "send",
    "Notification queue entry completed": "webhook",
    "Renewed Gmail pubsub watch": "watch",
    "Subscription renewed successfully": "subscription",
    "Subscription renewed successfully after retry": "subscription",
}


def next_state(record: Record, current: str) -> str | None:
    """The state this record moves the account to, or None when it says nothing."""
    msg = record.msg
    state = BY_MSG.get(msg)
    if state == "authenticationError" and record.component == "api":
        return None  # the admin UI's own "Failed to authenticate"
    if state is not None:
        return state
    data = record.data
    if msg == "Connection closed" and data.get("type") == "imapClient":
        if data.get("disabled"):
            return "unset"
        # EmailEngine only calls an unexpected close `disconnected` when the account was
        # up or coming up; after a failed login the error state stays.
        return "disconnected" if current in _LIVE else None
    if msg in _SKIPPED:
        reason = data.get("reason")
        return reason if reason in ("paused", "unset") else None
    if msg == "Closing connection" and data.get("action") == "pause":
        return "paused"
    if msg in HEALTHY and current in _HEALTHY_FROM:
        return "connected"
    return None


class ConnectionClock:
    """Remembers when the account's connection came up, to spot short-lived connections."""

    __slots__ = ("connected_at", "short_lived")

    def __init__(self) -> None:
        self.connected_at: int | None = None
        self.short_lived: deque[int] = deque(maxlen=64)

    def observe(self, t: int | None, state: str | None) -> None:
        if t is None:
            return
        if state == "connected":
            self.connected_at = t
        elif state == "disconnected" and self.connected_at is not None:
            if t - self.connected_at < SHORT_LIVED_MS:
                self.short_lived.append(t)
            self.connected_at = None
