"""What a live payload looks like in each kind of file the grader writes, and a reader that looks
for one in every file under a folder.

A payload is live when the program that opens the file would act on it instead of showing it:
a CSV cell a spreadsheet reads as a formula, a terminal escape sequence or control character, a
bidi override that reorders what a reader sees, an HTML tag or a Markdown link built from a
student's text, text that is not valid UTF-8.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

from autograder.textsafe import is_formula

# C0 controls but tab, newline and carriage return; DEL; C1; bidi controls; line separators
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069\u2028\u2029\ud800-\udfff]")
# a Markdown link or image whose brackets are not escaped
MD_LINK = re.compile(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\(")
MD_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:")
# the tags and attributes the hostile inputs carry (the pages' own markup never has these)
HTML_PAYLOADS = re.compile(r"<(?:img src=x|svg|iframe|b>PWN|script>alert)|href=\"?javascript:",
                           re.I)
MD_HTML = re.compile(r"<(?:img|svg|iframe|script|b>)", re.I)
# Rich markup that would have been interpreted had it been printed as markup
RICH_TAGS = ("[link=", "[@click", "[/]")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _text_problems(where: str, text: str) -> list[str]:
    found = CONTROLS.search(text)
    return [f"{where}: control character {found.group(0)!r}"] if found else []


def _csv_problems(path: Path, text: str) -> list[str]:
    problems = []
    for i, row in enumerate(csv.reader(io.StringIO(text))):
        for cell in row:
            if is_formula(cell):
                problems.append(f"{path}: row {i + 1}: formula cell {cell[:60]!r}")
    return problems


def _sqlite_problems(path: Path) -> list[str]:
    problems = []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in conn.execute(f"select * from {table}"):  # noqa: S608 - our own tables
                for value in row:
                    if not isinstance(value, str):
                        continue
                    problems += _text_problems(f"{path}:{table}", value)
                    if value.startswith("{"):
                        try:
                            data = json.loads(value)
                        except ValueError:
                            continue
                        for s in _strings(data):
                            problems += _text_problems(f"{path}:{table} (json)", s)
    finally:
        conn.close()
    return problems


def live_payloads(path: Path) -> list[str]:
    """What in the file at ``path`` a program opening it would act on; [] when nothing."""
    suffix = path.suffix.lower()
    if suffix in (".sqlite", ".db") or path.name.endswith((".sqlite-wal", ".sqlite-shm")):
        return _sqlite_problems(path) if suffix == ".sqlite" else []
    if suffix == ".parquet":
        import pandas as pd

        frame = pd.read_parquet(path)
        return [p for column in frame.columns
                for v in frame[column] if isinstance(v, str)
                for p in _text_problems(f"{path}:{column}", v)]
    if suffix in (".png", ".pdf", ".zip"):
        return []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"{path}: not valid UTF-8 ({e})"]
    problems = _text_problems(str(path), text.replace("\r\n", "\n"))
    if suffix == ".csv":
        problems += _csv_problems(path, text)
    elif suffix == ".json":
        problems += [p for s in _strings(json.loads(text)) for p in _text_problems(str(path), s)]
    elif suffix in (".html", ".htm"):
        problems += [f"{path}: live HTML {m.group(0)!r}" for m in HTML_PAYLOADS.finditer(text)]
    elif suffix == ".md":
        problems += [f"{path}: live Markdown {m.group(0)!r}" for m in MD_LINK.finditer(text)]
        problems += [f"{path}: live Markdown {m.group(0)!r}"
                     for m in MD_AUTOLINK.finditer(text)]
        problems += [f"{path}: HTML in Markdown {m.group(0)!r}" for m in MD_HTML.finditer(text)]
    return problems


def every_file(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def payloads_under(root: Path) -> list[str]:
    return [p for path in every_file(root) for p in live_payloads(path)]


def terminal_problems(output: str) -> list[str]:
    """What a terminal would act on in ``output`` (what a command printed)."""
    return _text_problems("terminal", output)
