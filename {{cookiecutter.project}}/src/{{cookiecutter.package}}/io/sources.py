"""Where the data comes from: the table ``data.source`` names in ``policy.yaml``.

``demo:arrests`` (scikit-lego's arrests data), ``demo:diabetes`` (scikit-learn's diabetes data,
unscaled), ``demo:wine`` (scikit-learn's wine data), or the path (relative to the project) or
URL of a CSV or Parquet file.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from ..core import ProjectError
from .files import shown, without_credentials

FORMATS = (".csv", ".csv.gz", ".parquet")


def read_source(source: str, root: Path) -> pd.DataFrame:
    """The table ``source`` names, read whole: a demo, or a CSV or Parquet file or URL."""
    if source.startswith("demo:"):
        name = source.removeprefix("demo:")
        if name not in DEMOS:
            raise ProjectError(f"data.source {source!r}: no such demo ({', '.join(DEMOS)})")
        return DEMOS[name]()
    is_url = len(urlsplit(source).scheme) > 1
    where = source if is_url else str(root / source)
    suffix = "".join(Path(urlsplit(source).path).suffixes[-2:]).lower()
    if not suffix.endswith(FORMATS):
        raise ProjectError(f"data.source {shown(source)}: read .csv, .csv.gz or .parquet files")
    if not is_url and not Path(where).exists():
        raise ProjectError(f"data.source {shown(source)}: file not found")
    try:
        if suffix.endswith(".parquet"):
            return pd.read_parquet(where)
        return pd.read_csv(where)
    except (OSError, ValueError, ImportError) as error:
        message = without_credentials(str(error).replace(source, shown(source))).splitlines()[0]
        raise ProjectError(f"data.source {shown(source)}: cannot be read ({message})") from None


def _arrests() -> pd.DataFrame:
    """scikit-lego's arrests data: 5,226 people arrested in Toronto for possessing marijuana."""
    from sklego.datasets import load_arrests

    return load_arrests(as_frame=True)


def _diabetes() -> pd.DataFrame:
    """scikit-learn's diabetes data, unscaled: 442 patients, progression one year on."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame = frame.rename(columns={"target": "progression"})
    frame["age"] = frame["age"].astype(int)
    frame["sex"] = frame["sex"].astype(int).astype(str)
    return frame


def _wine() -> pd.DataFrame:
    """scikit-learn's wine data: 178 wines of three cultivars grown in one region of Italy."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    cultivars = {0: "Barolo", 1: "Grignolino", 2: "Barbera"}
    return frame.assign(cultivar=frame.pop("target").map(cultivars))


DEMOS = {"arrests": _arrests, "diabetes": _diabetes, "wine": _wine}
