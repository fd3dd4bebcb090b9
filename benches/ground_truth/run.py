#!/usr/bin/env python3
"""Ground-truth benchmark: gevo vs gplearn on the problems written by generate.py.

For each problem x noise (0 or 1 %) x seed it runs
  gevo:    timeout -s INT T gevo run --space symbolic_regression --data train.csv --target y
           --seed S --optimize-constants 0.1 --parsimony 0.001 --workers 1 --archive DIR
           --quiet --budget 100000000
           then takes `gevo inspect DIR --pareto --json` -> recommended (else the fittest
           hall-of-fame entry), exports it with `gevo export DIR ID --format numpy` and
           evaluates it on the noise-free held-out points (test.csv);
  gplearn: SymbolicRegressor(population_size=1000, generations=20, random_state=S, n_jobs=1)
           with add, sub, mul, div, sin, cos, exp, log, sqrt (gplearn's protected versions;
           gplearn has no exp, so a protected one is added: exp(min(x, 100))).
  gevo_eq: gevo as above, capped at gplearn's median wall time on the same problem and noise
           (equal wall time; needs the gplearn runs first).
"Solved" = held-out R^2 >= 0.9999 against the noise-free held-out targets. Each run's wall and
CPU time are recorded. Results are appended to OUT/runs.csv as they come (a rerun skips the
runs already there) and OUT/summary.md is rewritten after every run.

Needs numpy, gplearn and scikit-learn (see BENCHMARKS.md for the pip install); no network.

    python benches/ground_truth/run.py --tools gevo,gplearn --noise 0 --seeds 1,2,3
    python benches/ground_truth/run.py --summary-only
"""

import argparse
import csv
import inspect
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

FIELDS = ["tool", "problem", "family", "noise", "seed", "cap_s", "wall_s", "cpu_s", "test_r2",
          "solved", "status", "size", "expression", "candidates"]
SOLVED_R2 = 0.9999
HANG_GRACE_S = 15  # after the cap, gevo stops within its 10 s wait for evaluations in flight
FITTEST = re.compile(r"fittest: id \d+ size \d+ R2 (\S+)\)")


def read_csv(path):
    data = np.genfromtxt(path, delimiter=",", names=True, dtype=float)
    names = list(data.dtype.names)
    cols = {n: np.asarray(data[n], dtype=float) for n in names}
    y = cols.pop("y")
    return cols, y


def r2(y, pred):
    pred = np.broadcast_to(np.asarray(pred, dtype=float), y.shape)
    if not np.all(np.isfinite(pred)):
        return float("-inf")
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - np.mean(y)) ** 2))
    return 1.0 - ss_res / ss_tot


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def held_out_r2(args, archive, model_id, test_cols, test_y):
    """Exports candidate MODEL_ID as NumPy code and scores it on the held-out rows."""
    e = subprocess.run([args.gevo, "export", archive, str(model_id), "--format", "numpy"],
                       capture_output=True, text=True)
    if e.returncode != 0:
        raise RuntimeError(f"export exit {e.returncode}: {e.stderr.strip()[-200:]}")
    ns = {}
    exec(compile(e.stdout, f"gevo-export-{model_id}", "exec"), ns)  # noqa: S102
    fn = ns[e.stdout.rsplit("\ndef ", 1)[1].split("(", 1)[0]]
    params = inspect.signature(fn).parameters
    with np.errstate(all="ignore"):
        pred = fn(**{k: test_cols[k] for k in params if k in test_cols})
    return r2(test_y, pred)


