#!/usr/bin/env python3
"""The xG approach xgoals replaced, re-run on the Rust trainer's exact rows and split.

The original system was pandas + XGBoost on two features (distance_to_goal_m,
goal_mouth_angle_rad), with hyperopt (TPE, 50 evaluations) choosing the XGBoost
hyperparameters by validation log loss; the chosen parameters were refit on the training
set and evaluated on the test set. This script does exactly that, starting from the CSVs
written by `trainer export-features` (train.csv, valid.csv, test.csv: same rows and
match-grouped split as `trainer train` with the same seed).

`--features all` runs the same search on all 19 scorer features, to compare learners
rather than feature sets.

Prints one JSON line on stdout: test metrics (AUC, Brier, log loss, ECE), the chosen
parameters and wall-clock seconds split into imports, CSV load, search, final fit + eval
and total. Progress goes to stderr.

Usage:
    original_approach.py --data DIR [--features two|all] [--threads 2] [--evals 50] [--seed 42]
"""

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

import hyperopt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
import xgboost as xgb  # noqa: E402
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe  # noqa: E402
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score  # noqa: E402

_T_IMPORTS = time.perf_counter()

TWO_FEATURES = ["distance_to_goal_m", "goal_mouth_angle_rad"]
# Columns of the export that are not features.
ID_COLUMNS = ["match_id", "competition", "kind"]
TARGET = "goal"
ECE_BINS = 10


