"""The ``autograder`` command: a thin layer over :mod:`autograder.api`.

Exit codes (:mod:`autograder.cli_common`, the same for every command): 0 done; 1 the
command's own work failed (a build's self-check); 2 usage: nothing was done (an unknown option,
value or assignment, a path that does not exist, no course configuration); 3 ``grade``
finished but some submissions could not be graded normally; 130 interrupted."""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from . import api
from . import cli_common as codes
from .cli_common import App
from .course import Course, CourseError
from .grade.options import GradeOptions
from .quiz.cli import quiz_app
from .sandbox.isolation import IsolationError
from .textsafe import number_or_text, one_line, terminal

app = App(add_completion=False, no_args_is_help=True,
          help="Build, grade and report on the assignments of a PyTorch course. Exit codes: "
          "0 done; 1 the work failed (a build's self-check); 2 usage (nothing done); 3 some "
          "submissions could not be graded; 130 interrupted.")
app.add_typer(quiz_app, name="quiz")
console = Console()
CourseOption = typer.Option(None, "--course", help="Course folder (default: the nearest "
                            "folder with solutions/ at or above the current one).")


def _course(path: Optional[Path]) -> Course:
    try:
        return Course(path) if path else Course.find()
    except CourseError as e:
        console.print(Text(one_line(e), style="red"))
        raise typer.Exit(codes.USAGE)


def _usage_error(message: str) -> typer.Exit:
    console.print(Text(one_line(message), style="red"))
    return typer.Exit(codes.USAGE)


def _assignments(course: Course, hw: str, allow_all: bool = True) -> list[str]:
    """The assignments ``hw`` names; an unknown one is a usage error (exit 2) for every
    command, before anything runs."""
    known = course.assignments()
    if allow_all and hw == "all":
        return known
    if hw not in known:
        raise _usage_error(f"unknown assignment {hw!r} (known: {', '.join(known) or 'none'}"
                           + (", or all)" if allow_all else ")"))
    return [hw]


def _submission_paths(submissions: List[Path]) -> None:
    """Every submission path must exist; a missing one is a usage error (exit 2) before
    anything is graded or stored, with a hint when it is a flag's supposed value
    (``--regrade true``)."""
    for path in submissions:
        if path.exists():
            continue
        if str(path).lower() in codes.BOOLEAN_WORDS:
            raise _usage_error(f"{str(path)!r} is not a submission: flags such as --regrade and "
                               f"--quiet take no value (write --regrade, not --regrade "
                               f"{path})")
        raise _usage_error(f"no such file or folder: {path}")


@app.command()
def build(hw: str = typer.Argument(..., metavar="HW", help="Assignment, e.g. hw1, or 'all'."),
          course: Optional[Path] = CourseOption,
          otter: bool = typer.Option(True, help="Run otter assign (--no-otter: fixtures only)."),
          check: bool = typer.Option(True, help="Self-check: solution full marks, stub 0."),
          device: str = typer.Option("cpu", help="Device for the self-check: auto|cpu|cuda."),
          config: Optional[Path] = typer.Option(
              None, "--config", help="Course configuration (course.toml): with a [server] url, "
              "the notebook ends with a cell that submits to the course server.")):
    """Build student notebooks (assignments/HW) and hidden fixtures (build/HW), then self-check."""
    c = _course(course)
    failed = False
    for name in _assignments(c, hw):
        try:
            report = api.build(name, c, otter=otter, check=check, device=device, config=config)
        except CourseError as e:
            console.print(Text(one_line(f"✗ {name}: {e}"), style="red"))
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
        raise typer.Exit(codes.FAILED)


