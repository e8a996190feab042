"""The provider code table (patterns/_rules/codes.toml) decides causes through the real CLI.

A Microsoft token error carries a generic OAuth error (invalid_grant, interaction_required,
invalid_request) next to its AADSTS code; the code must decide, whichever of them it comes
with, and `invalid_grant` alone must still mean "sign in again".
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, classify_rows

CODES = tomllib.loads((REPO / "patterns/_rules/codes.toml").read_text())["code"]
AADSTS_ROWS = [row for row in CODES if row["signal"].startswith("aadsts:")]


def _token_error(oauth_error: str, code: str) -> str:
    """A renewal failure as EmailEngine 2.79.2 logs it (lib/account.js), code in the text."""
    description = f"AADSTS{code}: Something the identity platform said."
    return json.dumps(
        {
            "level": 40,
            "time": 1795440000000,
            "pid": 7,
            "hostname": "ee",
            "component": "connection-client",
            "account": f"acct-{code}",
            "msg": "Failed to renew OAuth2 access token",
            "action": "ensureAccessToken",
            "err": {
                "type": "Error",
                "message": f"Token request failed for outlook (refresh_token, HTTP 400): "
                f"{oauth_error} - {description}",
                "code": "ETokenRefresh",
                "statusCode": 400,
                "tokenRequest": {
                    "provider": "outlook",
                    "status": 400,
                    "response": {"error": oauth_error, "error_description": description},
                },
            },
        }
    )


# invalid_grant is shared by many causes; interaction_required and invalid_request are the other
# generic errors Microsoft pairs with cause codes (MFA, conditional access, tenant, redirect).
@pytest.mark.parametrize(
    "oauth_error", ["invalid_grant", "interaction_required", "invalid_request"]
)
def test_every_aadsts_code_decides_its_cause_whatever_oauth_error_it_comes_with(
    tmp_path: Path, oauth_error: str
) -> None:
    log = tmp_path / "codes.log"
    codes = [row["signal"].partition(":")[2] for row in AADSTS_ROWS]
    log.write_text("".join(_token_error(oauth_error, code) + "\n" for code in codes))
    got = [row["pattern"] for row in classify_rows(str(log))]
    assert got == [row["pattern"] for row in AADSTS_ROWS]


def test_invalid_grant_without_a_code_is_a_dead_refresh_token(tmp_path: Path) -> None:
    line = json.loads(_token_error("invalid_grant", "0"))
    line["err"]["message"] = (
        "Token request failed for gmail (refresh_token, HTTP 400): invalid_grant"
    )
    line["err"]["tokenRequest"]["response"] = {"error": "invalid_grant"}
    log = tmp_path / "grant.log"
    log.write_text(json.dumps(line) + "\n")
    assert [row["pattern"] for row in classify_rows(str(log))] == ["oauth-invalid-grant"]
