"""The ``autograder`` command: a thin layer over :mod:`autograder.api`."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import api
from .course import Course, CourseError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build, grade and report on the assignments of a PyTorch course.")
console = Console()
CourseOption = typer.Option(None, "--course", help="Course folder (default: the nearest "
                            "folder with solutions/ at or above the current one).")


def _course(path: Optional[Path]) -> Course:
    try:
        return Course(path) if path else Course.find()
    except CourseError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2)


def _assignments(course: Course, hw: str) -> list[str]:
    return course.assignments() if hw == "all" else [hw]


@app.command()
def build(hw: str = typer.Argument(..., help="Assignment, e.g. hw1, or 'all'."),
          course: Optional[Path] = CourseOption,
          otter: bool = typer.Option(True, help="Run otter assign (--no-otter: fixtures only)."),
          check: bool = typer.Option(True, help="Self-check: solution full marks, stub 0."),
          device: str = typer.Option("cpu", help="Device for the self-check: auto|cpu|cuda.")):
    """Build student notebooks (assignments/HW) and hidden fixtures (build/HW), then self-check."""
    c = _course(course)
    failed = False
    for name in _assignments(c, hw):
        try:
            report = api.build(name, c, otter=otter, check=check, device=device)
        except CourseError as e:
            console.print(f"[red]✗ {name}: {e}[/red]")
            failed = True
            continue
        line = (f"[green]✓[/green] {name}: {report.student_notebook.relative_to(c.root)}, "
                f"{report.cases} cases ({report.hidden_cases} hidden), fixtures "
                f"{'regenerated' if report.fixtures_regenerated else 'up to date'}")
        if report.solution and report.stub:
            line += (f"; self-check: solution {report.solution.score:g}/"
                     f"{report.solution.max_score:g}, stub {report.stub.score:g}")
        console.print(line)
    if failed:
        raise typer.Exit(1)


@app.command()
def grade(hw: str = typer.Argument(..., help="Assignment, e.g. hw1."),
          submissions: List[Path] = typer.Argument(..., help="Notebooks, folders or zips."),
          out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
          course: Optional[Path] = CourseOption,
          workers: Optional[int] = typer.Option(None, help="Parallel workers (default: cores)."),
          device: str = typer.Option("auto", help="auto|cpu|cuda"),
          isolation: str = typer.Option("process", help="Isolation level.")):
    """Grade SUBMISSIONS of HW into OUT/results/*.json and OUT/gradebook.csv."""
    c = _course(course)
    try:
        run = api.grade(hw, submissions, out, c, workers=workers, device=device,
                        isolation=isolation)
    except CourseError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2)
    print_gradebook(run)


@app.command()
def demo(out: Path = typer.Option(Path("out/demo"), "-o", "--out", help="Output folder."),
         course: Optional[Path] = CourseOption):
    """The main job on the bundled example course: build, grade the examples, gradebooks."""
    c = _course(course)
    try:
        run = api.demo(out, c, log=lambda s: console.print(f"[bold]→ {s}[/bold]"))
    except CourseError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1)
    for g in run.grades:
        print_gradebook(g)
    console.print(f"[green]demo complete: {out}[/green]")


def print_gradebook(run: "api.GradeRun") -> None:
    frame = run.gradebook
    table = Table(title=f"{run.assignment}: {len(frame)} submissions → {run.out}/gradebook.csv")
    shown = [c for c in frame.columns if c not in ("isolation",)]
    for col in shown:
        table.add_column(col, overflow="fold", max_width=60 if col == "message" else None)
    for _, row in frame.iterrows():
        table.add_row(*[f"{v:g}" if isinstance(v, float) else str(v) for v in row[shown]])
    console.print(table)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
