"""Issue 17: what the repository tells its users: install steps, links, the pattern format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, pattern_toml, run

from eelogs import accountrules, catalog, conditions, ruletables, signals

README = REPO / "README.md"
CONTRIB = REPO / "contrib"


def _install_steps() -> str:
    section = README.read_text().split("\n## Install as a service\n", 1)
    assert len(section) == 2, "README lost its 'Install as a service' section"
    block = re.search(r"```sh\n(.*?)```", section[1], re.S)
    assert block is not None
    return block.group(1)


def test_install_steps_name_every_file_in_contrib() -> None:
    named = set(re.findall(r"contrib/(\S+)", _install_steps()))
    assert named == {p.name for p in CONTRIB.iterdir()}


def test_units_run_the_eelogs_the_install_steps_put_on_path() -> None:
    steps = _install_steps()
    link = re.search(r"^ln -sf (\S+) (\S+)$", steps, re.M)
    assert link is not None, "the install steps no longer link eelogs onto PATH"
    venv = Path(link.group(1)).parent.parent  # …/bin/eelogs of the venv the steps make
    assert re.search(rf"^python3 -m venv {re.escape(str(venv))}$", steps, re.M)
    assert re.search(rf"^{re.escape(str(venv))}/bin/pip install \.$", steps, re.M)
    runs = {}
    for path in CONTRIB.iterdir():
        commands = [  # what runs: not comments, not a unit's Description=
            line
            for line in path.read_text().splitlines()
            if not line.startswith(("#", "Description="))
        ]
        text = "\n".join(commands)
        runs[path.name] = set(re.findall(r"(/[\w./-]*/eelogs)\s+(?:analyze|watch)\b", text))
        bare = re.findall(r"(?<![/\w])eelogs\s+(?:analyze|watch)\b", text)
        assert bare == [], f"{path.name} runs eelogs from PATH, not {link.group(2)}"
    expected = {link.group(2)}
    for name in ("eelogs-nightly.service", "eelogs-watch.service", "cron.d-eelogs"):
        assert runs.pop(name) == expected, name
    assert all(found in (set(), expected) for found in runs.values()), runs
    nightly = (CONTRIB / "eelogs-nightly.service").read_text()
    assert f"ExecStart={link.group(2)} analyze" in nightly


def _relative_links(doc: Path) -> list[str]:
    text = doc.read_text()
    targets = re.findall(r"\]\(([^)\s]+)[^)]*\)", text)  # [text](target), ![alt](target)
    targets += re.findall(r"`(\.\.?/[^`\s]+)`", text)  # a path written as code: `../x.md`
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]


@pytest.mark.parametrize(
    "doc", [README, *sorted((REPO / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_relative_links_resolve_inside_the_repository(doc: Path) -> None:
    """A link out of the repository (../shared/…) is dead in every clone."""
    for target in _relative_links(doc):
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(REPO) and path.exists(), f"{doc.name}: {target}"


def test_pattern_format_doc_names_every_key_the_loader_accepts() -> None:
    doc = (REPO / "docs/pattern-format.md").read_text()
    prose = re.sub(r"```.*?```", "", doc, flags=re.S)  # inline code only, not the fences
    words = set(re.findall(r"`([^`\n]+)`", prose))
    keys = catalog.TOP_KEYS | catalog.DOC_KEYS | conditions.EXAMPLE_KEYS | catalog.FIELD_KEYS
    keys |= ruletables.CONTEXT_KEYS | ruletables.CODE_KEYS | ruletables.EXPECTED_KEYS
    keys |= accountrules.TRANSITION_KEYS | accountrules.RECOVERY_KEYS | accountrules.CLUE_KEYS
    keys |= accountrules.LOOKUP_KEYS | accountrules.AUTH_KEYS
    keys |= accountrules.STATE_EXAMPLE_KEYS | accountrules.PROVIDER_EXAMPLE_KEYS
    keys |= set(accountrules.LOOKUP_TABLES) | {accountrules.UNCHANGED}
    choices = (
        catalog.SEVERITIES,
        catalog.SCOPES,
        catalog.PROVIDERS,
        catalog.DETECTORS,
        catalog.SIGNAL_KINDS,
        conditions.EXPECTS,
        accountrules.STATES,
        conditions.VIRTUAL_PATHS,
        tuple(conditions.LEVELS),
        signals.KINDS,
    )
    missing = sorted(k for k in keys.union(*choices) if k not in words)
    missing += [f"|{m}" for m in conditions.MODIFIERS if f"`\\|{m}`" not in doc]
    assert missing == [], f"docs/pattern-format.md does not mention {missing}"


def test_pattern_format_doc_example_passes_the_check(tmp_path: Path) -> None:
    doc = (REPO / "docs/pattern-format.md").read_text()
    example = re.search(r"## A complete example\n\n```toml\n(.*?)```", doc, re.S)
    assert example is not None
    pattern_id = re.search(r'^id = "([^"]+)"$', example.group(1), re.M)
    assert pattern_id is not None
    (tmp_path / f"{pattern_id.group(1)}.toml").write_text(example.group(1))
    result = run(["patterns", "check", str(tmp_path)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "ok: 1 pattern, 2 examples\n"


def test_a_fields_table_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    text = pattern_toml("custom-x", '"msg" = "x"', '{"level":50,"time":1,"msg":"x"}')
    text = text.replace("[docs]", '[fields]\ncode = { path = "err.code", regex = "E" }\n\n[docs]')
    (tmp_path / "custom-x.toml").write_text(text)
    result = run(["patterns", "check", str(tmp_path)])
    assert result.returncode == 2
    assert "fields.code.regex: unknown key" in result.stderr
    assert "Hint: known keys: path, re" in result.stderr
