"""Issue 21: --metrics writes Prometheus' text exposition format for node_exporter's textfile
collector, checked with Prometheus' own Python parser over two consecutive nights."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REPO, run
from nights import job_env, nightly_args, write_nights
from prometheus_client.parser import text_string_to_metric_families

import eelogs
from eelogs.metrics import escape_label, family

SAMPLE = str(REPO / "sample_logs/emailengine.log")
Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _series(text: str) -> Series:
    """Every sample of the file, keyed by name and sorted labels; parsing fails loudly."""
    out: Series = {}
    for metric in text_string_to_metric_families(text):
        assert metric.documentation, f"{metric.name} has no # HELP"
        assert metric.type == "gauge", metric.name
        for sample in metric.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in out, f"duplicate series {key}"
            out[key] = sample.value
    return out


def _value(series: Series, name: str, **labels: str) -> float:
    return series[(name, tuple(sorted(labels.items())))]


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Series, Series, str]:
    folder = tmp_path_factory.mktemp("metrics")
    log = write_nights(folder)
    prom = folder / "textfile" / "eelogs.prom"
    texts = []
    for night in (1, 2):
        result = run(nightly_args(log, folder, "--metrics", str(prom)), env=job_env(night))
        assert result.returncode == 0, result.stderr
        texts.append(prom.read_text())
    # only the file itself: the temporary file was renamed, none is left for the collector
    assert [p.name for p in prom.parent.iterdir()] == ["eelogs.prom"]
    return _series(texts[0]), _series(texts[1]), texts[1]


def test_the_second_night_has_the_expected_series(two_nights: tuple[Series, Series, str]) -> None:
    _first, second, _text = two_nights
    assert _value(second, "eelogs_open_findings", severity="high") == 2
    assert _value(second, "eelogs_open_findings", severity="critical") == 0
    assert _value(second, "eelogs_new_findings", severity="high") == 1  # carol's certificate
    cert = {"pattern": "tls-cert-expired", "severity": "high"}
    password = {"pattern": "auth-invalid-credentials", "severity": "high"}
    assert _value(second, "eelogs_finding_open", **cert) == 1
    assert _value(second, "eelogs_finding_events", **cert) == 1
    assert _value(second, "eelogs_finding_events", **password) == 2
    assert _value(second, "eelogs_finding_accounts", **password) == 1
    assert _value(second, "eelogs_failing_accounts", state="connectError", provider="unknown") == 1
    assert (
        _value(second, "eelogs_failing_accounts", state="authenticationError", provider="yahoo")
        == 1
    )
    assert _value(second, "eelogs_accounts") == 3
    assert _value(second, "eelogs_records") == 22
    assert _value(second, "eelogs_unparsed_lines") == 0
    run_time = datetime(2026, 11, 25, 0, 15, tzinfo=UTC).timestamp()  # EELOGS_NOW of night 2
    assert _value(second, "eelogs_last_run_timestamp_seconds") == run_time
    assert _value(second, "eelogs_info", version=eelogs.__version__) == 1


def test_the_first_night_had_no_certificate_series(two_nights: tuple[Series, Series, str]) -> None:
    first, _second, _text = two_nights
    assert _value(first, "eelogs_open_findings", severity="high") == 1
    # no earlier report: every open finding is new (the README's first-night rule)
    assert _value(first, "eelogs_new_findings", severity="high") == 1
    assert ("eelogs_finding_open", (("pattern", "tls-cert-expired"), ("severity", "high"))) not in (
        first
    )
    run_time = datetime(2026, 11, 24, 0, 15, tzinfo=UTC).timestamp()
    assert _value(first, "eelogs_last_run_timestamp_seconds") == run_time


def test_every_family_has_help_and_type_lines(two_nights: tuple[Series, Series, str]) -> None:
    text = two_nights[2]
    names = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    helps = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP ")}
    assert names == helps
    assert names >= {
        "eelogs_open_findings",
        "eelogs_finding_open",
        "eelogs_failing_accounts",
        "eelogs_records",
        "eelogs_unparsed_lines",
        "eelogs_last_run_timestamp_seconds",
        "eelogs_info",
    }
    assert text.endswith("\n")


@pytest.mark.parametrize(
    "value",
    ['a"quoted"id', "back\\slash", "new\nline", 'all \\ " \n three', "ünïcødé ✓", "trailing\\"],
)
def test_label_values_round_trip_through_prometheus_parser(value: str) -> None:
    text = "\n".join(
        family("eelogs_test", "gauge", 'help with \\ and\na "newline"', [({"pattern": value}, 3)])
    )
    (metric,) = text_string_to_metric_families(text + "\n")
    assert metric.documentation == 'help with \\ and\na "newline"'
    (sample,) = metric.samples
    assert sample.labels == {"pattern": value} and sample.value == 3
    assert "\n" not in escape_label(value)


def test_a_failed_run_leaves_the_previous_metrics_file(tmp_path: Path) -> None:
    prom = tmp_path / "eelogs.prom"
    prom.write_text("# previous\n")
    result = run(["analyze", str(tmp_path / "missing.log"), "--metrics", str(prom)])
    assert result.returncode == 2
    assert prom.read_text() == "# previous\n"  # last-run time stops: the job is broken


def test_metrics_to_an_unwritable_place_fails_before_reading(tmp_path: Path) -> None:
    a_file = tmp_path / "plain"
    a_file.write_text("x")
    result = run(["analyze", SAMPLE, "--metrics", str(a_file / "eelogs.prom")])
    assert result.returncode == 2
    assert result.stderr.startswith("Error: cannot write") and "Traceback" not in result.stderr


def test_a_name_the_collector_skips_is_warned_about(tmp_path: Path) -> None:
    target = tmp_path / "eelogs.txt"
    result = run(["analyze", SAMPLE, "--metrics", str(target)])
    assert result.returncode == 0
    assert "textfile collector reads only *.prom files, not eelogs.txt" in result.stderr
    assert _value(_series(target.read_text()), "eelogs_records") == 4997