@app.command()
def grade(hw: str = typer.Argument(..., metavar="HW", help="Assignment, e.g. hw1."),
          submissions: List[Path] = typer.Argument(..., metavar="SUBMISSION",
                                                   help="Notebooks, folders or zips."),
          out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
          course: Optional[Path] = CourseOption,
          workers: Optional[int] = typer.Option(None, help="Parallel workers (default: cores)."),
          device: str = typer.Option("auto", help="auto|cpu|cuda"),
          isolation: str = typer.Option(
              "auto", help="Isolation of each submission: auto (the strongest this host "
              "allows) | namespaces | userns | landlock | process. See docs/ISOLATION.md."),
          store: Optional[str] = typer.Option(
              None, help="Results store, an SQLAlchemy URL (default: sqlite:///OUT/results.sqlite)."),
          executor: str = typer.Option("local", help="local (warm workers in this process) | "
                                       "dask (a Dask cluster; without --scheduler, a local "
                                       "cluster of --workers processes)"),
          scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address (with "
                                                  "--executor dask), e.g. tcp://host:8786."),
          regrade: bool = typer.Option(False, "--regrade", help="Grade everything again, "
                                       "even submissions the store has results for."),
          gpu_memory_fraction: Optional[float] = typer.Option(
              None, help="With --device cuda: the share of the GPU's memory each sandbox may "
              "use (default 0.9 / the sandboxes sharing it)."),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="No table, no progress bar.")):
    """Grade SUBMISSIONs of HW into OUT/results/*.json, the results store and OUT/gradebook.csv.

    Submissions graded before (same bytes, fixtures and grader) are not graded again; an
    interrupted run keeps every finished result, and running it again resumes. Exit code 0:
    every submission graded; 3: some could not be (their rows say why); 2: usage."""
    c = _course(course)
    _assignments(c, hw, allow_all=False)
    _submission_paths(submissions)
    try:
        options = GradeOptions(workers=workers, device=device, isolation=isolation, store=store,
                               executor=executor, scheduler=scheduler, regrade=regrade,
                               gpu_memory_fraction=gpu_memory_fraction)
    except ValueError as e:
        raise _usage_error(str(e))
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]:.2f}/s"), TimeElapsedColumn(),
                        TextColumn("ETA"), TimeRemainingColumn(),
                        TextColumn("failures: {task.fields[failures]}"),
                        console=console, disable=quiet, transient=False)
    task = progress.add_task(f"grading {hw}", total=None, rate=0.0, failures=0)
    counts = {"graded": 0, "reused": 0, "failures": 0}
    started = [time.perf_counter()]

    def begin(to_grade: int, reused: int) -> None:
        started[0] = time.perf_counter()
        label = f"grading {hw}" + (f" ({reused} unchanged)" if reused else "")
        progress.update(task, total=to_grade, description=label)

    def advance(result, reused: bool) -> None:
        if reused:
            counts["reused"] += 1
            return
        counts["graded"] += 1
        counts["failures"] += result.status != "graded"
        progress.update(task, advance=1, failures=counts["failures"],
                        rate=counts["graded"] / max(time.perf_counter() - started[0], 1e-9))

    t0 = time.perf_counter()
    try:
        with progress:
            run = api.grade(hw, submissions, out, c, options=options, on_start=begin,
                            on_result=advance)
    except (CourseError, IsolationError) as e:
        raise _usage_error(str(e))
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted: {counts['graded']} submissions graded in this "
                      f"run are kept in the store; run the same command again to resume[/yellow]")
        raise typer.Exit(codes.INTERRUPTED)
    if not quiet:
        print_gradebook(run)
    seconds = time.perf_counter() - t0
    graded = len(run.results) - run.reused
    statuses = dict(sorted(Counter(r.status for r in run.results).items()))
    rate = f" ({graded / max(seconds, 1e-9):.2f}/s)" if graded else ""
    console.print(f"{len(run.results)} submissions in {seconds:.1f} s: {graded} graded{rate}, "
                  f"{run.reused} unchanged (reused); status {statuses}; "
                  f"failures {sum(n for s, n in statuses.items() if s != 'graded')}; "
                  f"store {run.store}", markup=False, highlight=False)
    if any(r.status != "graded" for r in run.results):
        raise typer.Exit(codes.UNGRADED)


@app.command()
def similarity(hw: str = typer.Argument(..., help="Assignment, e.g. hw3."),
               submissions: List[Path] = typer.Argument(..., help="Notebooks, folders or zips."),
               out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
               previous: List[Path] = typer.Option(
                   [], "--previous", help="Earlier terms' submissions (a folder or zip; repeat)."),
               floor: Optional[float] = typer.Option(
                   None, help="Lowest score listed (0-1; default 0.25)."),
               course: Optional[Path] = CourseOption):
    """Similar answers: every pair of submissions compared, the starter code excluded."""
    c = _course(course)
    _assignments(c, hw, allow_all=False)
    if floor is not None and not 0 <= floor <= 1:
        raise _usage_error(f"--floor {floor:g}: a share between 0 and 1")
    try:
        run = api.similarity(hw, submissions, out, c, previous=previous, floor=floor)
    except CourseError as e:
        raise _usage_error(str(e))
    for m in run.matches[:10]:
        line = Text(f"{m.score:.2f}  ")
        line.append(one_line(m.a.student_id))
        line.append("  ")
        line.append(one_line(m.b.student_id))
        if m.b.previous:
            line.append("  (earlier term)")
        console.print(line)
    for name, why in run.skipped:
        console.print(Text(f"not compared: {one_line(name)}: {one_line(why)}", style="yellow"))
    console.print(Text(f"{run.compared} submissions compared ({run.previous} from earlier terms) "
                       f"in {run.seconds:.1f} s; {len(run.matches)} pairs above the floor: "
                       f"{run.csv}, {run.html}"))


