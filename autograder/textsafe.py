"""Text a student controls, made safe for each place it goes.

Everything a submission controls (its file name, hence its student id; its printed output; its
exception messages) is data. Before it is stored or shown it goes through one of these:

* :func:`clean`: valid Unicode that encodes as UTF-8 (lone surrogates, which no encoder accepts,
  become U+FFFD), without terminal escape sequences (ANSI CSI/OSC), other control characters
  (C0 but tab and newline, DEL, C1) or the invisible characters that reorder or hide text (bidi
  embeddings, overrides and isolates, line and paragraph separators). For stored text.
* :func:`one_line`: :func:`clean`, with tabs and newlines as spaces. For a table cell.
* :func:`csv_cell` / :func:`csv_frame`: a cell a spreadsheet would read as a formula (one that
  starts with ``= + - @``, a tab or a carriage return, after any leading spaces) gets a leading
  ``'`` (the OWASP rule); plain numbers, negative ones included, stay numbers.
* :func:`terminal`: a :class:`rich.text.Text` of :func:`one_line`: Rich prints it as it is,
  without reading ``[...]`` as markup.
* :func:`markdown`: Markdown that renders as the literal text: link, image, emphasis, code,
  table and HTML syntax escaped.

HTML is escaped by jinja2's autoescaping (:mod:`autograder.report.render`).
"""
from __future__ import annotations

import math
import re
from typing import Any

REPLACEMENT = "\ufffd"
INVALID_NOTE = "text that was not valid Unicode was replaced by \ufffd"

_SURROGATES = re.compile("[\ud800-\udfff]")
# ESC-introduced sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC strings (up to BEL
# or ESC \\), and two-character escapes; then C1's single-byte CSI and OSC forms
_ESCAPES = re.compile(
    "\x1b\\[[0-?]*[ -/]*[@-~]?"
    "|\x1b[\\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)?"
    "|\x1b[ -~]?"
    "|\x9b[0-?]*[ -/]*[@-~]?"
    "|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)?")
# what is left: C0 controls but tab and newline, DEL, C1; bidi marks, embeddings, overrides and
# isolates; line and paragraph separators; zero-width no-break space (BOM)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                       "\u2066-\u2069\u2028\u2029\ufeff]")
_UNSAFE = re.compile(f"{_SURROGATES.pattern}|{_CONTROLS.pattern}")
_LINE_BREAKS = re.compile("[\t\n]+")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")

_MD_SPECIAL = re.compile(r"([\\`\[\]|])")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def clean_noted(value: Any) -> tuple[str, bool]:
    """(:func:`clean` of ``value``, whether text that was not valid Unicode was replaced)."""
    text = _text(value)
    if not _UNSAFE.search(text):  # the common case: nothing to do
        return text, False
    invalid = bool(_SURROGATES.search(text))
    if invalid:
        text = _SURROGATES.sub(REPLACEMENT, text)
    text = text.replace("\r\n", "\n")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    return text, invalid


def clean(value: Any) -> str:
    """Stored text: valid UTF-8, no control characters but tab and newline (see the module)."""
    return clean_noted(value)[0]


def one_line(value: Any) -> str:
    """:func:`clean`, on one line."""
    return _LINE_BREAKS.sub(" ", clean(value))


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (not a plain number)."""
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped.startswith(_FORMULA_START) \
        and not _NUMBER.fullmatch(stripped)


def csv_cell(value: Any) -> Any:
    """A CSV cell: text cleaned and, if a spreadsheet would read it as a formula, prefixed with
    ``'``; anything that is not text is returned as it is."""
    if not isinstance(value, (str, bytes)):
        return value
    text = clean(value)
    return "'" + text if is_formula(text) else text


def _text_columns(frame) -> list:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return [c for c in frame.columns
            if not (is_numeric_dtype(frame[c].dtype) or is_bool_dtype(frame[c].dtype))]


def csv_frame(frame):
    """A copy of a pandas frame whose text cells and column names are :func:`csv_cell`'s."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(csv_cell).astype(object)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def text_frame(frame):
    """A copy of a pandas frame whose text cells are :func:`clean`'s (for Parquet and other
    typed formats, where a cell is never a formula but must still be valid UTF-8)."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(lambda v: clean(v) if isinstance(v, (str, bytes))
                                      else v)
    return out


def terminal(value: Any):
    """What Rich prints for a student-controlled value: its :func:`one_line` text, never
    interpreted as markup."""
    from rich.text import Text

    return Text(one_line(value))


def markdown(value: Any) -> str:
    """Text that Markdown renders as itself, on one line (a table cell or a line of text)."""
    text = one_line(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def number_or_text(value: Any) -> str:
    """A value for a terminal table: numbers as ``%g``, NaN as empty, text as :func:`one_line`."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:g}"
    return one_line(value)
