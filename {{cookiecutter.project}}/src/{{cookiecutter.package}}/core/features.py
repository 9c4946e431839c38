"""Feature preparation, driven by the dataset schema."""

from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .schema import Column


def prepare(features: list[Column]) -> ColumnTransformer:
    """Scale numeric columns and one-hot encode categories (unseen categories are ignored)."""
    numeric = [c.name for c in features if c.kind != "category"]
    categorical = [c.name for c in features if c.kind == "category"]
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
