"""Every problem the catalog knows, as the lines EmailEngine writes for it.

Each function is one scenario; its lines carry the catalog id they must be classified as.
"""

from __future__ import annotations

from scenarios import (
    GOOGLE_CLIENT,
    MS_CLIENT,
    Writer,
    _conn,
    _imap,
    auth_failure,
    connect_failure,
    err,
    imap_login,
    new_account,
    oauth_failure,
    problem,
    webhook_failure,
)

IMAPFLOW = "    at ImapFlow.reader (/emailengine/node_modules/imapflow/lib/imap-flow.js:1312:31)"
RPC = "    at unpackRpcError (/emailengine/lib/worker-rpc-error.js:31:15)"


@problem
def app_password(w: Writer, expect: str) -> None:
    a = new_account(w, "acme-support", "gmail-password", "support")
    for _ in range(2):
        auth_failure(w, a, "2 NO [ALERT] Application-specific password required: "
                     "https://support.google.com/accounts/answer/185833 (Failure)",
                     "auth-app-password-required")
        w.advance(2000, 8000)


@problem
def invalid_credentials(w: Writer, expect: str) -> None:
    a = new_account(w, "helpdesk@acme-corp.com", "gmail-password")
    for _ in range(3):
        auth_failure(w, a, "3 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
                     "auth-invalid-credentials", code="AUTHENTICATIONFAILED")
        w.advance(4000, 16000)
    w.conn(a, 40, "IMAP was disabled for the account due to exceeding the authentication "
           "error threshold", [("errorEvent", "authenticationError"),
                               ("firstError", "2026-11-19T06:12:44.901Z"),
                               ("timeThreshold", 259200000), ("errorCount", 412)],
           "auth-error-threshold-disabled")
    y = new_account(w, "jane.yahoo", "yahoo", "jane.roe")
    auth_failure(w, y, "1 NO [AUTHENTICATIONFAILED] LOGIN Invalid credentials",
                 "auth-invalid-credentials", code="AUTHENTICATIONFAILED", command="LOGIN")


@problem
def web_login(w: Writer, expect: str) -> None:
    a = new_account(w, "frontdesk", "gmail-password")
    auth_failure(w, a, "2 NO [ALERT] Please log in via your web browser: "
                 "https://support.google.com/mail/accounts/answer/78754 (Failure)",
                 "auth-web-login-required")


@problem
def too_many_connections(w: Writer, expect: str) -> None:
    a = new_account(w, "shared-inbox", "gmail-password", "inbox")
    auth_failure(w, a, "2 NO [ALERT] Too many simultaneous connections. (Failure)",
                 "too-many-connections")
    d = new_account(w, "billing", "dovecot", "billing")
    e = err("Unexpected close", "ClosedAfterConnectTLS",
            frame="    at ImapFlow.close (/emailengine/node_modules/imapflow/lib/imap-flow.js:2625:27)",
            reason="Maximum number of connections from user+IP exceeded "
                   "(mail_max_userip_connections=10)")
    connect_failure(w, d, e, "too-many-connections", imapflow_line=False)


@problem
def m365_imap_disabled(w: Writer, expect: str) -> None:
    a = new_account(w, "reception@contoso.com", "outlook-oauth")
    a.next_conn()
    e = err("Authentication failed", None, frame=IMAPFLOW,
            response="User is authenticated but not connected.", authenticationFailed=True)
    w.imap_error(a, e, "m365-imap-disabled")
    w.conn(a, 40, "Failed to authenticate", [("account", a.id), ("err", e)],
           "m365-imap-disabled")


