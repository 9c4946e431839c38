"""The champion bundle: what the gates need of the champion, readable with no secret.

Each release publishes one, ``champion.tar.gz``, with the ``model-v<N>`` GitHub release:

    bundle.json     version, run id, the ONNX file's sha256 and where the training data lives
    record.json     the champion's model record
    model.onnx      the champion's exported model (scored here with onnxruntime: nothing pickled)
    importance.csv  its permutation importance on its holdout

The training data is not copied: it is ``data/dataset.csv`` in git at the champion's commit,
read with ``git show`` and checked against the record's sha256. ``CHAMPION_BUNDLE`` names an
unpacked bundle; ``io/registry.py`` then reads the champion from it instead of the alias.
"""

import hashlib
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import ProjectError
from ..core.record import Record, parse_record
from .files import read_json, sha256, write_atomic, write_json

VARIABLE = "CHAMPION_BUNDLE"
ARCHIVE = "champion.tar.gz"
MANIFEST = "bundle.json"
FILES = ("record.json", "model.onnx", "importance.csv")
TRAINING_DATA = "data/dataset.csv"
# The champion run's tags the gates compare with (the holdout it was judged on, its data and
# split), kept in the manifest so a pull request needs no tracking server to read them.
TAGS = ("data_sha256", "holdout_sha256", "split", "git_sha", "lock_sha256")
# What a manifest must say of its champion.
CHAMPION_KEYS = ("version", "run_id", "onnx_sha256", "training_data")
# Input tensor types of the exported model, as numpy arrays (core/inputs.py's DTYPES).
TENSORS = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(string)": np.object_}


def folder() -> Path | None:
    """The bundle named by ``CHAMPION_BUNDLE``, or None when the registry is the source."""
    value = os.environ.get(VARIABLE)
    return Path(value) if value else None


def model_digest(content: bytes) -> str:
    """sha256 of an ONNX model without its metadata: what it computes, not which run it names.

    A rebuild registers a new version and run, which the file's metadata names; everything
    else (graph, weights, opsets, producer) must be the same bytes. skl2onnx lists the opsets
    in an order that changes from one Python process to the next: they are sorted first.
    """
    import onnx

    model = onnx.load_from_string(content)
    del model.metadata_props[:]
    opsets = sorted((entry.domain, entry.version) for entry in model.opset_import)
    del model.opset_import[:]
    model.opset_import.extend(onnx.helper.make_opsetid(*entry) for entry in opsets)
    return hashlib.sha256(model.SerializeToString()).hexdigest()


@dataclass
class Bundle:
    """An unpacked bundle: its manifest and the folder holding its files."""

    path: Path
    manifest: dict

    def champion(self) -> dict | None:
        """The champion, as the registry's alias gives it; None for a 'no champion' bundle."""
        found = self.manifest.get("champion")
        if found is None:
            return None
        return {
            "version": found["version"],
            "run_id": found["run_id"],
            "uri": f"bundle:{self.path}",
            "source": f"bundle model-v{found['version']}",
        }

    def tags(self) -> dict:
        """The champion run's tags that the gates compare with (see ``TAGS``)."""
        return dict((self.manifest.get("champion") or {}).get("tags", {}))

    def record(self) -> Record:
        """The champion's model record."""
        data = read_json(self.path / "record.json", "champion bundle record")
        return parse_record(data, f"{self.path}/record.json")

    def model(self):
        """The champion's ONNX model, checked against the bundle's sha256, as an estimator."""
        content = (self.path / "model.onnx").read_bytes()
        expected = self.manifest["champion"]["onnx_sha256"]
        actual = hashlib.sha256(content).hexdigest()
        if actual != expected:
            raise ProjectError(
                f"{self.path}/model.onnx has sha256 {actual[:12]}, its bundle says "
                f"{expected[:12]}: not the champion's model"
            )
        record = self.record()
        return OnnxEstimator(content, record.task, record.features)

    def importance(self) -> pd.Series:
        """The champion's permutation importance of each input, largest first."""
        table = pd.read_csv(self.path / "importance.csv", index_col="input")
        return table["importance"].sort_values(ascending=False)

    def training_data(self, root: Path, folder: Path) -> Path:
        """The champion's training data from git at its commit, checked against its sha256."""
        data = self.manifest["champion"]["training_data"]
        where = f"{data['commit'][:12]}:{data['path']}"
        try:
            shown = subprocess.run(
                ["git", "show", f"{data['commit']}:{data['path']}"],
                cwd=root,
                capture_output=True,
                check=True,
            )
        except (OSError, subprocess.CalledProcessError):
            raise ProjectError(
                f"the champion's training data {where} is not in this clone's git history "
                "(check out with fetch-depth: 0, or git fetch that commit)"
            ) from None
        path = folder / Path(data["path"]).name
        path.write_bytes(shown.stdout)
        actual = sha256(path)
        if actual != data["sha256"]:
            raise ProjectError(
                f"the champion's training data {where} has sha256 {actual[:12]}, its bundle "
                f"says {data['sha256'][:12]}: not the data it was trained on"
            )
        return path


