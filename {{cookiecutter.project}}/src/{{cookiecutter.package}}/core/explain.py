"""Which inputs the model leans on, and whether one of them gives the answer away.

Importance is permutation importance on the holdout. A leakage alarm needs stronger evidence
than a large share of it (a legitimate strong input carries most of it too): one input that,
alone, predicts the target almost perfectly on rows it was not fitted on.
"""

from typing import Any

import pandas as pd
from sklearn.inspection import permutation_importance

from .gates import GateResult, Table, listing
from .policy import Policy

# What a single input alone is scored with, by task: it does not depend on the KPI's scale.
ALONE_METRIC = {"classification": "roc_auc", "multiclass": "roc_auc_ovr", "regression": "r2"}
ALONE_DEPTH = 6  # a tree this deep on one column: up to 64 steps, enough for a coded outcome
ALONE_LEAF = 5  # rows in each step at least, so a step is not fitted on one row


def importance_runs(
    model: Any, x: pd.DataFrame, y: pd.Series, scorer: str, seed: int, repeats: int
) -> pd.DataFrame:
    """The drop in the score when each input column is shuffled, in each repeat.

    A row per input column, a column per repeat (the policy's ``gates.explain.repeats``).
    """
    result = permutation_importance(
        model, x, y, scoring=scorer, n_repeats=repeats, random_state=seed
    )
    return pd.DataFrame(result.importances, index=x.columns)


def importance(runs: pd.DataFrame) -> pd.Series:
    """Mean drop in the score over the repeats of ``importance_runs``, largest first."""
    return runs.mean(axis=1).sort_values(ascending=False)


def shares(values: pd.Series) -> pd.Series:
    """Each column's share of the total (negative importance counts as none)."""
    positive = values.clip(lower=0)
    total = positive.sum()
    return positive / total if total > 0 else positive


def top(values: pd.Series, k: int) -> list[str]:
    """The ``k`` most important columns."""
    return list(values.sort_values(ascending=False).index[:k])


def alone(
    x_train: pd.DataFrame,
    y_train: pd.Series,
    x_holdout: pd.DataFrame,
    y_holdout: pd.Series,
    task: str,
    seed: int,
) -> pd.Series:
    """How well each input alone predicts the target on the holdout, best first.

    A small decision tree is fitted on the one column (categories by their code) of the
    training rows and scored on the holdout with ``ALONE_METRIC[task]``: an id or a fine-grained
    value cannot score high by memorising rows, an outcome in disguise does.
    """
    from sklearn.metrics import r2_score, roc_auc_score
    from sklearn.preprocessing import OrdinalEncoder
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    found = {}
    for name in x_train.columns:
        train, holdout = x_train[[name]], x_holdout[[name]]
        if not pd.api.types.is_numeric_dtype(train[name]):
            codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
            train, holdout = codes.fit_transform(train), codes.transform(holdout)
        if task != "regression":
            tree = DecisionTreeClassifier(
                max_depth=ALONE_DEPTH, min_samples_leaf=ALONE_LEAF, random_state=seed
            )
            probabilities = tree.fit(train, y_train).predict_proba(holdout)
            if probabilities.shape[1] == 2:
                found[name] = roc_auc_score(y_holdout, probabilities[:, 1])
            elif probabilities.shape[1] < 2:
                found[name] = 0.5  # one class in training: the input tells nothing
            else:
                found[name] = roc_auc_score(y_holdout, probabilities, multi_class="ovr")
        else:
            tree = DecisionTreeRegressor(
                max_depth=ALONE_DEPTH, min_samples_leaf=ALONE_LEAF, random_state=seed
            )
            found[name] = r2_score(y_holdout, tree.fit(train, y_train).predict(holdout))
    return pd.Series(found, dtype=float).sort_values(ascending=False)


def leaks(scores: pd.Series, share: pd.Series, metric: str, bar: float) -> list[str]:
    """A leakage alarm for each input that alone reaches ``bar`` (scores from ``alone``)."""
    return [
        f"'{name}' carries {share.get(name, 0.0):.0%} of the importance and alone predicts the "
        f"target with {metric} {score:.3f} on the holdout (leakage_score {bar:g}): a leakage alarm"
        for name, score in scores.items()
        if score >= bar
    ]


def unstable(leaders: list[str], before: list[str], min_kept: int) -> str | None:
    """Why the top drivers moved too far from the champion's ``before``, or None if they did not."""
    kept = len(set(leaders) & set(before))
    if kept >= min_kept:
        return None
    return (
        f"top {len(leaders)} drivers {leaders} keep only {kept} of the champion's "
        f"{len(before)} {before} (at least {min_kept})"
    )


def verdict(
    values: pd.Series,
    single: pd.Series,
    rules: Policy,
    champion_top: list[str] | None,
    changed: str | None = None,
) -> GateResult:
    """The explain gate's verdict on figures gathered on the holdout.

    ``values`` is the candidate's importance, ``single`` each input's score alone (``alone``),
    ``champion_top`` the champion's top drivers (None: no champion to compare with), and
    ``changed`` why the champion could not be compared (it has other inputs).
    """
    settings = rules.gates.explain
    share = shares(values)
    leaders = top(values, settings.top_k)
    metric = ALONE_METRIC[rules.task]
    problems = leaks(single, share, metric, settings.leakage_score)
    problems += [
        f"forbidden driver '{name}' is among the top {settings.top_k}"
        for name in leaders
        if name in rules.forbidden_drivers
    ]
    if changed is not None:
        stability = "the champion has other inputs"
        problems.append(changed)
    elif champion_top is None:
        stability = "no champion yet, so stability was not judged"
    else:
        kept = len(set(leaders) & set(champion_top))
        stability = f"{kept} of the champion's top {len(champion_top)} drivers kept"
        moved = unstable(leaders, champion_top, settings.min_kept)
        if moved:
            problems.append(moved)
    figures = {
        "top": leaders,
        "shares": share.round(4).to_dict(),
        "alone": {"metric": metric, "scores": single.round(4).to_dict()},
        "champion_top": None if changed is not None else champion_top,
    }
    table = Table(
        ["input", "importance", "share", f"{metric} alone"],
        [
            [name, float(values[name]), f"{share[name]:.1%}", float(single[name])]
            for name in values.index
        ],
    )
    if problems:
        return GateResult("explain", False, f"{listing(problems)}.", figures, table)
    best = single.index[0]
    reason = (
        f"top drivers {', '.join(leaders)} ({', '.join(f'{share[n]:.0%}' for n in leaders)} of "
        f"the importance); the best single input, '{best}', predicts the target with {metric} "
        f"{single[best]:.3f} alone (a leakage alarm at {settings.leakage_score:g}); "
        f"no forbidden driver on top; {stability}."
    )
    return GateResult("explain", True, reason, figures, table)