@problem
def m365_smtp_disabled(w: Writer, expect: str) -> None:
    a = new_account(w, "invoices@contoso.com", "outlook-oauth")
    text = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            "for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
            "[AM0PR02CA0123.eurprd02.prod.outlook.com 2026-11-22T10:11:12.345Z]")
    pool = err(f"Invalid login: {text}", "EAUTH",
               frame="    at SMTPConnection._formatError (/emailengine/node_modules/nodemailer/"
                     "lib/smtp-connection/index.js:932:19)",
               response=text, responseCode=535, command="AUTH XOAUTH2")
    w.line(40, [*_conn(a), ("component", "smtp-pool"), ("err", pool), ("tnx", "pool"),
                ("cid", 1), ("msg", f"Pool Error for #1: Invalid login: {text}"),
                ("sub", "nodemailer")], a.tid, "m365-smtp-auth-disabled")
    rpc = {"type": "Error", "message": f"Invalid login: {text}",
           "stack": f"Error: Invalid login: {text}\n{RPC}", "code": "EAUTH",
           "statusCode": 535, "responseCode": 535, "info": {"networkRouting": None}}
    w.line(50, [("msg", "Message submission failed"), ("action", "submit"), ("queue", "submit"),
                ("code", "result_fail"), ("job", "198d6a1f3c2b9e4d7a1"), ("event", "queued"),
                ("account", a.id), ("err", rpc)], 7, "m365-smtp-auth-disabled")


@problem
def oauth_invalid_grant(w: Writer, expect: str) -> None:
    a = new_account(w, "sales-o365", "outlook-oauth", "sales")
    oauth_failure(w, a, "invalid_grant", "AADSTS50173: The provided grant has expired due to "
                  "it being revoked, a fresh auth token is needed. The user might have changed "
                  "or reset their password. Trace ID: 8d2f6a1c-0b3e-4c5d-9e7f-1a2b3c4d5e00",
                  "oauth-invalid-grant")
    g = new_account(w, "marketing-gmail", "gmail-oauth", "marketing.team")
    oauth_failure(w, g, "invalid_grant", "Token has been expired or revoked.",
                  "oauth-invalid-grant")
    idle = new_account(w, "archive-o365", "outlook-oauth", "archive")
    oauth_failure(w, idle, "invalid_grant", "AADSTS700082: The refresh token has expired due "
                  "to inactivity. The token was issued on 2026-08-01T10:00:00.0000000Z and was "
                  "inactive for 90.00:00:00.", "oauth-invalid-grant")


def _web_request_failed(w: Writer, provider: str, error: str, description: str,
                        expect: str) -> None:
    url = ("https://oauth2.googleapis.com/token" if provider == "gmail" else
           "https://login.microsoftonline.com/common/oauth2/v2.0/token")
    message = (f"Token request failed for {provider} (authorization_code, HTTP 400): "
               f"{error} - {description}")
    e = {"type": "Error", "message": message,
         "stack": "Error: Token request failed\n    at GmailOauth.getToken "
                  "(/emailengine/lib/oauth/gmail.js:401:23)",
         "code": "ETokenRefresh", "statusCode": 400,
         "tokenRequest": {"url": url, "method": "post", "grant": "authorization_code",
                          "provider": provider, "status": 400,
                          "clientId": GOOGLE_CLIENT if provider == "gmail" else MS_CLIENT,
                          "code": "4/0AVMBs... (73B)",
                          "response": {"error": error, "error_description": description}},
         "isBoom": True, "isServer": True, "data": None,
         "output": {"statusCode": 500, "payload": {"statusCode": 500,
                    "error": "Internal Server Error",
                    "message": "An internal server error occurred"}, "headers": {}}}
    w.api(50, "Web request failed", [("path", "/oauth"), ("method", "get"), ("err", e)], expect)


@problem
def oauth_redirect_uri_mismatch(w: Writer, expect: str) -> None:
    _web_request_failed(w, "gmail", "redirect_uri_mismatch", "Bad Request",
                        "oauth-redirect-uri-mismatch")
    _web_request_failed(w, "outlook", "invalid_request", "AADSTS50011: The redirect URI "
                        "'https://ee.example.com/oauth' specified in the request does not match "
                        "the redirect URIs configured for the application "
                        f"'{MS_CLIENT}'.", "oauth-redirect-uri-mismatch")


