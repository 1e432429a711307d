"""Calibration of the outcome-judged questions: the notebook's solution over many seeds.

    nice -n 10 .venv/bin/python benchmarks/outcome_calibration.py [--seeds 20] [--questions hw5,hw4,hw2]
                                                                   [--workers 2]

For each outcome question (hw5 q9 ``ddpm_train_and_sample``, hw4 q10 ``train_vae_2d``, hw2 q6
``train_cnn``) the master notebook's solution cell is run in-process (one thread per worker, as
in the sandbox) on every case of seeds 0..SEEDS-1 and its returned weights are judged by the
spec's judge, as the grader does. Printed per question: cases passed (a false fail is a correct
solution judged wrong), the range of each statistic the judge bounds, and the training time per
call. The bounds are set from these figures (each spec's module states them).
"""
from __future__ import annotations

import argparse
import math
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import multiprocessing as mp

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.assignments.corpus import master_solution  # noqa: E402

# question -> (notebook, spec / function name, the statistics its judge's message shows)
QUESTIONS = {
    "hw5": ("hw5", "ddpm_train_and_sample", {
        "loss ratio": r"([0-9.e+-]+) x the optimal", "precision": r"precision ([0-9.]+)",
        "recall": r"recall ([0-9.]+)", "energy distance": r"energy distance ([0-9.e+-]+)"}),
    "hw4": ("hw4", "train_vae_2d", {
        "ELBO gap": r"held-out ELBO ([0-9.e+-]+) nats",
        "energy distance / threshold": None}),
    "hw2": ("hw2", "train_cnn", {"accuracy %": r"accuracy ([0-9.]+)%"}),
}


def _namespace(hw: str) -> dict:
    from autograder.specs import unit5_hw4

    ns = {"math": math, "torch": torch, "nn": nn, "F": F}
    if hw == "hw4":
        ns.update(Encoder2D=unit5_hw4.Encoder2D, Decoder2D=unit5_hw4.Decoder2D)
    if hw == "hw2":
        from reference.cnn import CifarCNN
        ns["CifarCNN"] = CifarCNN
    return ns


def _run(job: tuple[str, int]) -> list[tuple[str, int, str, bool, str, float, dict]]:
    from autograder.specs import get_spec

    hw, seed = job
    torch.set_num_threads(1)
    notebook, name, patterns = QUESTIONS[hw]
    ns = _namespace(hw)
    exec(master_solution(notebook, name), ns)
    spec = get_spec(name)
    out = []
    for case in spec.cases(seed):
        start = time.perf_counter()
        value = ns[name](*case.args)
        seconds = time.perf_counter() - start
        ok, message = spec.judge(value, case)
        stats = {}
        for stat, pattern in patterns.items():
            if pattern is None:  # hw4: the distance over its threshold
                m = re.search(r"held-out data ([0-9.e+-]+)", message)
                if m:
                    stats[stat] = float(m.group(1)) / float(case.secret["threshold"])
                continue
            m = re.search(pattern, message)
            if m:
                stats[stat] = float(m.group(1))
        out.append((hw, seed, case.name, bool(ok), message, seconds, stats))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--questions", default="hw5,hw4,hw2")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for hw in args.questions.split(","):
        started = time.perf_counter()
        jobs = [(hw, seed) for seed in range(args.seeds)]
        with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("fork")) as pool:
            rows = [row for rows in pool.map(_run, jobs) for row in rows]
        failed = [(seed, case, message) for _, seed, case, ok, message, _, _ in rows if not ok]
        notebook, name, patterns = QUESTIONS[hw]
        print(f"{hw} {name}: {len(rows) - len(failed)} of {len(rows)} cases pass over "
              f"{args.seeds} seeds ({len(failed)} false fails); "
              f"{time.perf_counter() - started:.0f} s wall")
        for case in sorted({r[2] for r in rows}):
            mine = [r for r in rows if r[2] == case]
            parts = []
            for stat in patterns:
                values = [r[6][stat] for r in mine if stat in r[6]]
                if values:
                    parts.append(f"{stat} {min(values):.3g}-{max(values):.3g}")
            secs = [r[5] for r in mine]
            parts.append(f"training {min(secs):.1f}-{max(secs):.1f} s")
            print(f"  {case}: " + ", ".join(parts))
        for seed, case, message in failed:
            print(f"  FAILED seed {seed} {case}: {message}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