def ece(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over `bins` equal-width bins of predicted probability:
    sum over non-empty bins of n_b / N * |mean p_b - goal rate_b| (same as the Rust trainer:
    bin = floor(p * bins), clamped to the last bin)."""
    b = np.minimum((p * bins).astype(np.int64), bins - 1)
    total = 0.0
    for k in range(bins):
        m = b == k
        n = int(m.sum())
        if n:
            total += n / len(p) * abs(float(p[m].mean()) - float(y[m].mean()))
    return total


def metrics(p: np.ndarray, y: np.ndarray) -> dict:
    return {
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "ece": ece(p, y),
    }


def space():
    """The hyperparameter space of the original search."""
    return {
        "max_depth": hp.quniform("max_depth", 2, 8, 1),
        "learning_rate": hp.loguniform("learning_rate", np.log(0.01), np.log(0.3)),
        "n_estimators": hp.quniform("n_estimators", 50, 500, 10),
        "min_child_weight": hp.loguniform("min_child_weight", np.log(1.0), np.log(100.0)),
        "subsample": hp.uniform("subsample", 0.5, 1.0),
        "colsample_bytree": hp.uniform("colsample_bytree", 0.5, 1.0),
        "gamma": hp.uniform("gamma", 0.0, 2.0),
        "reg_lambda": hp.loguniform("reg_lambda", np.log(0.1), np.log(10.0)),
    }


def xgb_params(raw: dict, seed: int, threads: int) -> dict:
    """hyperopt's draw (quniform gives floats) → XGBClassifier keyword arguments."""
    return {
        "max_depth": int(raw["max_depth"]),
        "learning_rate": float(raw["learning_rate"]),
        "n_estimators": int(raw["n_estimators"]),
        "min_child_weight": float(raw["min_child_weight"]),
        "subsample": float(raw["subsample"]),
        "colsample_bytree": float(raw["colsample_bytree"]),
        "gamma": float(raw["gamma"]),
        "reg_lambda": float(raw["reg_lambda"]),
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "random_state": seed,
        "n_jobs": threads,
    }


def load(data_dir: str):
    frames = {}
    for name in ("train", "valid", "test"):
        path = os.path.join(data_dir, f"{name}.csv")
        if not os.path.exists(path):
            sys.exit(f"original_approach.py: {path} is missing (write it with `trainer export-features --out {data_dir}`)")
        frames[name] = pd.read_csv(path)
    return frames


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with train.csv, valid.csv, test.csv from `trainer export-features`")
    ap.add_argument("--features", choices=["two", "all"], default="two", help="two: distance + angle (the original approach); all: every scorer feature")
    ap.add_argument("--threads", type=int, default=2, help="xgboost nthread (default 2)")
    ap.add_argument("--evals", type=int, default=50, help="hyperopt TPE evaluations (default 50)")
    ap.add_argument("--seed", type=int, default=42, help="seed for hyperopt (np.random.default_rng) and xgboost (default 42)")
    args = ap.parse_args(argv)

    t_load0 = time.perf_counter()
    frames = load(args.data)
    t_load1 = time.perf_counter()

    all_features = [c for c in frames["train"].columns if c not in ID_COLUMNS and c != TARGET]
    features = TWO_FEATURES if args.features == "two" else all_features
    missing = [f for f in features if f not in frames["train"].columns]
    if missing:
        sys.exit(f"original_approach.py: columns {missing} not in {args.data}/train.csv")
    x = {k: f[features].to_numpy(dtype=np.float32) for k, f in frames.items()}
    y = {k: f[TARGET].to_numpy(dtype=np.int32) for k, f in frames.items()}
    rows = {k: int(len(v)) for k, v in y.items()}
    print(f"[{args.features}] {len(features)} features; rows {rows}; {args.evals} TPE evaluations, {args.threads} threads", file=sys.stderr)

    def objective(raw):
        model = xgb.XGBClassifier(**xgb_params(raw, args.seed, args.threads))
        model.fit(x["train"], y["train"])
        p = model.predict_proba(x["valid"])[:, 1]
        loss = float(log_loss(y["valid"], np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1]))
        return {"loss": loss, "status": STATUS_OK}

    t_search0 = time.perf_counter()
    trials = Trials()
    best_raw = fmin(
        fn=objective,
        space=space(),
        algo=tpe.suggest,
        max_evals=args.evals,
        trials=trials,
        rstate=np.random.default_rng(args.seed),
        show_progressbar=False,
    )
    t_search1 = time.perf_counter()
    best_raw = hyperopt.space_eval(space(), best_raw)
    best = xgb_params(best_raw, args.seed, args.threads)
    best_valid = min(t["result"]["loss"] for t in trials.trials)
    print(f"[{args.features}] search done in {t_search1 - t_search0:.1f}s; best validation log loss {best_valid:.4f}", file=sys.stderr)

    t_fit0 = time.perf_counter()
    model = xgb.XGBClassifier(**best)
    model.fit(x["train"], y["train"])
    p_test = model.predict_proba(x["test"])[:, 1].astype(np.float64)
    test = metrics(p_test, y["test"].astype(np.float64))
    t_fit1 = time.perf_counter()

    out = {
        "approach": "python xgboost+hyperopt",
        "features": args.features,
        "n_features": len(features),
        "rows": rows,
        "evals": args.evals,
        "seed": args.seed,
        "threads": args.threads,
        "best_params": {k: best[k] for k in ("max_depth", "learning_rate", "n_estimators", "min_child_weight", "subsample", "colsample_bytree", "gamma", "reg_lambda")},
        "valid_log_loss": best_valid,
        "test": test,
        "seconds": {
            "imports": round(_T_IMPORTS - _T0, 3),
            "csv_load": round(t_load1 - t_load0, 3),
            "search": round(t_search1 - t_search0, 3),
            "final_fit_eval": round(t_fit1 - t_fit0, 3),
            "total": round(time.perf_counter() - _T0, 3),
        },
        "versions": {
            "python": platform.python_version(),
            "xgboost": xgb.__version__,
            "hyperopt": hyperopt.__version__,
            "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
        },
    }
    print(json.dumps(out))
    print(
        f"[{args.features}] test AUC {test['auc']:.4f} Brier {test['brier']:.4f} log loss {test['log_loss']:.4f} "
        f"ECE {test['ece']:.4f} in {out['seconds']['total']:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