@problem
def oauth_admin_consent(w: Writer, expect: str) -> None:
    _web_request_failed(w, "outlook", "invalid_grant", "AADSTS65001: The user or administrator "
                        f"has not consented to use the application with ID '{MS_CLIENT}' named "
                        "'EmailEngine'. Send an interactive authorization request for this user "
                        "and resource.", "oauth-admin-consent-required")
    a = new_account(w, "legal@contoso.com", "outlook-oauth")
    oauth_failure(w, a, "invalid_grant", "AADSTS65001: The user or administrator has not "
                  f"consented to use the application with ID '{MS_CLIENT}'.",
                  "oauth-admin-consent-required")


@problem
def oauth_insufficient_scope(w: Writer, expect: str) -> None:
    a = new_account(w, "news-gapi", "gmail-api", "news")
    request = {"url": "https://gmail.googleapis.com/gmail/v1/users/me/profile",
               "method": "get", "provider": "gmail", "status": 403,
               "contentType": "application/json", "clientId": GOOGLE_CLIENT,
               "scopes": ["https://www.googleapis.com/auth/gmail.modify"], "reqTime": 183,
               "response": {"error": {"code": 403, "message":
                                      "Request had insufficient authentication scopes.",
                                      "status": "PERMISSION_DENIED", "details": [
                                          {"reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}}
    w.conn(a, 40, "API request failed", list(request.items()), "oauth-insufficient-scope")
    w.line(50, [("msg", "Failed to initialize account connection"), ("account", a.id),
                ("err", err("OAuth2 request failed", None, statusCode=403,
                            oauthRequest=request))], a.tid, "oauth-insufficient-scope")
    a.connected = False


@problem
def oauth_unauthorized_client(w: Writer, expect: str) -> None:
    a = new_account(w, "svc-mailbox@example.com", "gmail-api")
    description = ("Client is unauthorized to retrieve access tokens using this method, or "
                   "client not authorized for any of the scopes requested.")
    e = {"type": "Error", "message": "Token request failed for gmail (urn:ietf:params:oauth:"
         f"grant-type:jwt-bearer, HTTP 401): unauthorized_client - {description}",
         "stack": "Error: Token request failed", "code": "ETokenRefresh", "statusCode": 401,
         "tokenRequest": {"url": "https://oauth2.googleapis.com/token", "grant":
                          "urn:ietf:params:oauth:grant-type:jwt-bearer", "provider": "gmail",
                          "status": 401, "serviceClient": "104857316299284730011",
                          "response": {"error": "unauthorized_client",
                                       "error_description": description}}}
    w.line(40, [("msg", "Failed to renew OAuth2 access token"), ("action", "ensureAccessToken"),
                ("account", a.id), ("err", e)], a.tid, "oauth-unauthorized-client")


@problem
def oauth_invalid_client(w: Writer, expect: str) -> None:
    g = new_account(w, "ops-graph", "graph", "ops")
    oauth_failure(w, g, "invalid_client", "AADSTS7000222: The provided client secret keys for "
                  f"app '{MS_CLIENT}' are expired. Visit the Azure portal to create new keys "
                  "for your app.", "oauth-invalid-client", status=401)
    # an app-level incident: one expired secret takes down every account of the app
    for n in range(6):
        a = new_account(w, f"m365-team{n}@contoso.com", "outlook-oauth")
        oauth_failure(w, a, "invalid_client", "AADSTS7000215: Invalid client secret provided. "
                      "Ensure the secret being sent in the request is the client secret value, "
                      "not the client secret ID.", "oauth-invalid-client", status=401)
        w.advance(5000, 40000)


@problem
def oauth_refresh_network_error(w: Writer, expect: str) -> None:
    a = new_account(w, "sales-gmail", "gmail-oauth", "sales.dept")
    w.conn(a, 40, "Network error during OAuth2 token refresh", [
        ("account", a.id), ("code", "ENOTFOUND"),
        ("err", err("getaddrinfo ENOTFOUND oauth2.googleapis.com", "ENOTFOUND",
                    errno=-3008, syscall="getaddrinfo", hostname="oauth2.googleapis.com"))],
        "oauth-refresh-network-error")


@problem
def gmail_api_not_enabled(w: Writer, expect: str) -> None:
    a = new_account(w, "reports-gapi", "gmail-api", "reports")
    message = ("Gmail API has not been used in project 123456789012 before or it is disabled. "
               "Enable it by visiting https://console.developers.google.com/apis/api/"
               "gmail.googleapis.com/overview?project=123456789012 then retry.")
    request = {"url": "https://gmail.googleapis.com/gmail/v1/users/me/profile", "method": "get",
               "provider": "gmail", "status": 403, "clientId": GOOGLE_CLIENT,
               "response": {"error": {"code": 403, "message": message,
                                      "status": "PERMISSION_DENIED",
                                      "details": [{"reason": "SERVICE_DISABLED"}]}},
               "flag": {"message": "Gmail API is not enabled", "code": "GMAIL_API_NOT_ENABLED"}}
    w.conn(a, 40, "API request failed", list(request.items()), "gmail-api-not-enabled")


@problem
def connect_refused(w: Writer, expect: str) -> None:
    a = new_account(w, "billing", "dovecot", "billing")
    e = err("connect ECONNREFUSED 203.0.113.25:993", "ECONNREFUSED",
            frame="    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1637:16)",
            errno=-111, syscall="connect", address="203.0.113.25", port=993)
    for _ in range(2):
        connect_failure(w, a, e, "connect-refused")
        w.advance(2000, 4000)


@problem
def dns_failure(w: Writer, expect: str) -> None:
    a = new_account(w, "billing", "dovecot", "billing")
    connect_failure(w, a, err("getaddrinfo ENOTFOUND mail.example.orgg", "ENOTFOUND",
                              errno=-3008, syscall="getaddrinfo", hostname="mail.example.orgg"),
                    "dns-failure", imapflow_line=False)


@problem
def connect_timeout(w: Writer, expect: str) -> None:
    a = new_account(w, "billing", "dovecot", "billing")
    connect_failure(w, a, err("connect ETIMEDOUT 198.51.100.7:993", "ETIMEDOUT", errno=-110,
                              syscall="connect", address="198.51.100.7", port=993),
                    "connect-timeout", imapflow_line=False)


@problem
def tls_problems(w: Writer, expect: str) -> None:
    a = new_account(w, "billing", "dovecot", "billing")
    connect_failure(w, a, err("certificate has expired", "CERT_HAS_EXPIRED"), "tls-cert-expired")
    w.advance(60000, 120000)
    connect_failure(w, a, err("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT"),
                    "tls-self-signed")
    w.advance(60000, 120000)
    connect_failure(w, a, err("unable to verify the first certificate",
                              "UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "tls-untrusted-chain")
    w.advance(60000, 120000)
    reason = ("Host: mail.example.org. is not in the cert's altnames: "
              "DNS:*.hostingprovider.net, DNS:hostingprovider.net")
    connect_failure(w, a, err(f"Hostname/IP does not match certificate's altnames: {reason}",
                              "ERR_TLS_CERT_ALTNAME_INVALID", reason=reason,
                              host="mail.example.org", cert=_certificate(w)),
                    "tls-hostname-mismatch")


def _certificate(w: Writer) -> dict[str, object]:
    """Node puts the whole peer certificate on the error: lines of 20 KB and more."""
    raw = [w.rng.randrange(256) for _ in range(4200)]
    return {"subject": {"CN": "*.hostingprovider.net"},
            "issuer": {"C": "US", "O": "Let's Encrypt", "CN": "R11"},
            "subjectaltname": "DNS:*.hostingprovider.net, DNS:hostingprovider.net",
            "valid_from": "Sep  1 00:00:00 2026 GMT", "valid_to": "Nov 30 23:59:59 2026 GMT",
            "fingerprint256": "3A:7F:" + ":".join(f"{b:02X}" for b in raw[:30]),
            "serialNumber": "04A1B2C3D4E5F60718293A4B5C6D7E8F",
            "raw": {"type": "Buffer", "data": raw}}


@problem
def tls_port_mismatch(w: Writer, expect: str) -> None:
    a = new_account(w, "ops@example.org", "dovecot")
    connect_failure(w, a, err("Failed to receive greeting from server in required time. "
                              "Maybe should use TLS?", "GREETING_TIMEOUT",
                              details={"greetingTimeout": 16000}), "tls-port-mismatch")
    w.advance(30000, 60000)
    connect_failure(w, a, err("C0A7F1D2E37F0000:error:0A00010B:SSL routines:ssl3_get_record:"
                              "wrong version number:../deps/openssl/openssl/ssl/record/"
                              "ssl3_record.c:355:\n", "ERR_SSL_WRONG_VERSION_NUMBER",
                              library="SSL routines", reason="wrong version number"),
                    "tls-port-mismatch")


@problem
def connection_reset_and_timeout(w: Writer, expect: str) -> None:
    a = new_account(w, "team@fastmail.com", "fastmail")
    imap_login(w, a, initial=False)
    reset = err("read ECONNRESET", "ECONNRESET", errno=-104, syscall="read",
                frame="    at TLSWrap.onStreamRead (node:internal/stream_base_commons:216:20)")
    w.imap_error(a, reset, "connection-reset")
    w.line(40, [*_imap(a), ("msg", "IMAP connection error"), ("type", "imapClient"),
                ("account", a.id), ("err", {**reset, "_connId": f"{a.cid}:m:{a.conn}"})],
           a.tid, "connection-reset")
    w.conn(a, 30, "Scheduling error-triggered reconnection",
           [("account", a.id), ("attempt", 1), ("delay", 3000)])
    imap_login(w, a, initial=False)
    w.advance(300000, 320000)
    # imapflow's own line is at debug: EmailEngine expects timeouts and says so at warn next
    w.imap(a, 20, "Socket timeout", [])
    w.line(40, [*_imap(a), ("msg", "IMAP connection error"), ("type", "imapClient"),
                ("account", a.id),
                ("err", err("Socket timeout", "ETIMEOUT", _connId=f"{a.cid}:m:{a.conn}"))],
           a.tid, "socket-timeout")
    imap_login(w, a, initial=False)


@problem
def flapping(w: Writer, expect: str) -> None:
    a = new_account(w, "flappy@example.org", "dovecot")
    for attempt in range(1, 7):
        imap_login(w, a, initial=False)
        w.advance(10000, 40000)
        w.line(30, [*_imap(a), ("msg", "Connection closed"), ("type", "imapClient"),
                    ("account", a.id), ("disabled", False)], a.tid)
        w.conn(a, 30, "Throttling reconnection of a short-lived connection",
               [("account", a.id), ("attempt", attempt), ("delay", 2000 * 2 ** attempt)],
               "connection-flapping")
        a.connected = False
        w.advance(2000 * 2 ** attempt, 2000 * 2 ** attempt + 1000)
    imap_login(w, a, initial=False)


@problem
def imap_throttled(w: Writer, expect: str) -> None:
    a = new_account(w, "ops-shared@contoso.com", "outlook-oauth")
    imap_login(w, a, initial=False)
    e = err("Command failed", "ETHROTTLE", frame=IMAPFLOW, responseStatus="BAD",
            response={"tag": "14", "command": "BAD", "attributes": [
                {"type": "TEXT", "value":
                 "Request is throttled. Suggested Backoff Time: 92415 milliseconds"}]},
            executedCommand="14 UID FETCH 1:* (UID FLAGS)",
            responseText="Request is throttled. Suggested Backoff Time: 92415 milliseconds",
            throttleReset=92415)
    w.imap(a, 40, "Throttling detected", [("throttleDelay", 92415), ("delayResponse", 92415),
                                          ("err", e)], "imap-throttled")
    w.imap(a, 40, "Retrying throttled request with exponential backoff", [
        ("code", "ETHROTTLE"), ("response", "Request is throttled."), ("throttleReset", 92415),
        ("retryCount", 1), ("delayMs", 92415)], "imap-throttled")


@problem
def api_rate_limited(w: Writer, expect: str) -> None:
    a = new_account(w, "bulk-gapi", "gmail-api", "bulk")
    w.conn(a, 40, "Rate limited by Gmail API, retrying", [
        ("account", a.id), ("attempt", 1), ("maxRetries", 3), ("delay", 1284.52),
        ("errorReason", "userRateLimitExceeded")], "api-rate-limited")
    g = new_account(w, "ops-graph", "graph", "ops")
    request = {"url": "https://graph.microsoft.com/v1.0/users/ops@contoso.com/messages",
               "method": "get", "provider": "outlookService", "status": 429,
               "clientId": MS_CLIENT, "reqTime": 412, "retryAfter": 38,
               "response": {"error": {"code": "ApplicationThrottled", "message":
                                      "Application is over its MailboxConcurrency limit."}}}
    w.conn(g, 40, "API request failed", list(request.items()), "api-rate-limited")
    w.conn(g, 40, "API request was throttled", [
        ("account", g.id), ("err", err("OAuth2 request failed", None, statusCode=429,
                                       oauthRequest=request, retryAfter=38))],
        "api-rate-limited")
    w.line(40, [("component", "google-subscriber"), ("msg", "Rate limited by Google Pub/Sub API"),
                ("app", "AAABmX0kFh0AAAAD"), ("retryAfterSec", 30)], 6, "api-rate-limited")


@problem
def webhooks(w: Writer, expect: str) -> None:
    for account in ("user0001", "marketing-gmail", "team@fastmail.com", "user0004"):
        webhook_failure(w, account, err("Internal Server Error", None,
                                        frame="    at sendWebhookRequest "
                                              "(/emailengine/lib/webhook-request.js:100:19)",
                                        statusCode=500), "webhook-endpoint-error")
        w.advance(1000, 5000)
    webhook_failure(w, "helpdesk@acme-corp.com",
                    err("connect ECONNREFUSED 10.0.4.12:8080", "ECONNREFUSED", errno=-111,
                        syscall="connect", address="10.0.4.12", port=8080),
                    "webhook-unreachable", url="http://10.0.4.12:8080/ee-hook",
                    event="authenticationError")
    webhook_failure(w, "news-gapi", err("Webhook request timed out after 30s", "ETIMEDOUT"),
                    "webhook-unreachable", final=True)
    webhook_failure(w, "acme-support", err(
        "Refusing to deliver to a blocked address (169.254.169.254). See "
        "EENGINE_WEBHOOK_EGRESS_POLICY if this destination is intended.", "EEGRESSBLOCKED"),
        "webhook-blocked", final=True, url="http://169.254.169.254/hook", event="messageSent")


@problem
def webhook_not_configured(w: Writer, expect: str) -> None:
    for account in ("frontdesk", "shared-inbox"):
        w.line(20, [("msg", "Webhook URL is not set"), ("action", "webhook"), ("queue", "notify"),
                    ("code", "no_target_url"), ("job", w.next_job()), ("event", "messageNew"),
                    ("account", account)], 6, "webhook-not-configured")


@problem
def pubsub(w: Writer, expect: str) -> None:
    a = new_account(w, "news-gapi", "gmail-api", "news")
    request = {"url": "https://gmail.googleapis.com/gmail/v1/users/me/watch", "method": "post",
               "provider": "gmail", "status": 403, "clientId": GOOGLE_CLIENT,
               "response": {"error": {"code": 403, "message": "Error sending test message to "
                                      "Cloud PubSub projects/ee-prod-project/topics/ee-gmail : "
                                      "User not authorized to perform this action.",
                                      "status": "PERMISSION_DENIED"}}}
    w.conn(a, 50, "Failed to set up Gmail pubsub watch", [
        ("account", a.id), ("err", err("OAuth2 request failed", None, statusCode=403,
                                       oauthRequest=request))], "gmail-pubsub-error")
    pull = {**request, "url": "https://pubsub.googleapis.com/v1/projects/ee-prod-project/"
            "subscriptions/ee-gmail-sub:pull", "scopes": ["https://www.googleapis.com/auth/pubsub"]}
    w.line(50, [("component", "google-subscriber"),
                ("msg", "Authentication/authorization error pulling subscription messages"),
                ("app", "AAABmX0kFh0AAAAD"), ("statusCode", 403),
                ("err", err("OAuth2 request failed", None, statusCode=403, oauthRequest=pull))],
           6, "gmail-pubsub-error")


@problem
def graph_subscription(w: Writer, expect: str) -> None:
    g = new_account(w, "ops-graph", "graph", "ops")
    w.conn(g, 40, "Failed to create MS Graph subscription", [
        ("account", g.id), ("error", "Subscription validation request failed. Notification "
                            "endpoint must respond with 200 OK to validation request."),
        ("code", "InvalidRequest"), ("statusCode", 400)], "graph-subscription-error")
    w.conn(g, 30, "Scheduling subscription creation retry",
           [("account", g.id), ("retryAttempt", 1), ("retryDelayMs", 30000)])
    w.advance(30000, 31000)
    w.conn(g, 50, "Max subscription creation retries exceeded",
           [("account", g.id), ("createRetryCount", 3)], "graph-subscription-error")


@problem
def mailbox_not_found(w: Writer, expect: str) -> None:
    g = new_account(w, "former-employee@contoso.com", "graph")
    request = {"url": "https://graph.microsoft.com/v1.0/users/former-employee@contoso.com/"
               "mailFolders", "method": "get", "provider": "outlookService", "status": 404,
               "clientId": MS_CLIENT, "response": {"error": {
                   "code": "MailboxNotEnabledForRESTAPI",
                   "message": "The mailbox is either inactive, soft-deleted, or is hosted "
                              "on-premise."}}}
    w.conn(g, 40, "API request failed", list(request.items()), "mailbox-not-found")
    w.line(50, [("msg", "Failed to initialize account connection"), ("account", g.id),
                ("err", err("OAuth2 request failed", None, statusCode=404,
                            oauthRequest=request))], g.tid, "mailbox-not-found")
    g.connected = False


@problem
def smtp_send_failed(w: Writer, expect: str) -> None:
    a = new_account(w, "team@fastmail.com", "fastmail")
    text = ("Can't send mail - all recipients were rejected: 550 5.1.1 <nobody@example.net>: "
            "Recipient address rejected: User unknown in virtual mailbox table")
    rpc = {"type": "Error", "message": text, "stack": f"Error: {text}\n{RPC}",
           "code": "EENVELOPE", "statusCode": 550, "responseCode": 550,
           "info": {"networkRouting": None}}
    w.line(50, [("msg", "Message submission failed"), ("action", "submit"), ("queue", "submit"),
                ("code", "result_fail"), ("job", "198d6a22b7e40c1f5d4"), ("event", "queued"),
                ("account", a.id), ("err", rpc)], 7, "smtp-send-failed")
    o = new_account(w, "sales-o365", "outlook-oauth", "sales")
    w.line(40, [*_conn(o), ("component", "smtp-connection"), ("sid", "k2Lw8RbYt1E"),
                ("msg", "connect ECONNREFUSED 52.97.146.130:587"), ("sub", "nodemailer")],
           o.tid, "connect-refused")


@problem
def redis(w: Writer, expect: str) -> None:
    w.line(40, [("msg", "Redis connection error"),
                ("err", err("read ECONNRESET", "ECONNRESET", errno=-104, syscall="read"))], 3,
           "redis-error")
    w.line(40, [("msg", "Redis connection lost"), ("worker", "imap")], 3, "redis-error")
    w.line(30, [("msg", "Redis reconnected after disconnection, exiting worker for clean "
                        "restart"), ("worker", "imap")], 3)
    w.main(30, "Worker exited", [("exitCode", 0), ("type", "imap")])
    w.main(40, "Can not connect to the database. Redis might not be running. Are you using "
           "correct hostname and port values?",
           [("err", err("connect ECONNREFUSED 127.0.0.1:6379", "ECONNREFUSED", errno=-111,
                        syscall="connect", address="127.0.0.1", port=6379))], "redis-error")


@problem
def worker_crash(w: Writer, expect: str) -> None:
    w.line(60, [("msg", "uncaughtException"), ("_msg", "uncaughtException"),
                ("err", err("Cannot read properties of undefined (reading 'path')", None,
                            etype="TypeError", frame="    at Mailbox.onExists (/emailengine/"
                            "lib/email-client/imap/mailbox.js:902:41)"))], 4, "worker-crash")
    w.main(30, "Worker exited, moving accounts to unassigned", [("accounts", 1), ("exitCode", 1)])
    w.main(50, "Worker unexpectedly exited", [("exitCode", 1), ("type", "imap")], "worker-crash")
    w.main(40, "Worker is crash looping, delaying respawn",
           [("type", "imap"), ("consecutiveFailures", 3), ("respawnDelay", 4000)],
           "worker-crash")
    w.line(30, [("msg", "Started IMAP worker thread"), ("version", "2.79.2")], 8)


@problem
def license_inactive(w: Writer, expect: str) -> None:
    w.main(30, "Shutdown signal received", [("signal", "SIGTERM"), ("isClosing", False)])
    w.advance(5000, 9000)
    w.main(30, "EmailEngine starting up", [("version", "2.79.2"), ("node", "22.13.1")])
    w.main(50, "No active license. Running in limited mode.", [], "license-inactive")


@problem
def admin_login(w: Writer, expect: str) -> None:
    req = {"id": "1795470014236:ee-prod-01:7:mecx1k2q:10042", "method": "post",
           "url": "/admin/login", "query": {}, "params": {},
           "headers": {"host": "ee.example.com", "cookie": "[Redacted]"},
           "remoteAddress": "127.0.0.1", "remotePort": 51822}
    for _ in range(3):
        w.api(40, "Invalid password", [("component", "api"), ("req", req), ("user", "admin"),
                                       ("method", "password"),
                                       ("remoteAddress", "198.51.100.44")], "admin-login-failed")


@problem
def api_token_rejected(w: Writer, expect: str) -> None:
    w.api(40, "Trying to use invalid scope for a token", [
        ("tokenAccount", None), ("tokenId", "0f3c9d27b1e84a65"), ("account", "user0001"),
        ("remoteAddress", "198.51.100.61")], "api-token-rejected")


@problem
def auth_server(w: Writer, expect: str) -> None:
    a = new_account(w, "sso-user@example.org", "dovecot")
    w.conn(a, 50, "Failed to resolve credentials from authentication server", [
        ("err", err("Failed to load credentials: Bad Gateway", None, statusCode=502))],
        "auth-server-failed")


@problem
def recovery(w: Writer, expect: str) -> None:
    a = new_account(w, "bob-icloud", "icloud", "bob")
    imap_login(w, a, initial=False)
    auth_failure(w, a, "2 NO [AUTHENTICATIONFAILED] Authentication failed.",
                 "auth-invalid-credentials", code="AUTHENTICATIONFAILED", command="LOGIN")
    w.advance(600000, 900000)
    w.line(30, [("msg", "Account update requested"), ("account", a.id)], a.tid)
    imap_login(w, a, initial=False)


@problem
def worker_unavailable(w: Writer, expect: str) -> None:
    req = {"id": "1795470014236:ee-prod-01:7:mecx1k2q:10077", "method": "post",
           "url": "/v1/account/sales-o365/submit", "query": {"access_token": "[Redacted]"},
           "params": {"account": "sales-o365"}, "remoteAddress": "127.0.0.1"}
    w.api(50, "API request failed", [
        ("component", "api"), ("req", req), ("statusCode", 503),
        ("err", err("No active handler for requested account. Try again later.",
                    "WorkerNotAvailable", frame=RPC, statusCode=503))], "worker-unavailable")


@problem
def folder_not_selectable(w: Writer, expect: str) -> None:
    a = new_account(w, "team@fastmail.com", "fastmail")
    w.line(40, [*_conn(a), ("sub", "mailbox"), ("path", "Shared Folders"),
                ("msg", "Skipped mailbox that can not be selected"), ("path", "Shared Folders"),
                ("serverResponseCode", "NOPERM"), ("responseText", "Permission denied")],
           a.tid, "folder-not-selectable")
