"""``autograder quiz generate|export|grade|bank|simulate``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..cli_common import App
from . import run
from .model import draw, generators
from .spec import SpecError

quiz_app = App(no_args_is_help=True, help="The mid-term quiz: per-student variants, "
              "papers and keys, LMS exports, grading.")
app = quiz_app  # the name autograder/cli.py imports
console = Console()
SpecArg = typer.Argument(..., help="Quiz spec, e.g. examples/quiz/midterm.toml.")


def _fail(e: Exception) -> None:
    console.print(f"[red]{e}[/red]")
    raise typer.Exit(2)


@quiz_app.command()
def generate(spec: Path = SpecArg,
             roster: Path = typer.Option(..., "--roster", help="CSV with a student_id (and name) column."),
             out: Path = typer.Option(Path("out/quiz"), "-o", "--out"),
             pdf: bool = typer.Option(True, help="Also print papers and keys to PDF (headless Chromium).")):
    """Per-student papers (HTML + PDF) and keys, keys.pdf, quiz.json, moodle.xml, qti.zip, keys.csv."""
    try:
        rep = run.generate(spec, roster, out, pdf=pdf)
    except (SpecError, FileNotFoundError) as e:
        _fail(e)
    console.print(f"[green]✓[/green] {len(rep.papers)} papers, {len(rep.keys)} keys, "
                  f"{len(rep.pdfs)} PDFs; {', '.join(p.name for p in rep.exports)} → {out}")
    if rep.pdf_error:
        console.print(f"[yellow]PDF skipped: {rep.pdf_error}[/yellow]")


@quiz_app.command()
def export(spec: Path = SpecArg, out: Path = typer.Option(Path("out/quiz"), "-o", "--out")):
    """Question pools only: quiz.json, moodle.xml (numeric tolerances), qti.zip (Canvas QTI 1.2)."""
    try:
        paths = run.export(spec, out)
    except (SpecError, FileNotFoundError) as e:
        _fail(e)
    console.print(f"[green]✓[/green] {', '.join(str(p) for p in paths)}")


@quiz_app.command()
def grade(spec: Path = SpecArg,
          responses: Path = typer.Argument(..., help="CSV: student_id, q1..qN (MC: B, MA: A;C, TF: T/F)."),
          roster: Optional[Path] = typer.Option(None, "--roster", help="Roster, to report absentees."),
          out: Path = typer.Option(Path("out/quiz"), "-o", "--out")):
    """Grade each student against their own variant: scores.csv, stats.csv, stats.html, ..."""
    try:
        rep = run.grade(spec, responses, roster, out)
    except (SpecError, FileNotFoundError, ValueError) as e:
        _fail(e)
    g = rep.graded
    console.print(f"[green]✓[/green] {len(g)} students, mean {g['score'].mean():.2f}/"
                  f"{g['max_score'].max() if len(g) else 0:g} → {rep.scores}, {rep.stats}, "
                  f"{rep.stats_html}")
    for line in rep.issues:
        console.print(f"[yellow]! {escape(line)}[/yellow]")  # answers are the students' text


@quiz_app.command("bank")
def bank_table(unit: Optional[str] = typer.Argument(None, help="U1..U5 or a row like U3.6.")):
    """List the question generators (name, syllabus row, topic, type, an example)."""
    table = Table(title="quiz bank")
    for col in ("generator", "row", "topic", "type", "example"):
        table.add_column(col, overflow="fold", max_width=70 if col == "example" else 30)
    gens = generators(unit)
    for g in gens:
        q = draw(g.name, 0)
        table.add_row(g.name, g.row, g.topic, q.qtype, q.text[:140] + ("…" if len(q.text) > 140 else ""))
    console.print(table)
    console.print(f"{len(gens)} generators")


@quiz_app.command()
def simulate(spec: Path = SpecArg,
             roster: Path = typer.Option(..., "--roster"),
             out: Path = typer.Option(..., "-o", "--out", help="Responses CSV to write.")):
    """Example responses (examples/quiz/responses.csv): the first two students right, the
    next ones less and less right, the last one copies the first one's sheet."""
    path = run.write_example_responses(spec, roster, out)
    console.print(f"[green]✓[/green] {path}")