@app.command()
def demo(out: Path = typer.Option(Path("out/demo"), "-o", "--out", help="Output folder."),
         course: Optional[Path] = CourseOption):
    """The main job on the bundled example course: build, grade the examples, gradebooks."""
    c = _course(course)
    try:
        run = api.demo(out, c, log=lambda s: console.print(f"[bold]→ {s}[/bold]"))
    except CourseError as e:
        console.print(Text(one_line(e), style="red"))
        raise typer.Exit(codes.FAILED)
    for g in run.grades:
        print_gradebook(g)
    if run.quiz is not None:
        console.print(f"quiz: papers, keys, quiz.json, moodle.xml, qti.zip and scores.csv in "
                      f"{Path(out) / 'quiz'}")
    if run.published is not None:  # course gradebook, Canvas CSV, feedback, reports
        print_publish(run.published)
    console.print(f"[green]demo complete: {out}[/green]")


def print_gradebook(run: "api.GradeRun") -> None:
    """The assignment's gradebook as a table. Every cell is plain text (ids and messages come
    from submissions: never read as Rich markup, control characters removed); a row that
    cannot be shown is replaced by one that says so."""
    frame = run.gradebook
    table = Table(title=Text(one_line(f"{run.assignment}: {len(frame)} submissions → "
                                      f"{run.out}/gradebook.csv")))
    for col in ("student_id", "submission", "score", "status", "message"):
        table.add_column(col, overflow="fold", max_width=70 if col == "message" else 28)
    for _, row in frame.iterrows():
        try:
            message = one_line(row["message"] if isinstance(row["message"], str) else "")
            table.add_row(terminal(row["student_id"]), terminal(row["submission"]),
                          Text(f"{row['total']:g}/{row['max']:g}"), terminal(row["status"]),
                          Text(message if len(message) <= 140 else message[:139] + "…"))
        except Exception as e:  # noqa: BLE001 - one row, not the table
            table.add_row(terminal(row.get("student_id", "?")), terminal(row.get("submission")),
                          Text("?"), Text("error"), Text(f"cannot be shown: {type(e).__name__}"))
    console.print(table)


# ------------------------------------------------------------------------------------------------
# Course-level outputs: gradebook, Canvas CSV, feedback, reports, Gradescope bundle.

ConfigOption = typer.Option(None, "--config", help="Course configuration (default: course.toml "
                            "or examples/course.toml in the course folder).")
ResultsOption = typer.Option(None, "--results", help="Results root holding <hw>/results/*.json "
                             "(default: `results` in the configuration).")
CourseOutOption = typer.Option(None, "-o", "--out", help="Output folder (default: "
                               "<results>/course).")


def _config_path(config: Optional[Path], c: Optional[Course]) -> Path:
    if config is not None:
        return config
    for candidate in ("course.toml", "examples/course.toml"):
        if c is not None and (c.root / candidate).is_file():
            return c.root / candidate
    raise _usage_error("no course configuration: pass --config course.toml")


def _publish(config, results, out, course, *, feedback: bool, reports: bool):
    c = Course(course) if course else Course.find_or_none()
    try:
        return api.publish(_config_path(config, c), results, out, c, feedback=feedback,
                           reports=reports)
    except (CourseError, ValueError) as e:
        console.print(Text(one_line(e), style="red"))
        raise typer.Exit(codes.FAILED)


def print_publish(run) -> None:
    book = run.book
    table = Table(title=Text(one_line(f"{book.config.title}: {len(book.students)} students "
                                      f"→ {run.out}")))
    items = [i for i in book.item_info if not i["pending"]]
    for col in ["student_id", "name", *[i["name"] for i in items], "total %", "flags"]:
        table.add_column(terminal(col), overflow="fold")
    for _, row in book.students.iterrows():
        try:
            cells = [terminal(row["student_id"]), terminal(row["name"])]
            cells += [Text(number_or_text(row[i["name"]])) for i in items]
            cells += [Text(f"{row['total_percent']:.1f}" if row["total_percent"]
                           == row["total_percent"] else ""), terminal(row["flags"])]
        except Exception as e:  # noqa: BLE001 - one row, not the table
            cells = [terminal(row.get("student_id", "?")), Text("")] + [Text("")] * len(items) \
                + [Text(""), Text(f"cannot be shown: {type(e).__name__}")]
        table.add_row(*cells)
    console.print(table)
    for name, path in run.files.items():
        console.print(Text(one_line(f"  {name}: {path}")))
    if run.feedback:
        console.print(Text(one_line(f"  feedback: {len(run.feedback)} files in "
                                    f"{run.out / 'feedback'}")))
    for name, path in run.reports.items():
        console.print(Text(one_line(f"  report {name}: {path}")))
    for line in book.issues:
        console.print(Text(f"! {one_line(line)}", style="yellow"))


