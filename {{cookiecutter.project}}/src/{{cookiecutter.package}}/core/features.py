"""Feature preparation, driven by the dataset schema."""

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .schema import Column


def prepare(features: list[Column], scale: bool = True) -> ColumnTransformer:
    """Scale numeric columns and one-hot encode categories (unseen categories are ignored).

    Missing numbers (in nullable columns) take the training median; a missing category arrives
    as the empty string (see ``io/data.py::model_ready``) and is a category of its own. Trees
    need no scaling (``scale=False``), which also keeps their ONNX export exact: a scaled value
    rounded to float32 can fall on the other side of a split than scikit-learn's.
    """
    numeric = [c.name for c in features if c.kind != "category"]
    categorical = [c.name for c in features if c.kind == "category"]
    # Unscaled, the scaler is the identity; it still makes every number a float for the model.
    numbers = StandardScaler(with_mean=scale, with_std=scale)
    if any(c.nullable for c in features if c.kind != "category"):
        numbers = make_pipeline(SimpleImputer(strategy="median"), numbers)
    branches = [
        ("numeric", numbers, numeric),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
    ]
    return ColumnTransformer([branch for branch in branches if branch[2]])
