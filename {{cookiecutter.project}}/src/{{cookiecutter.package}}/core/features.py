"""Feature preparation, driven by the dataset schema."""

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .schema import Column


def prepare(features: list[Column]) -> ColumnTransformer:
    """Scale numeric columns and one-hot encode categories (unseen categories are ignored).

    Missing numbers (in nullable columns) take the training median; a missing category arrives
    as the empty string (see ``io/data.py::model_ready``) and is a category of its own.
    """
    numeric = [c.name for c in features if c.kind != "category"]
    categorical = [c.name for c in features if c.kind == "category"]
    scale = StandardScaler()
    if any(c.nullable for c in features if c.kind != "category"):
        scale = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    branches = [
        ("numeric", scale, numeric),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
    ]
    return ColumnTransformer([branch for branch in branches if branch[2]])
