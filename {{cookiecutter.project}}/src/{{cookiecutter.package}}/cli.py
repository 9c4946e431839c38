"""The one command-line entry point; every Makefile target calls a verb of it."""

import argparse
import json
import sys
from pathlib import Path

from {{ cookiecutter.package }}.core import ProjectError


def _data(root: Path) -> str:
    from {{ cookiecutter.package }}.io.data import fetch_dataset

    manifest = fetch_dataset(root)
    rows, digest = manifest["rows"], manifest["sha256"][:12]
    return f"wrote data/{manifest['file']}: {rows} rows, sha256 {digest}"


def _eda(root: Path) -> str:
    from {{ cookiecutter.package }}.jobs.eda import eda

    return f"wrote {eda(root).relative_to(root)}"


def _train(root: Path) -> str:
    from {{ cookiecutter.package }}.jobs.train import train

    model = train(root)["model"]
    return f"trained run {model['run_id']}, registered {model['name']} version {model['version']}"


def _evaluate(root: Path) -> str:
    from {{ cookiecutter.package }}.jobs.evaluate import evaluate

    metrics = evaluate(root)
    return "holdout metrics: " + json.dumps({k: round(v, 4) for k, v in metrics.items()})


VERBS = {
    "data": (_data, "fetch the dataset into data/ with its manifest"),
    "eda": (_eda, "write an evidently summary of the data to reports/"),
    "train": (_train, "train, track in MLflow, register, write model/record.json"),
    "evaluate": (_evaluate, "score the recorded model on the holdout"),
}


def main(argv: list[str] | None = None) -> int:
    """Run one verb; a ``ProjectError`` is printed as one line and exits 2."""
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.project }}", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, (_, help_text) in VERBS.items():
        verbs.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    try:
        print(VERBS[args.verb][0](Path.cwd()))
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
