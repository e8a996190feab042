"""Where the shipped catalog and report templates live, installed or in a checkout."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the shipped `patterns` or `reports` folder.

    A wheel carries them under eelogs/_data (see pyproject's force-include); a checkout or an
    editable install has them beside the package.
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"eelogs installation is missing its {name}/ folder")
