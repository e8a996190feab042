"""Issue 21: an HTML report people act on at 3am.

The worst problem on the first screen, filters, no sideways scrolling at 400 px, badges that
read in light and dark mode, one colour per category in every report, the catalog's Markdown
rendered (and nothing else), and a bounded page for 50,000 accounts.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cdp import Browser
from conftest import REPO, run
from markupsafe import escape

from eelogs import markdown
from eelogs.catalog import SEVERITIES, load_catalog
from eelogs.render import Format, render

SAMPLE = "sample_logs/emailengine.log"
TEMPLATE = REPO / "reports" / "report.html.j2"
PINNED = {"SOURCE_DATE_EPOCH": "1795500000", "TZ": "UTC", "EELOGS_NOW": "2026-11-24T08:00:00Z"}


# --- the catalog's Markdown -------------------------------------------------------------


def test_markdown_subset_is_rendered() -> None:
    html = markdown.to_html(
        "1. Run `PUT /v1/account/{account}/reconnect`\n   then wait.\n2. **Check** *it*.\n\n"
        "- one\n- two https://example.com/x.\n\nSee [the docs](https://docs.example.com/a)."
    )
    assert "<ol><li>Run <code>PUT /v1/account/{account}/reconnect</code> then wait.</li>" in html
    assert "<li><strong>Check</strong> <em>it</em>.</li></ol>" in html
    assert '<li>two <a href="https://example.com/x" rel="noreferrer noopener">' in html
    assert "https://example.com/x</a>.</li></ul>" in html  # the full stop is not in the link
    assert '<a href="https://docs.example.com/a" rel="noreferrer noopener">the docs</a>' in html
    assert "`" not in html


def test_markdown_escapes_everything_else() -> None:
    html = markdown.to_html(
        '<script>alert(1)</script> [x](javascript:alert(1)) [y](data:text/html,1) `<b>` a_b_c & "q"'
    )
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "<code>&lt;b&gt;</code>" in html
    assert "href" not in html  # only http(s) URLs become links
    assert "a_b_c" in html and "&amp;" in html
    filled = markdown.fill(markdown.to_html("`PUT /v1/account/{account}`"), "{account}", "<i>x")
    assert "<code>PUT /v1/account/&lt;i&gt;x</code>" in filled  # log text goes in escaped


# --- colours ------------------------------------------------------------------------------


def _css_vars(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):(#[0-9a-fA-F]{6})", block))


def _modes() -> dict[str, dict[str, str]]:
    css = TEMPLATE.read_text()
    light = css[css.index(":root {") :]
    dark = css[css.index("@media (prefers-color-scheme: dark)") :]
    dark = dark[dark.index(":root {") :]
    return {
        "light": _css_vars(light[: light.index("}")]),
        "dark": _css_vars(dark[: dark.index("}")]),
    }


def _linear(hex_color: str) -> list[float]:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def _luminance(hex_color: str) -> float:
    r, g, b = _linear(hex_color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _lab(hex_color: str) -> tuple[float, float, float]:
    r, g, b = _linear(hex_color)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _delta_e(a: str, b: str) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(_lab(a), _lab(b), strict=True)) ** 0.5)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_severity_badges_are_readable_and_distinct(mode: str) -> None:
    colours = _modes()[mode]
    for sev in SEVERITIES:
        ratio = _contrast(colours[f"sev-{sev}-bg"], colours[f"sev-{sev}-fg"])
        assert ratio >= 4.5, f"{mode} {sev}: badge text contrast {ratio:.2f} < 4.5"
    fills = [colours[f"sev-{sev}-bg"] for sev in SEVERITIES]
    for n, a in enumerate(fills):
        for b in fills[n + 1 :]:
            assert _delta_e(a, b) >= 25, f"{mode}: {a} and {b} look alike"
    for name in ("fg", "muted", "accent", "ok", "bad", "other"):
        assert _contrast(colours[name], colours["card"]) >= 4.5, f"{mode} --{name}"


def _category_colours(html: str) -> dict[str, str]:
    found = re.findall(r'<span class="cat" style="background:(#\w+)" title="([\w-]+)">', html)
    return {category: colour for colour, category in found}


def test_a_category_has_one_colour_in_every_report(tmp_path: Path) -> None:
    full = run(["analyze", SAMPLE, "--format", "html"], cwd=REPO, env=PINNED).stdout
    ticket = run(
        ["analyze", SAMPLE, "--account", "ops-graph", "--format", "html"], cwd=REPO, env=PINNED
    ).stdout
    in_full, in_ticket = _category_colours(full), _category_colours(ticket)
    assert in_ticket and set(in_ticket) < set(in_full)
    assert all(in_full[c] == colour for c, colour in in_ticket.items())
    assert len(set(in_full.values())) == len(in_full)  # categories do not share a colour
    legend = re.findall(r'<i style="background:(#\w+)"></i>([\w-]+) <b>', full)
    assert legend and all(in_full.get(c, colour) == colour for colour, c in legend)
    assert ">others<" not in full


# --- the page without a browser -----------------------------------------------------------


def _sample_report() -> tuple[str, dict[str, Any]]:
    html = run(["analyze", SAMPLE, "--format", "html"], cwd=REPO, env=PINNED).stdout
    data = json.loads(run(["analyze", SAMPLE, "--format", "json"], cwd=REPO, env=PINNED).stdout)
    return html, data


def test_page_reads_without_javascript() -> None:
    """Without JS: findings collapsed but listed, the filters (which need JS) hidden, the
    first table row the worst open finding, labels for people, no Markdown backticks."""
    html, data = _sample_report()
    assert '<div class="toolbar" id="toolbar" hidden>' in html
    assert re.search(r"<details class=\"finding\"[^>]* open", html) is None
    worst = data["findings"][0]
    first_row = html[html.index('<table class="now stack">') :].split("<tr data-sev=", 2)[1]
    assert f'href="#f-{worst["pattern"]}"' in first_row and escape(worst["action"]) in first_row
    assert "<dt>Errors counted</dt>" in html and "<dt>error_count</dt>" not in html
    docs = html[html.index('<div class="doc">') :]
    assert "<ol><li>" in docs and "<code>" in docs
    assert not re.search(r"`[^`<]+`", html[: html.index("<script>")].split("<main>")[1])
    incidents = html[html.index('id="incidents"') : html.index('id="accounts"')]
    severities = re.findall(r'<tr data-sev="(\w+)"', incidents)
    ranks = [SEVERITIES.index(s) for s in severities]
    assert ranks == sorted(ranks, reverse=True)  # worst first, not time order
    assert all(f"#f-{i['pattern']}" in incidents for i in data["incidents"])


def _many_accounts(path: Path, accounts: int, failing_every: int) -> Path:
    """Healthy accounts on four providers; every `failing_every`-th one rejects its password."""
    hosts = ["imap.gmail.com", "outlook.office365.com", "imap.mail.yahoo.com", "imap.mail.me.com"]
    lines = []
    for n in range(accounts):
        base = {"time": 1795420800000 + n, "pid": 7, "hostname": "ee", "account": f"user{n:05d}"}
        if n % failing_every == 0:
            err = {"message": "Command failed", "authenticationFailed": True}
            err["response"] = "2 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"
            lines.append({"level": 40, **base, "msg": "Failed to authenticate", "err": err})
        else:
            lines.append(
                {
                    "level": 30,
                    **base,
                    "msg": "Established secure TCP connection",
                    "host": hosts[n % 4],
                }
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_many_accounts_list_failing_ones_and_count_healthy_ones(tmp_path: Path) -> None:
    """A real run over the listing limit, then the same report grown to 50,000 accounts:
    failing accounts are all listed, healthy ones counted per provider, the page stays small."""
    log = _many_accounts(tmp_path / "many.log", 900, failing_every=30)
    result = run(["analyze", str(log), "--format", "json"], env=PINNED)
    report = json.loads(result.stdout)
    catalog = load_catalog()
    html = render(report, catalog, Format.HTML)
    failing = [a["account"] for a in report["accounts"] if a["failing"]]
    healthy = [a for a in report["accounts"] if not a["failing"]]
    assert len(failing) == 30
    assert all(f">{name}</" in html for name in failing)
    assert healthy and all(f">{a['account']}</" not in html for a in healthy)
    assert f"{len(healthy):,} healthy accounts not listed" in html
    grown = dict(report)
    grown["accounts"] = [
        {**account, "account": f"{account['account']}-{copy}"}
        for copy in range(56)
        for account in report["accounts"]
    ][:50_000]
    big = render(grown, catalog, Format.HTML)
    assert len(big.encode()) < 4_000_000, f"{len(big.encode()):,} bytes for 50,000 accounts"
    assert f"{sum(1 for a in grown['accounts'] if not a['failing']):,} healthy accounts" in big


# --- in a real browser --------------------------------------------------------------------


def _width(browser: Browser, width: int) -> None:
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.evaluate("new Promise(done => requestAnimationFrame(() => done(1)))")


def _shot(browser: Browser, path: Path, width: int, height: int) -> None:
    browser.evaluate("window.scrollTo(0, 0)")
    browser.evaluate("new Promise(done => requestAnimationFrame(() => done(1)))")
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = browser.send("Page.captureScreenshot", {"format": "png", "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))


VISIBLE_CARDS = (
    "Array.from(document.querySelectorAll('details.finding'))"
    ".filter(d => !d.hidden).map(d => d.dataset.sev)"
)


ALL_CARDS = "Array.from(document.querySelectorAll('details.finding'))"


def test_first_screen_filters_and_narrow_screen(
    chromium: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """One Chromium for every check. `--update-golden` also rewrites docs/report-*.png."""
    html, data = _sample_report()
    page = tmp_path / "report.html"
    page.write_text(html)
    worst = data["findings"][0]
    shots = REPO / "docs" if request.config.getoption("--update-golden") else tmp_path
    browser = Browser(chromium, tmp_path / "profile")
    try:
        browser.open_page(page.as_uri())
        _width(browser, 1400)
        row = browser.evaluate("""(() => { const r = document.querySelector('table.now tbody tr');
            const box = c => c.getBoundingClientRect().bottom;
            return {title: r.cells[1].textContent, action: r.cells[4].textContent,
                    bottom: Math.max(box(r.cells[1]), box(r.cells[4]))}; })()""")
        assert row["title"] == worst["title"] and row["action"] == worst["action"]
        assert row["bottom"] <= 900, "the worst finding is below the first screen"
        _shot(browser, shots / "report-1400.png", 1400, 900)
        _check_filters(browser)
        _check_links_and_details(browser, worst["pattern"])
        browser.events.clear()  # wait for the reload's own load event, not the first one
        browser.evaluate("history.replaceState(null, '', location.pathname); location.reload()")
        browser.wait_for("Page.loadEventFired")
        _width(browser, 400)
        assert browser.evaluate("document.documentElement.scrollWidth") <= 400
        browser.evaluate("document.getElementById('expand-all').click()")
        assert browser.evaluate("document.documentElement.scrollWidth") <= 400
        browser.evaluate("document.getElementById('collapse-all').click()")
        _shot(browser, shots / "report-400.png", 400, 900)
    finally:
        browser.close()


def _check_filters(browser: Browser) -> None:
    assert browser.evaluate("document.getElementById('toolbar').hidden") is False
    browser.evaluate("document.querySelector('[data-sev-toggle=high]').click()")
    browser.evaluate("document.querySelector('[data-sev-toggle=medium]').click()")
    shown = browser.evaluate(VISIBLE_CARDS)
    assert shown and set(shown) == {"critical", "low"}
    browser.evaluate("document.querySelector('a.tile[data-only=high]').click()")
    assert set(browser.evaluate(VISIBLE_CARDS)) == {"high"}
    rows = "Array.from(document.querySelectorAll('table.now tbody tr')).filter(r => !r.hidden)"
    assert browser.evaluate(f"{rows}.every(r => r.dataset.sev === 'high')")
    browser.evaluate("""(() => { const box = document.getElementById('provider-filter');
        box.value = 'gmail'; box.dispatchEvent(new Event('change')); })()""")
    gmail = browser.evaluate(f"{ALL_CARDS}.filter(d => !d.hidden).map(d => d.dataset.prov)")
    assert gmail and all(p == "" or "gmail" in p.split() for p in gmail)
    assert len(gmail) < browser.evaluate(f"{ALL_CARDS}.length")


def _check_links_and_details(browser: Browser, worst: str) -> None:
    # a row of "broken now" opens its finding, even one the filter had hidden
    browser.evaluate("document.querySelector('table.now tbody tr a').click()")
    assert browser.evaluate(f"(d => d.open && !d.hidden)(document.getElementById('f-{worst}'))")
    # an account name opens that account's own timeline
    target = browser.evaluate(
        "(() => { const a = document.querySelector('#accounts-table tbody a');"
        " a.click(); return a.getAttribute('href').slice(1); })()"
    )
    assert browser.evaluate(f"document.getElementById('{target}').open")
    browser.evaluate("document.getElementById('expand-all').click()")
    assert browser.evaluate(f"{ALL_CARDS}.every(d => d.open)")
    browser.evaluate("document.getElementById('collapse-all').click()")
    assert not browser.evaluate(f"{ALL_CARDS}.some(d => d.open)")
    browser.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert browser.evaluate("Array.from(document.querySelectorAll('details')).every(d => d.open)")
