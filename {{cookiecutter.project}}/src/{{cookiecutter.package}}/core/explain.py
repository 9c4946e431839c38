"""Which inputs the model leans on: permutation importance on the holdout."""

import pandas as pd
from sklearn.inspection import permutation_importance


def importance(model, x: pd.DataFrame, y: pd.Series, scorer: str, seed: int) -> pd.Series:
    """Mean drop in the score when each input column is shuffled, largest first."""
    result = permutation_importance(model, x, y, scoring=scorer, n_repeats=5, random_state=seed)
    return pd.Series(result.importances_mean, index=x.columns).sort_values(ascending=False)


def shares(values: pd.Series) -> pd.Series:
    """Each column's share of the total (negative importance counts as none)."""
    positive = values.clip(lower=0)
    total = positive.sum()
    return positive / total if total > 0 else positive


def top(values: pd.Series, k: int) -> list[str]:
    """The ``k`` most important columns."""
    return list(values.sort_values(ascending=False).index[:k])