def run_gevo(args, train_csv, test_cols, test_y, seed, workdir, seconds):
    archive = os.path.join(workdir, "archive")
    cmd = ["timeout", "-s", "INT", f"{seconds:.1f}", args.gevo, "run",
           "--space", "symbolic_regression", "--data", train_csv, "--target", "y",
           "--seed", str(seed), "--optimize-constants", "0.1", "--parsimony", "0.001",
           "--workers", "1", "--archive", archive, "--quiet", "--budget", "100000000"]
    cpu0, t0 = children_cpu(), time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hung = ""
    try:
        p.stdout_text, p.stderr_text = p.communicate(timeout=seconds + HANG_GRACE_S)
    except subprocess.TimeoutExpired:
        # gevo still running long after timeout's SIGINT: a second SIGINT aborts it at once.
        with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
            for child in f.read().split():
                os.kill(int(child), signal.SIGINT)
        hung = f"; hung after SIGINT, second SIGINT at {seconds + HANG_GRACE_S:.0f} s"
        p.stdout_text, p.stderr_text = p.communicate()
    p.stdout, p.stderr = p.stdout_text, p.stderr_text
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    row = {"wall_s": wall, "cpu_s": cpu}
    if p.returncode not in (0, 124, 130):  # timeout exits 124 after SIGINT
        return {**row, "status": f"run exit {p.returncode}: {p.stderr.strip()[-200:]}"}
    q = subprocess.run([args.gevo, "inspect", archive, "--pareto", "--json"],
                       capture_output=True, text=True)
    if q.returncode != 0:
        return {**row, "status": f"inspect exit {q.returncode}: {q.stderr.strip()[-200:]}"}
    j = json.loads(q.stdout)
    rec = j.get("recommended")
    if rec:
        model_id, size, expr, how = rec["id"], rec["size"], rec["expression"], "recommended"
    else:
        best = max(j["hall_of_fame"], key=lambda e: e["fitness"])
        model_id, size, expr, how = best["id"], best["size"], best["expression"], "best"
    best = max(j["hall_of_fame"], key=lambda e: (e["fitness"], -e["size"]))
    try:
        score = held_out_r2(args, archive, model_id, test_cols, test_y)
        # For diagnosis: the fittest hall-of-fame entry's held-out R^2 too.
        best_r2 = score if best["id"] == model_id else held_out_r2(
            args, archive, best["id"], test_cols, test_y)
    except RuntimeError as err:
        return {**row, "status": str(err), "size": size, "expression": expr}
    # The run's closing line: "N candidates, M evaluations, FEC hit rate …".
    m = re.search(r"(\d+) candidates, (\d+) evaluations", p.stdout + p.stderr)
    candidates = f"{m.group(1)}/{m.group(2)}" if m else ""
    return {**row, "status": f"ok ({how}; fittest: id {best['id']} size {best['size']} "
                             f"R2 {best_r2:.6f}){hung}", "test_r2": score, "solved": int(score >= SOLVED_R2),
            "size": size, "expression": expr, "candidates": candidates}


def protected_exp(x):
    with np.errstate(over="ignore"):
        return np.exp(np.minimum(x, 100.0))