@app.command()
def gradebook(config: Optional[Path] = ConfigOption, results: Optional[Path] = ResultsOption,
              out: Optional[Path] = CourseOutOption, course: Optional[Path] = CourseOption):
    """Course gradebook (roster x items, weights, late policy), Canvas CSV, per-case CSV/Parquet."""
    print_publish(_publish(config, results, out, course, feedback=False, reports=False))


@app.command()
def report(config: Optional[Path] = ConfigOption, results: Optional[Path] = ResultsOption,
           out: Optional[Path] = CourseOutOption, course: Optional[Path] = CourseOption,
           feedback: bool = typer.Option(True, help="Also write per-submission feedback.")):
    """Instructor reports (OUT/report/), per-submission feedback (OUT/feedback/), gradebook."""
    print_publish(_publish(config, results, out, course, feedback=feedback, reports=True))


@app.command()
def publish(config: Optional[Path] = ConfigOption, results: Optional[Path] = ResultsOption,
            out: Optional[Path] = CourseOutOption, course: Optional[Path] = CourseOption):
    """Everything at once: course gradebook, Canvas CSV, per-case tables, feedback, reports."""
    print_publish(_publish(config, results, out, course, feedback=True, reports=True))


@app.command("gradescope")
def gradescope_bundle(hw: str = typer.Argument(..., metavar="HW", help="Assignment, e.g. hw1."),
                      out: Optional[Path] = typer.Option(None, "-o", "--out",
                                                         help="Zip to write (default: "
                                                         "build/HW/HW-gradescope.zip)."),
                      hidden: str = typer.Option("after_due_date", "--hidden-visibility",
                                                 help="Visibility of hidden cases on "
                                                 "Gradescope: after_due_date|hidden|"
                                                 "after_published|visible."),
                      course: Optional[Path] = CourseOption):
    """The Gradescope autograder zip of HW: setup.sh, run_autograder, fixtures, grader."""
    c = _course(course)
    _assignments(c, hw, allow_all=False)
    try:
        path = api.gradescope_bundle(hw, out, c, hidden_visibility=hidden)
    except (CourseError, ValueError) as e:
        raise _usage_error(str(e))
    console.print(f"[green]✓[/green] {hw}: {path} (hidden cases: {hidden})")


@app.command()
def tokens(config: Path = typer.Option(..., "--config", help="Course configuration (course.toml)."),
           out: Path = typer.Option(..., "-o", "--out", help="Tokens CSV to write "
                                    "(student_id, token): keep it private."),
           staff: List[str] = typer.Option([], "--staff", help="A staff member's name (repeat)."),
           rotate: bool = typer.Option(False, "--rotate", help="New tokens for everybody; the "
                                       "old ones stop working."),
           store: Optional[str] = typer.Option(None, help="The server's results store "
                                               "(default: [server] store, or "
                                               "sqlite:///RESULTS/server.sqlite)."),
           course: Optional[Path] = CourseOption):
    """Tokens for the course server: one per roster student and staff name."""
    try:
        report = api.issue_tokens(config, out, _course(course) if course else None,
                                  staff=staff, rotate=rotate, store=store)
    except CourseError as e:
        console.print(Text(one_line(e), style="red"))
        raise typer.Exit(2)
    console.print(f"[green]✓[/green] {report.path}: {report.students} students, "
                  f"{report.staff} staff; {len(report.new)} new token(s)"
                  + (f"; revoked: {', '.join(report.removed)}" if report.removed else ""))


@app.command()
def serve(config: Path = typer.Option(..., "--config", help="Course configuration (course.toml)."),
          host: str = typer.Option("127.0.0.1", help="Address to listen on (behind a TLS "
                                   "reverse proxy: keep 127.0.0.1)."),
          port: int = typer.Option(8000, help="Port to listen on."),
          store: Optional[str] = typer.Option(None, help="Results store, an SQLAlchemy URL "
                                              "(default: [server] store, or "
                                              "sqlite:///RESULTS/server.sqlite)."),
          workers: Optional[int] = typer.Option(None, help="Warm grading workers "
                                                "(default: cores)."),
          executor: str = typer.Option("local", help="local | dask"),
          scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address."),
          isolation: str = typer.Option("auto", help="Isolation of each submission (see grade)."),
          device: str = typer.Option("auto", help="auto|cpu|cuda"),
          course: Optional[Path] = CourseOption):
    """The course server: students submit and get their feedback in about a second."""
    try:
        api.serve(config, _course(course) if course else None, host=host, port=port,
                  store=store, workers=workers, executor=executor, scheduler=scheduler,
                  isolation=isolation, device=device)
    except (CourseError, ValueError) as e:
        console.print(Text(one_line(e), style="red"))
        raise typer.Exit(2)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
