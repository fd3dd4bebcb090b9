#!/usr/bin/env python3
"""Ground-truth symbolic-regression problems: Nguyen-1..8 and AI Feynman equations.

Writes, for each problem P, under OUT/P/:
  train.csv        noise-free training rows (header row, target column `y`)
  train_noise1.csv the same inputs, targets + N(0, (0.01 * RMS(y))^2): SRBench's 1 % target
                   noise (its experiment/evaluate_model.py draws with std
                   target_noise * sqrt(mean(y^2)); for these positive targets RMS(y) >= std(y))
  test.csv         a separate noise-free held-out set from the same sampling ranges
and OUT/problems.json (name, family, formula, variables, ranges, row counts).

Nguyen-1..8 (Uy et al. 2011, "Semantically-based crossover in genetic programming"): 20 training
points x ~ U[-1, 1] (Nguyen-7: U[0, 2], Nguyen-8: U[0, 4]); 200 held-out points, same range.

Feynman: formulas and sampling ranges (each variable ~ U[low, high]) copied from the AI Feynman
database table FeynmanEquations.csv (Udrescu & Tegmark 2020, "AI Feynman: a physics-inspired
method for symbolic regression", Science Advances 6(16); https://space.mit.edu/home/tegmark/
aifeynman.html), which SRBench's ground-truth set (La Cava et al. 2021) uses. 200 training rows,
500 held-out rows each.

NumPy only; every problem has its own fixed seed, so the output is reproducible.

    python benches/ground_truth/generate.py [OUT]      # default OUT = target/ground_truth
"""

import argparse
import json
import os

import numpy as np

pi = np.pi

NGUYEN = [
    # name, formula (numpy, variable x), low, high
    ("nguyen-1", "x**3 + x**2 + x", -1, 1),
    ("nguyen-2", "x**4 + x**3 + x**2 + x", -1, 1),
    ("nguyen-3", "x**5 + x**4 + x**3 + x**2 + x", -1, 1),
    ("nguyen-4", "x**6 + x**5 + x**4 + x**3 + x**2 + x", -1, 1),
    ("nguyen-5", "sin(x**2) * cos(x) - 1", -1, 1),
    ("nguyen-6", "sin(x) + sin(x + x**2)", -1, 1),
    ("nguyen-7", "log(x + 1) + log(x**2 + 1)", 0, 2),
    ("nguyen-8", "sqrt(x)", 0, 4),
]

# name, formula (as in FeynmanEquations.csv), [(variable, low, high), ...]
FEYNMAN = [
    ("I.6.2a", "exp(-theta**2/2)/sqrt(2*pi)", [("theta", 1, 3)]),
    ("I.10.7", "m_0/sqrt(1-v**2/c**2)", [("m_0", 1, 5), ("v", 1, 2), ("c", 3, 10)]),
    ("I.12.1", "mu*Nn", [("mu", 1, 5), ("Nn", 1, 5)]),
    ("I.12.5", "q2*Ef", [("q2", 1, 5), ("Ef", 1, 5)]),
    ("I.14.3", "m*g*z", [("m", 1, 5), ("g", 1, 5), ("z", 1, 5)]),
    ("I.14.4", "1/2*k_spring*x**2", [("k_spring", 1, 5), ("x", 1, 5)]),
    ("I.25.13", "q/C", [("q", 1, 5), ("C", 1, 5)]),
    ("I.29.4", "omega/c", [("omega", 1, 10), ("c", 1, 10)]),
    ("I.34.27", "(h/(2*pi))*omega", [("omega", 1, 5), ("h", 1, 5)]),
    ("I.39.1", "3/2*pr*V", [("pr", 1, 5), ("V", 1, 5)]),
    ("II.3.24", "Pwr/(4*pi*r**2)", [("Pwr", 1, 5), ("r", 1, 5)]),
    ("II.8.31", "epsilon*Ef**2/2", [("epsilon", 1, 5), ("Ef", 1, 5)]),
    ("II.27.18", "epsilon*Ef**2", [("epsilon", 1, 5), ("Ef", 1, 5)]),
    ("II.34.2", "q*v*r/2", [("q", 1, 5), ("v", 1, 5), ("r", 1, 5)]),
]

NUMPY_NAMES = {"exp": np.exp, "sin": np.sin, "cos": np.cos, "log": np.log, "sqrt": np.sqrt,
               "pi": np.pi}


def evaluate(formula, columns):
    """Evaluate a formula string over a dict of NumPy columns."""
    return eval(formula, {"__builtins__": {}}, {**NUMPY_NAMES, **columns})  # noqa: S307


def sample(rng, variables, n):
    return {name: rng.uniform(lo, hi, n) for name, lo, hi in variables}


def write_csv(path, columns, y):
    names = list(columns)
    data = np.column_stack([columns[k] for k in names] + [y])
    np.savetxt(path, data, delimiter=",", header=",".join(names + ["y"]), comments="",
               fmt="%.17g")


def make_problem(out, index, name, family, formula, variables, n_train, n_test):
    rng = np.random.default_rng(1000 + index)
    train = sample(rng, variables, n_train)
    test = sample(rng, variables, n_test)
    y_train, y_test = evaluate(formula, train), evaluate(formula, test)
    noise = rng.normal(0.0, 0.01 * np.sqrt(np.mean(np.square(y_train))), n_train)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    write_csv(os.path.join(d, "train.csv"), train, y_train)
    write_csv(os.path.join(d, "train_noise1.csv"), train, y_train + noise)
    write_csv(os.path.join(d, "test.csv"), test, y_test)
    return {"name": name, "family": family, "formula": formula,
            "variables": [{"name": v, "low": lo, "high": hi} for v, lo, hi in variables],
            "train_rows": n_train, "test_rows": n_test}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="target/ground_truth", help="output directory")
    args = ap.parse_args()
    problems = []
    for i, (name, formula, lo, hi) in enumerate(NGUYEN):
        problems.append(make_problem(args.out, i, name, "nguyen", formula, [("x", lo, hi)],
                                     20, 200))
    for i, (name, formula, variables) in enumerate(FEYNMAN):
        problems.append(make_problem(args.out, 100 + i, name, "feynman", formula, variables,
                                     200, 500))
    with open(os.path.join(args.out, "problems.json"), "w") as f:
        json.dump(problems, f, indent=1)
    print(f"wrote {len(problems)} problems to {args.out}")


if __name__ == "__main__":
    main()
