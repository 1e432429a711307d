"""The jinja2 environment for everything rendered from ``templates/``."""
from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import jinja2

from ..textsafe import clean, markdown

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = _PACKAGE_ROOT / "templates"


def _num(value, digits: int = 2) -> str:
    """A score for people: 3, 2.5, 1.33 (no trailing zeros), '' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pct(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{100 * float(value):.{digits}f}%"


def _seconds(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    if value < 1:
        return f"{1000 * value:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min"


def _when(value) -> str:
    """An ISO 8601 time for people: 2026-02-19 23:59 +08:00."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    text = moment.strftime("%Y-%m-%d %H:%M")
    if moment.tzinfo is not None:
        offset = moment.strftime("%z")
        text += " UTC" if offset == "+0000" else f" {offset[:3]}:{offset[3:]}"
    return text


@lru_cache(maxsize=8)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters.update(num=_num, pct=_pct, seconds=_seconds, md=markdown, when=_when,
                       clean=clean)
    return env


def environment(templates: str | Path | None = None) -> jinja2.Environment:
    """The environment for ``templates`` (default: the repository's ``templates/``)."""
    return _environment(str(Path(templates) if templates else TEMPLATES))
