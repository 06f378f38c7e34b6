"""Training report: comparison tables and figures for the revenue and hit models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from training.clean import RuleCount
from training.split import Splits, is_hit, log_revenue
from training.train import TaskResult


def rule_table(counts: list[RuleCount]) -> str:
    lines = [
        "| part | rule | what it removes | rows before | rows removed |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.part} | `{c.rule}` | {c.description} | {c.rows_before:,} | {c.rows_removed:,} |"
        for c in counts
    ]
    return "\n".join(lines)


def regression_table(result: TaskResult) -> str:
    lines = [
        "| model | CV RMSE (±sd) | val RMSE | val R² | val MAE | test RMSE | test R² | "
        "test MAE | test R² (filtered) | fit s | predict ms, 1 / 1,000 films |",
        "|---|" + "---|" * 10,
    ]
    for r in result.candidates:
        v, t, tf = r.metrics["validation"], r.metrics["test"], r.metrics["test_filtered"]
        mark = " **(chosen)**" if r is result.chosen else ""
        lines.append(
            f"| {r.name}{mark} | {r.cv_mean:.3f} ± {r.cv_std:.3f} | {v['rmse']:.3f} | "
            f"{v['r2']:.3f} | {v['mae']:.3f} | {t['rmse']:.3f} | {t['r2']:.3f} | "
            f"{t['mae']:.3f} | {tf['r2']:.3f} | {r.fit_seconds:.1f} | {_ms(r)} |"
        )
    return "\n".join(lines)


def classification_table(result: TaskResult) -> str:
    lines = [
        "| model | CV ROC-AUC (±sd) | threshold | val AUC | val F1 | test AUC | test F1 | "
        "test precision | test recall | test confusion [[tn, fp], [fn, tp]] | fit s | "
        "predict ms, 1 / 1,000 films |",
        "|---|" + "---|" * 11,
    ]
    for r in result.candidates:
        v, t = r.metrics["validation"], r.metrics["test"]
        mark = " **(chosen)**" if r is result.chosen else ""
        lines.append(
            f"| {r.name}{mark} | {r.cv_mean:.3f} ± {r.cv_std:.3f} | {r.threshold:.3f} | "
            f"{v['roc_auc']:.3f} | {v['f1']:.3f} | {t['roc_auc']:.3f} | {t['f1']:.3f} | "
            f"{t['precision']:.3f} | {t['recall']:.3f} | {t['confusion_matrix']} | "
            f"{r.fit_seconds:.1f} | {_ms(r)} |"
        )
    return "\n".join(lines)


def _ms(result: Any) -> str:
    return f"{result.predict_ms['one_film']:.2f} / {result.predict_ms['thousand_films']:.1f}"


def classification_report_table(report: dict[str, Any]) -> str:
    lines = ["| class | precision | recall | f1 | support |", "|---|---|---|---|---|"]
    for label in ("not hit", "hit", "macro avg", "weighted avg"):
        row = report[label]
        lines.append(
            f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | "
            f"{row['f1-score']:.3f} | {row['support']:.0f} |"
        )
    return "\n".join(lines)


def feature_importances(pipeline: Any) -> pd.Series:
    """Importances of the final estimator by feature name (|coef| for linear models)."""
    names = pipeline[:-1].get_feature_names_out()
    model = pipeline[-1]
    if hasattr(model, "feature_importances_"):
        values = np.asarray(model.feature_importances_, dtype=float)
    else:
        values = np.abs(np.ravel(model.coef_))
    return pd.Series(values, index=names).sort_values(ascending=False)


def _plot_importances(ax: Any, pipeline: Any, title: str, n_top: int = 15) -> None:
    top = feature_importances(pipeline).head(n_top)[::-1]
    ax.barh(top.index, top.to_numpy(), color="tab:purple")
    ax.set_title(title)


def regression_figures(result: TaskResult, splits: Splits, figures_dir: Path) -> list[str]:
    chosen = result.chosen
    y_true = log_revenue(splits.test)
    y_pred = chosen.estimator.predict(splits.test)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    axes[0].scatter(y_true, y_pred, s=6, alpha=0.5)
    lims = [min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())]
    axes[0].plot(lims, lims, "k--", linewidth=1)
    axes[0].set(
        title=f"{result.feature_set}: predicted vs actual (test, {chosen.name})",
        xlabel="actual log1p(revenue)",
        ylabel="predicted",
    )
    axes[1].scatter(y_pred, y_true - y_pred, s=6, alpha=0.5, color="tab:orange")
    axes[1].axhline(0, color="k", linewidth=1)
    axes[1].set(title="residuals (test)", xlabel="predicted", ylabel="actual - predicted")
    _plot_importances(axes[2], chosen.estimator, "feature importances")
    fig.tight_layout()
    name = f"{result.feature_set}_revenue.png"
    fig.savefig(figures_dir / name, dpi=90)
    plt.close(fig)
    return [name]


def classification_figures(
    result: TaskResult, splits: Splits, ratio: float, figures_dir: Path
) -> list[str]:
    y_true = is_hit(splits.test, ratio)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for r in result.candidates:
        proba = r.estimator.predict_proba(splits.test)[:, 1]
        fpr, tpr, _ = roc_curve(y_true, proba)
        precision, recall, _ = precision_recall_curve(y_true, proba)
        label = f"{r.name} (AUC {r.metrics['test']['roc_auc']:.3f})"
        axes[0].plot(fpr, tpr, label=label)
        axes[1].plot(recall, precision, label=r.name)
    axes[0].plot([0, 1], [0, 1], "k--", linewidth=1)
    axes[0].set(
        title=f"{result.feature_set}: ROC (test)",
        xlabel="false positive rate",
        ylabel="true positive rate",
    )
    axes[0].legend(fontsize=8)
    axes[1].set(title="precision-recall (test)", xlabel="recall", ylabel="precision")
    axes[1].legend(fontsize=8)
    _plot_importances(
        axes[2], result.chosen.estimator, f"feature importances ({result.chosen.name})"
    )
    fig.tight_layout()
    name = f"{result.feature_set}_hit.png"
    fig.savefig(figures_dir / name, dpi=90)
    plt.close(fig)
    return [name]


def uncertainty_section(revenue: TaskResult, hit: TaskResult) -> str:
    """Interval coverage, calibration and explanation methods of the served models."""
    from boxoffice.explain import explanation_method

    interval = revenue.uncertainty["interval"]
    lines = [
        f"### Uncertainty and explanations ({revenue.feature_set})",
        "",
        f"Revenue interval: {interval['level']:.0%} (P10-P90) by {interval['method']}; offsets "
        f"{interval['low_offset']:+.3f} / {interval['high_offset']:+.3f} log units.",
        "",
        "| fold | coverage | mean width (log units) | P90 / P10 |",
        "|---|---|---|---|",
    ]
    for part in ("validation", "test", "test_filtered"):
        m = revenue.uncertainty[f"interval_{part}"]
        lines.append(
            f"| {part} | {m['coverage']:.3f} | {m['mean_width_log']:.3f} | "
            f"{m['p90_over_p10']:.1f}× |"
        )
    c = hit.uncertainty["calibration"]
    lines += [
        "",
        f"Hit calibration: {c['method']} fitted on validation (cross-fitted ECE on validation: "
        f"Platt {c['cv_ece_platt']:.3f}, isotonic {c['cv_ece_isotonic']:.3f}); the verdict is "
        f"P(hit) >= 0.5; the best-F1 point of the calibrated probabilities on validation is "
        f"{c['best_f1_threshold']:.3f}.",
        "",
        "| fold | ECE before | ECE after | Brier before | Brier after | AUC before | AUC after |",
        "|---|---|---|---|---|---|---|",
    ]
    for part in ("validation", "test", "test_filtered"):
        m = hit.uncertainty[f"calibration_{part}"]
        lines.append(
            f"| {part} | {m['ece_before']:.3f} | {m['ece_after']:.3f} | "
            f"{m['brier_before']:.3f} | {m['brier_after']:.3f} | "
            f"{m['roc_auc_before']:.3f} | {m['roc_auc_after']:.3f} |"
        )
    lines += [
        "",
        f"Explanations: revenue ({revenue.chosen.name}) by "
        f"{explanation_method(revenue.chosen.estimator[-1])}; hit ({hit.chosen.name}, raw "
        f"log-odds before calibration) by {explanation_method(hit.chosen.estimator[-1])}.",
        "",
    ]
    return "\n".join(lines)


def reliability_figure(hit: TaskResult, figures_dir: Path) -> str:
    """Reliability diagram of the chosen hit model on the test fold, before and after."""
    m = hit.uncertainty["calibration_test"]
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect")
    for key, label in (("reliability_before", "before"), ("reliability_after", "after")):
        points = np.array([(p, o) for p, o, _ in m[key]])
        ece = m["ece_before" if key.endswith("before") else "ece_after"]
        ax.plot(points[:, 0], points[:, 1], "o-", label=f"{label} (ECE {ece:.3f})")
    ax.set(
        title=f"{hit.feature_set}: reliability (test, 10 bins)",
        xlabel="mean predicted",
        ylabel="observed hit rate",
    )
    ax.legend()
    fig.tight_layout()
    name = f"{hit.feature_set}_reliability.png"
    fig.savefig(figures_dir / name, dpi=90)
    plt.close(fig)
    return name
