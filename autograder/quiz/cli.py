"""``autograder quiz generate|export|grade``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from . import run

quiz_app = typer.Typer(no_args_is_help=True, help="The mid-term quiz: variants, exports, grading.")
console = Console()


@quiz_app.command()
def generate(spec: Path = typer.Argument(..., help="Quiz spec, e.g. examples/quiz/midterm.toml."),
             roster: Path = typer.Option(..., "--roster", help="CSV with a student_id column."),
             out: Path = typer.Option(Path("out/quiz"), "-o", "--out"),
             pdf: bool = typer.Option(True, help="Also print papers to PDF (headless Chromium).")):
    """Per-student papers (HTML + PDF) and keys, quiz.json, moodle.xml, qti.zip."""
    rep = run.generate(spec, roster, out, pdf=pdf)
    console.print(f"[green]✓[/green] {len(rep.papers)} papers, {len(rep.pdfs)} PDFs, "
                  f"{len(rep.keys)} keys, exports: {', '.join(p.name for p in rep.exports)} → {out}")
    if rep.pdf_error:
        console.print(f"[yellow]PDF skipped: {rep.pdf_error}[/yellow]")


@quiz_app.command()
def export(spec: Path = typer.Argument(...),
           out: Path = typer.Option(Path("out/quiz"), "-o", "--out")):
    """Question pools only: quiz.json, moodle.xml (numeric tolerances), qti.zip (Canvas QTI 1.2)."""
    paths = run.export(spec, out)
    console.print(f"[green]✓[/green] {', '.join(str(p) for p in paths)}")


@quiz_app.command()
def grade(spec: Path = typer.Argument(...),
          responses: Path = typer.Argument(..., help="CSV: student_id, q1..qN (MA as A;C)."),
          roster: Path = typer.Option(..., "--roster"),
          out: Path = typer.Option(Path("out/quiz"), "-o", "--out")):
    """Grade each student against their own variant: scores.csv, stats.csv, stats.html."""
    rep = run.grade(spec, responses, roster, out)
    g = rep.graded
    console.print(f"[green]✓[/green] {len(g)} students, mean {g['score'].mean():.2f}/"
                  f"{g['max_score'].max():g} → {rep.scores}, {rep.stats}, {rep.stats_html}")