def read(path: Path) -> Bundle:
    """The bundle unpacked at ``path``; one line naming what is missing otherwise."""
    if not (path / MANIFEST).is_file():
        raise ProjectError(
            f"{VARIABLE}={path}: no {MANIFEST} there (run `make champion` to fetch the bundle)"
        )
    manifest = read_json(path / MANIFEST, "champion bundle")
    champion = manifest.get("champion")
    if champion is not None:
        lacking = [key for key in CHAMPION_KEYS if key not in (champion or {})]
        data = champion.get("training_data") if isinstance(champion, dict) else None
        if not isinstance(champion, dict) or lacking or not isinstance(data, dict):
            raise ProjectError(
                f"{path}/{MANIFEST}: not a champion bundle manifest (it needs "
                f"{', '.join(CHAMPION_KEYS)}; lacking {', '.join(lacking) or 'none'})"
            )
        missing = [name for name in FILES if not (path / name).is_file()]
        if missing:
            raise ProjectError(f"champion bundle {path} lacks {', '.join(missing)}")
    return Bundle(path, manifest)


def write(
    root: Path, path: Path, record: Record, importance: pd.Series, tags: dict | None = None
) -> dict:
    """Write the bundle of ``record``'s model into ``path`` and pack it; returns its manifest.

    ``tags`` are the champion run's (those named in ``TAGS`` are kept).

    The training data must be committed: ``git show HEAD:data/dataset.csv`` has to hash to the
    record's ``data_sha256``, or no bundle is written.
    """
    commit = _git(root, "rev-parse", "HEAD").decode().strip()
    data = _git(root, "show", f"HEAD:{TRAINING_DATA}")
    digest = hashlib.sha256(data).hexdigest()
    if digest != record.data_sha256:
        raise ProjectError(
            f"{TRAINING_DATA} at commit {commit[:12]} has sha256 {digest[:12]}, the record says "
            f"{record.data_sha256[:12]}: commit the data the model was trained on"
        )
    content = (root / "model" / "model.onnx").read_bytes()
    model = record.model
    manifest = {
        "champion": {
            "name": model.name,
            "version": model.version,
            "run_id": model.run_id,
            "onnx_sha256": hashlib.sha256(content).hexdigest(),
            "model_sha256": model_digest(content),
            "training_data": {"commit": commit, "path": TRAINING_DATA, "sha256": digest},
            "tags": {key: value for key, value in (tags or {}).items() if key in TAGS},
        }
    }
    path.mkdir(parents=True, exist_ok=True)
    write_json(path / "record.json", record.to_json())
    write_atomic(path / "model.onnx", content)
    table = importance.rename("importance").to_frame()
    write_atomic(path / "importance.csv", table.to_csv(index_label="input"))
    write_json(path / MANIFEST, manifest)
    with tarfile.open(path.parent / ARCHIVE, "w:gz") as archive:
        for name in (MANIFEST, *FILES):
            archive.add(path / name, arcname=name)
    return manifest


def unpack(archive: Path, path: Path) -> Bundle:
    """Unpack a downloaded ``champion.tar.gz`` into ``path`` (plain files only) and read it."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as packed:
            names = [member.name for member in packed.getmembers()]
            unexpected = sorted(set(names) - {MANIFEST, *FILES})
            if unexpected:
                raise ProjectError(f"{archive.name} holds unexpected files: {unexpected}")
            packed.extractall(path, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise ProjectError(f"{archive.name} cannot be unpacked: {error}") from None
    return read(path)


def none(path: Path, reason: str) -> None:
    """Write a bundle that says there is no champion yet (the first pull request)."""
    write_json(path / MANIFEST, {"champion": None, "reason": reason})


def _git(root: Path, *args: str) -> bytes:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        message = getattr(error, "stderr", b"") or str(error).encode()
        line = message.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
        raise ProjectError(f"git {' '.join(args)}: {line[0]}") from None


class OnnxEstimator:
    """The champion's ONNX model with the scikit-learn methods the gates call on a model."""

    def __init__(self, content: bytes, task: str, features: list[str]):
        """Start onnxruntime on ``content``; ``features`` name its inputs in order."""
        from .onnx_model import OnnxModel

        self.model = OnnxModel(content, task)
        self.task = task
        self.feature_names_in_ = np.array(features, dtype=object)
        self.dtypes = [TENSORS[item.type] for item in self.model.session.get_inputs()]

    def _columns(self, x: pd.DataFrame) -> dict[str, np.ndarray]:
        columns = {}
        for name, dtype in zip(self.feature_names_in_, self.dtypes):
            values = x[name]
            if dtype is np.object_:
                values = values.fillna("")
            columns[name] = values.to_numpy().astype(dtype).reshape(-1, 1)
        return columns

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """Predicted labels or values."""
        return self.model.predict(self._columns(x))[0]

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Class probabilities, one column per class (two for a binary classifier)."""
        probabilities = self.model.predict(self._columns(x))[1]
        if probabilities is None:
            raise ProjectError("the champion's ONNX model gives no probabilities")
        if self.task == "classification":
            return np.column_stack([1 - probabilities, probabilities])
        return probabilities