def run_gplearn(args, train_cols, train_y, test_cols, test_y, seed):
    from gplearn.functions import make_function
    from gplearn.genetic import SymbolicRegressor

    exp = make_function(function=protected_exp, name="exp", arity=1)
    names = list(train_cols)
    X = np.column_stack([train_cols[n] for n in names])
    Xt = np.column_stack([test_cols[n] for n in names])
    model = SymbolicRegressor(population_size=args.population, generations=args.generations,
                              random_state=seed, n_jobs=1,
                              function_set=("add", "sub", "mul", "div", "sin", "cos", exp,
                                            "log", "sqrt"))
    cpu0, t0 = time.process_time(), time.perf_counter()
    model.fit(X, train_y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    with np.errstate(all="ignore"):
        score = r2(test_y, model.predict(Xt))
    expr = str(model._program)
    for i, n in reversed(list(enumerate(names))):
        expr = expr.replace(f"X{i}", n)
    return {"wall_s": wall, "cpu_s": cpu, "status": "ok", "test_r2": score,
            "solved": int(score >= SOLVED_R2), "size": model._program.length_,
            "expression": expr}


def load_rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def append_row(path, row):
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow({k: row.get(k, "") for k in FIELDS})


def median(xs):
    return float(np.median(xs)) if xs else float("nan")


def summarize(rows, problems):
    """Markdown: per problem x noise, solution rate and median time per tool; family totals."""
    tools = [t for t in ("gevo", "gplearn", "gevo_eq") if any(r["tool"] == t for r in rows)]
    noises = sorted({r["noise"] for r in rows})
    out = []
    for noise in noises:
        out.append(f"\n### Noise {noise} %\n")
        head = "| problem |" + "".join(f" {t} solved | {t} median R² | {t} median wall (CPU) s |"
                                       for t in tools)
        out.append(head)
        out.append("|---|" + "---|---|---|" * len(tools))
        totals = {}
        for p in problems:
            cells = []
            any_run = False
            for t in tools:
                rs = [r for r in rows if r["tool"] == t and r["problem"] == p["name"]
                      and r["noise"] == noise]
                ok = [r for r in rs if r["test_r2"] != ""]
                solved = sum(int(r["solved"] or 0) for r in rs)
                key = (p["family"], t)
                s, n = totals.get(key, (0, 0))
                totals[key] = (s + solved, n + len(rs))
                if rs:
                    any_run = True
                    cells.append(f" {solved}/{len(rs)} | "
                                 f"{median([float(r['test_r2']) for r in ok]):.6f} | "
                                 f"{median([float(r['wall_s']) for r in rs]):.1f} "
                                 f"({median([float(r['cpu_s']) for r in rs]):.1f}) |")
                else:
                    cells.append(" – | – | – |")
            if any_run:
                out.append(f"| {p['name']} |" + "".join(cells))
        for fam, label in (("nguyen", "Nguyen-1…8"), ("feynman", "Feynman")):
            cells = []
            for t in tools:
                s, n = totals.get((fam, t), (0, 0))
                cells.append(f" **{s}/{n}** ({100 * s / n:.0f} %) | | |" if n else " – | | |")
            out.append(f"| **{label} total** |" + "".join(cells))
        # Diagnosis: had the fittest hall-of-fame entry been taken instead of the recommended.
        for t in tools:
            if not t.startswith("gevo"):
                continue
            for fam, label in (("nguyen", "Nguyen-1…8"), ("feynman", "Feynman")):
                rs = [r for r in rows if r["tool"] == t and r["family"] == fam
                      and r["noise"] == noise]
                fit = [FITTEST.search(r["status"]) for r in rs]
                k = sum(1 for m in fit if m and float(m.group(1)) >= SOLVED_R2)
                if rs:
                    out.append(f"\n{t}, {label}: the fittest hall-of-fame entry (instead of the "
                               f"recommended model) reaches R² ≥ {SOLVED_R2} in {k}/{len(rs)} runs.")
    return "\n".join(out) + "\n"


def write_summary(out_dir, problems):
    rows = load_rows(os.path.join(out_dir, "runs.csv"))
    tmp = os.path.join(out_dir, f".summary.{os.getpid()}.md")
    with open(tmp, "w") as f:
        f.write(summarize(rows, problems))
    os.replace(tmp, os.path.join(out_dir, "summary.md"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="target/ground_truth", help="generate.py's output")
    ap.add_argument("--out", default="target/ground_truth_results")
    ap.add_argument("--gevo", default="/work/bin/gevo", help="the gevo binary")
    ap.add_argument("--seconds", type=float, default=20, help="gevo wall-clock cap per run")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--noise", default="0", help="comma list of noise levels in %%: 0,1")
    ap.add_argument("--tools", default="gevo,gplearn")
    ap.add_argument("--problems", default="", help="comma list (default: all)")
    ap.add_argument("--population", type=int, default=1000, help="gplearn population")
    ap.add_argument("--generations", type=int, default=20, help="gplearn generations")
    ap.add_argument("--summary-only", action="store_true")
    args = ap.parse_args()

    with open(os.path.join(args.data, "problems.json")) as f:
        problems = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    if args.summary_only:
        write_summary(args.out, problems)
        print(open(os.path.join(args.out, "summary.md")).read())
        return
    wanted = set(filter(None, args.problems.split(",")))
    todo = [p for p in problems if not wanted or p["name"] in wanted]
    seeds = [int(s) for s in args.seeds.split(",")]
    noises = [n.strip() for n in args.noise.split(",")]
    tools = [t.strip() for t in args.tools.split(",")]
    runs_csv = os.path.join(args.out, "runs.csv")
    done = {(r["tool"], r["problem"], r["noise"], r["seed"]) for r in load_rows(runs_csv)}
    for noise in noises:
        train_name = "train.csv" if noise == "0" else f"train_noise{noise}.csv"
        for p in todo:
            d = os.path.join(args.data, p["name"])
            train_csv = os.path.join(d, train_name)
            train_cols, train_y = read_csv(train_csv)
            test_cols, test_y = read_csv(os.path.join(d, "test.csv"))
            for seed in seeds:
                for tool in tools:
                    if (tool, p["name"], noise, str(seed)) in done:
                        continue
                    base = {"tool": tool, "problem": p["name"], "family": p["family"],
                            "noise": noise, "seed": seed}
                    if tool in ("gevo", "gevo_eq"):
                        cap = args.seconds
                        if tool == "gevo_eq":
                            # Equal wall time: gplearn's median wall time on this problem.
                            gp = [float(r["wall_s"]) for r in load_rows(runs_csv)
                                  if r["tool"] == "gplearn" and r["problem"] == p["name"]
                                  and r["noise"] == noise]
                            if not gp:
                                continue
                            cap = max(0.1, round(median(gp), 1))
                        base["cap_s"] = cap
                        work = tempfile.mkdtemp(prefix="gt-gevo-", dir=args.out)
                        try:
                            row = run_gevo(args, train_csv, test_cols, test_y, seed, work, cap)
                        except Exception as err:  # noqa: BLE001 - record it, go on
                            row = {"wall_s": float("nan"), "cpu_s": float("nan"),
                                   "status": f"error: {err!r}"[:200]}
                        finally:
                            shutil.rmtree(work, ignore_errors=True)
                    else:
                        row = run_gplearn(args, train_cols, train_y, test_cols, test_y, seed)
                    row = {**base, **row}
                    append_row(runs_csv, row)
                    write_summary(args.out, problems)
                    print(f"{time.strftime('%H:%M:%S')} {tool} {p['name']} noise={noise} "
                          f"seed={seed}: R2={row.get('test_r2', '')} "
                          f"wall={row['wall_s']:.1f}s cpu={row['cpu_s']:.1f}s "
                          f"{row['status']} {str(row.get('expression', ''))[:80]}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
