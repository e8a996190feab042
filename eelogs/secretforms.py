"""The forms a secret takes in EmailEngine's logs: key names, text forms, token formats.

redact.py applies them; this module only says what a secret looks like. Sources: EmailEngine's
own redaction list (lib/consts.js REDACTED_LOG_KEYS and ENCRYPTED_APP_KEYS), the fields its
OAuth2 clients shorten before logging (lib/oauth/*.js), imapflow's and nodemailer's protocol
logs, and the providers' published token formats.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

MASK = "[REDACTED]"

# Key names whose value is a secret, compared normalised (see normal_key): `Refresh_Token`,
# `client_Secret`, `X-Api-Key` and `smtpPassword` are `refreshtoken`, `clientsecret`,
# `xapikey` and `smtppassword`. A key that ends in one of SECRET_KEY_ENDINGS is a secret too.
SECRET_KEYS = frozenset(
    {
        "pass",
        "pwd",
        "passwd",
        "secret",
        "tokens",
        "assertion",
        "cookies",
        # EmailEngine: encrypted OAuth2 app fields and its pino redact paths
        "externalaccount",
        "rawpacket",
        "_original",
    }
)
SECRET_KEY_ENDINGS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "servicekey",
    "cookie",
    "authorization",
    "xoauth2",
)
# In a URL query these carry OAuth codes and nonces; as JSON keys they also name error
# codes (`"code":"EAUTH"`) and account states, so there the value decides (secret_in_context).
QUERY_SECRET_KEYS = frozenset({"code", "state"})
_NON_KEY_CHARS = re.compile(r"[\s._-]+")


def normal_key(key: str) -> str:
    """`Refresh_Token` → `refreshtoken`; `_original` keeps its underscore (a joi field)."""
    lowered = key.lower()
    return lowered if lowered == "_original" else _NON_KEY_CHARS.sub("", lowered)


def is_secret_key(key: str) -> bool:
    name = normal_key(key)
    return name in SECRET_KEYS or name.endswith(SECRET_KEY_ENDINGS)


_CAMEL_WORD = re.compile(r"[a-z][A-Za-z]*")


def secret_in_context(key: str, value: str) -> bool:
    """`code` and `state` hold a secret only sometimes: an OAuth code is long and has `/` or
    `.` (`4/0A…`, `M.C5…`), unlike ECONNREFUSED; an OAuth `state` nonce is no camelCase word,
    unlike authenticationError."""
    name = normal_key(key)
    if name == "code":
        return len(value) >= 20 and ("/" in value or "." in value)
    if name == "state":
        return _CAMEL_WORD.fullmatch(value) is None
    return False


# Whole strings that are one protocol line of base64 (an SMTP AUTH LOGIN answer, an AUTH
# PLAIN continuation): secrets when they stand in a message's place, never elsewhere (a
# random 16-character account id is base64 too).
_PROTOCOL_LINE = re.compile(r"(?:C:\s*)?([A-Za-z0-9+/]{4,}={0,2})\s*")
_SASL_MARKERS = (b"\x00", b"auth=", b"Bearer", b"secret", b"hidden")


def is_protocol_secret(text: str) -> bool:
    """True when a message is base64 alone that decodes to credentials or to printable text
    (the AUTH LOGIN password line is base64 of the password and nothing else)."""
    found = _PROTOCOL_LINE.fullmatch(text)
    if found is None or len(found.group(1)) % 4:
        return False
    try:
        raw = base64.b64decode(found.group(1), validate=True)
    except (binascii.Error, ValueError):
        return False
    if any(marker in raw for marker in _SASL_MARKERS):
        return True
    try:
        decoded = raw.decode()
    except UnicodeDecodeError:
        return False
    return decoded.isprintable() and not decoded.isspace()


def _pair(found: re.Match[str]) -> str:
    """A `key: value` / `key=value` / `"key":"value"` pair: the value masked when the key
    names a secret."""
    key, value = found.group("key"), found.group("value")
    if value.startswith(MASK):
        return found.group(0)
    quoted = found.group("vq")
    body = value[len(quoted) :] if quoted else value
    if quoted and body.endswith(quoted):
        body = body[: -len(quoted)]
    in_query = found.start() > 0 and found.string[found.start() - 1] in "?&"
    secret = (
        is_secret_key(key)
        or (in_query and normal_key(key) in QUERY_SECRET_KEYS)
        or secret_in_context(key, body)
    )
    if not secret:
        # the value may hold pairs of its own (`msg: "… password=…"`, `plain: pwd=…`)
        inner = _PAIR.sub(_pair, body)
        return found.group(0) if inner == body else found.group(0).replace(body, inner, 1)
    closing = quoted if quoted and value.endswith(quoted) and len(value) > len(quoted) else ""
    return found.group("head") + (quoted or "") + MASK + closing


# A quoted value ends at the same quote (as escaped as the opening one) or at the end of the
# text: a value cut short still gets masked.
_PAIR = re.compile(
    r"(?P<head>(?<![\w\\-])(?P<q>\\*[\"']?)(?P<key>[^\W\d][\w.-]{0,63})(?P=q)\s*[:=]\s*)"
    r"(?P<value>(?P<vq>\\*[\"'])(?:(?!(?P=vq)).)*?(?:(?<!\\)(?P=vq)|$)"
    r"|[a-z]{4}(?: [a-z]{4}){3}(?!\w)"  # an app password as Google shows it: four groups
    # a bare value; not the next `key: ` (in `config: password: "…"` the pair is the second)
    r"|(?![\[{])(?![\w.-]+:\s)[^\s,;&\"'}\]\\]+)",
    re.S,
)
# an HTTP header in text: its value runs to the end of the line
_HEADER = re.compile(
    r"(?i)(?<![\w-])((?:set-)?cookie|(?:proxy-)?authorization|x-api-key|api-key|"
    r"x-auth-token|x-access-token)(\s*:\s*)(?![\"'{\[]|\\\")[^\r\n\"\\]+"
)
_ARG = r"(?:\\*\"(?:[^\"\\]|\\(?!\"))*\\*\"|[^\s\"\\]+)"
# PEM private keys, to their END line or, when cut, to the end of the string
_PEM = (
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:(?!-----END)[^\"])*"
    r"(?:-----END[A-Z ]*PRIVATE KEY-----)?"
)
_VENDOR_KEYS = (
    r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|xox[abposr]-[\w-]{10,}|sk_(?:live|test)_\w{16,}"
    r"|SG\.[\w-]{16,}\.[\w-]{16,})"
)
_SASL = r"(?i)(\bAUTH\s+(?:PLAIN|LOGIN|XOAUTH2|CRAM-MD5|OAUTHBEARER)\s+)[A-Za-z0-9+/=]{8,}"
_IMAP_SASL = r"(?i)(\bAUTHENTICATE\s+(?:PLAIN|XOAUTH2|OAUTHBEARER)\s+)(?!\"\(\*)[A-Za-z0-9+/=]{8,}"
# SMTP AUTH LOGIN: the line after the server's "Password:" prompt is base64 of it
_SMTP_LOGIN = r"(334 UGFzc3dvcmQ6(?:\s|\\[rn])+(?:C:\s*)?)[A-Za-z0-9+/]+=*"
# IMAP LOGIN tag user password (imapflow hides it as "(* value hidden *)"; others don't)
_IMAP_LOGIN = rf"(?i)(\b[A-Za-z]*\d[\w.]*\s+LOGIN\s+{_ARG}\s+)(?!\\*\"\(\*){_ARG}"
# raw socket dumps: `read from socket` / `write to socket` carry whole IMAP sessions
_SOCKET = r'(?i)("msg"\s*:\s*"(?:read from|write to) socket".*?"data"\s*:\s*)"[^"]*"'
_SOCKET_DATA_FIRST = (
    r'(?i)"data"\s*:\s*"[^"]*?"(\s*,\s*"msg"\s*:\s*"(?:read from|write to) socket")'
)
_JOI_ORIGINAL = r'(?i)("(?:_original|rawPacket)"\s*:\s*)(\{(?:[^{}]|\{[^{}]*\})*\}|"[^"]*")'
# joi validation errors carry the submitted value (passwords, secrets) in details
_JOI_VALUE = r'(?i)("context"\s*:\s*\{[^{}]*?"value"\s*:\s*)"(?:[^"\\]|\\.)*"'
_MSG_BASE64 = r"(\"msg\"\s*:\s*\")([A-Za-z0-9+/]{4,}={0,2})(\")"


def _msg_base64(found: re.Match[str]) -> str:
    blob = found.group(2)
    return found.group(1) + (MASK if is_protocol_secret(blob) else blob) + found.group(3)


Replacement = str | Callable[[re.Match[str]], str]
_RULES: tuple[tuple[str, Replacement], ...] = (
    (_PEM, MASK),
    (r"ya29\.[\w.-]+", f"ya29.{MASK}"),  # Google access token
    (r"\b1//[\w.-]{8,}", f"1//{MASK}"),  # Google refresh token
    (r"\b4/[01]A[\w-]{10,}", f"4/0A{MASK}"),  # Google authorization code
    (r"GOCSPX-[\w-]+", f"GOCSPX-{MASK}"),  # Google client secret
    (r"\bAIza[\w-]{35}", MASK),  # Google API key
    (r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*", f"eyJ.{MASK}"),  # JWT (Microsoft tokens)
    (r"\b[01]\.A[\w.~*$!-]{20,}", f"1.A{MASK}"),  # Microsoft refresh token
    (r"\bM\.[A-Z]\d{1,4}_[\w.!*$-]{16,}", f"M.{MASK}"),  # Outlook.com refresh token
    (r"\b[\w.-]{3}\dQ~[\w.~-]{20,}", MASK),  # Azure client secret
    (r"\b[0-9a-f]{64}\b", MASK),  # EmailEngine access token
    (_VENDOR_KEYS, MASK),
    (r"(?i)\b(Bearer|Basic)\s+[\w.~+/=-]{8,}", rf"\1 {MASK}"),
    (_SASL, rf"\1{MASK}"),
    (_IMAP_SASL, rf"\1{MASK}"),
    (_SMTP_LOGIN, rf"\1{MASK}"),
    (_IMAP_LOGIN, rf"\1{MASK}"),
    (r"(://[^/\s:@\"\\]*:)[^@\s\"/\\]+@", rf"\1{MASK}@"),  # credentials in a URL
    (_HEADER.pattern, rf"\1\2{MASK}"),
    (_SOCKET, rf'\1"{MASK}"'),
    (_SOCKET_DATA_FIRST, rf'"data":"{MASK}"\1'),
    (_JOI_ORIGINAL, rf'\1"{MASK}"'),
    (_JOI_VALUE, rf'\1"{MASK}"'),
    (_MSG_BASE64, _msg_base64),
)
TEXT_RULES: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    *((re.compile(pattern), replacement) for pattern, replacement in _RULES),
    (_PAIR, _pair),
)


# `pass\u0077ord` in JSON text is `password`: letters, digits, `_` and `-` written as \u
# escapes are read back before the rules look for key names, at any depth of JSON inside a
# string (`pass\\u0077ord` one level down).
_ESCAPED_WORD_CHAR = re.compile(r"\\+u00(2[dD]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF])")


def unescape_word_chars(text: str) -> str:
    if "\\u00" not in text:
        return text
    return _ESCAPED_WORD_CHAR.sub(lambda m: chr(int(m.group(1), 16)), text)
