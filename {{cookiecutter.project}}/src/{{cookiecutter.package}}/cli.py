"""The one command-line entry point; every Makefile target calls a verb of it."""

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from . import PROJECT
from .core import ProjectError
from .core.kubernetes import PORT


def _data(root: Path, args) -> str:
    from .io.data import fetch_dataset
    from .jobs import policy

    manifest = fetch_dataset(root, policy(root), say=lambda line: print(line, flush=True))
    rows, digest = manifest["rows"], manifest["sha256"][:12]
    return f"wrote data/{manifest['file']}: {rows} rows, sha256 {digest}"


def _schema(root: Path, args) -> str:
    from .jobs.schema import propose

    return propose(root)


def _review(root: Path, args) -> str:
    from .jobs.review import review

    return review(root)


def _eda(root: Path, args) -> str:
    from .jobs.eda import eda

    return f"wrote {eda(root).relative_to(root)}"


def _train(root: Path, args) -> str:
    from .jobs.train import train

    model = train(root).model
    return f"trained run {model.run_id}, registered {model.name} version {model.version}"


def _evaluate(root: Path, args) -> str:
    from .jobs.evaluate import evaluate

    metrics = evaluate(root)
    return "holdout metrics: " + json.dumps({k: round(v, 4) for k, v in metrics.items()})


def _export(root: Path, args) -> str:
    from .jobs.export import export

    exported = export(root)
    return f"wrote {exported['file']}: {exported['bytes']} bytes, sha256 {exported['sha256'][:12]}"


def _serve(root: Path, args) -> str:
    from .serving.launcher import serve

    return serve(root, confine=args.confine)


def _card(root: Path, args) -> str:
    from .jobs.card import write_card

    return f"wrote {write_card(root).relative_to(root)}"


def _comment(root: Path, args) -> str:
    from .jobs.comment import comment

    return f"wrote {comment(root).relative_to(root)}"


def _gate(root: Path, args) -> str:
    from .jobs.gates import GATES, run_gate

    if args.name not in GATES:
        raise ProjectError(f"no gate named {args.name!r}; the gates are {', '.join(GATES)}")
    print(f"gate {args.name} ...", file=sys.stderr, flush=True)
    result = run_gate(args.name, root)
    if not result.passed:
        raise GateFailed(f"gate {result.gate} failed: {result.reason}")
    return f"gate {result.gate} passed: {result.reason}"


def _gates(root: Path, args) -> str:
    from .core.gates import summary
    from .jobs.gates import run_all

    started = time.monotonic()
    results = run_all(root, args.only.split(",") if args.only else None)
    table, took = summary(results), f"in {time.monotonic() - started:.0f} s"
    failed = [result.gate for result in results if not result.passed]
    if failed:
        raise GateFailed(
            f"{table}\n\n{len(failed)} of {len(results)} gates failed {took}: {', '.join(failed)}"
        )
    return f"{table}\n\nall {len(results)} gates passed {took}"


def _monitor(root: Path, args) -> str:
    from .jobs.monitor import REPORTS, monitor

    result = monitor(root)
    rows = result.table.rows if result.table is not None else []
    width = max((len(row[0]) for row in rows), default=0)
    lines = [f"{name:<{width}}  {verdict:<10}  {detail}" for name, verdict, detail in rows]
    text = "\n".join([*lines, "", f"reports in {REPORTS}/", result.reason])
    if not result.passed:
        raise GateFailed(text)
    return text


def _release(root: Path, args) -> str:
    from .jobs.release import release

    return release(root)


def _smoke(root: Path, args) -> str:
    from .jobs.release import smoke_test

    return smoke_test(root)


def _champion(root: Path, args) -> str:
    from .jobs.champion import fetch

    return fetch(root)


def _match(root: Path, args) -> str:
    from .jobs.champion import match

    return match(root)


def _manifests(root: Path, args) -> str:
    from .jobs.manifests import write_manifests

    return f"wrote {write_manifests(root).relative_to(root)}"


def _pin(root: Path, args) -> str:
    from .jobs.manifests import pin

    return pin(root)


def _promote(root: Path, args) -> str:
    from .jobs.promote import promote

    return promote(root)


class GateFailed(Exception):
    """A gate said no: printed like any result, but the command exits 1."""


# Libraries that log at INFO by default; quiet unless asked for.
NOISY = ("mlflow", "alembic", "urllib3", "httpx", "sqlalchemy", "evidently", "skl2onnx")


def configure_logging(verbose: bool) -> None:
    """Set up logging once for the whole command: warnings only, or INFO with ``--verbose``.

    MLflow configures its own loggers when imported, from ``MLFLOW_LOGGING_LEVEL``, so that
    variable is set first; its children (a retrained model in a clean environment) inherit it.
    """
    level = logging.INFO if verbose else logging.WARNING
    if verbose:
        os.environ["MLFLOW_LOGGING_LEVEL"] = "INFO"
    else:
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # evidently 0.7 has an invalid escape sequence that Python 3.12+ reports on first import.
    warnings.filterwarnings("ignore", category=SyntaxWarning, module=r".*evidently")
    for name in NOISY:
        logging.getLogger(name).setLevel(level)


VERBS = {
    "data": (_data, "fetch the dataset into data/ with its manifest"),
    "schema": (_schema, "propose schema.yaml from the data in data/, for you to review"),
    "review": (_review, "record that the goal, KPI and model card were re-read for this data"),
    "eda": (_eda, "write an evidently summary of the data to reports/"),
    "train": (_train, "train, track in MLflow, register, write model/record.json"),
    "evaluate": (_evaluate, "score the recorded model on the holdout"),
    "export": (_export, "export the recorded model to ONNX, model/model.onnx"),
    "serve": (_serve, f"serve model/model.onnx over HTTP on $HOST:$PORT (127.0.0.1:{PORT})"),
    "card": (_card, "write MODEL_CARD.md from the run and model_card.yaml"),
    "gate": (_gate, "run one gate; reports go to reports/gates/"),
    "gates": (_gates, "run every gate and print the summary table"),
    "comment": (_comment, "write the pull-request comment, reports/comment.md, from reports/"),
    "promote": (_promote, "point the registry's champion alias at the recorded version"),
    "monitor": (_monitor, "judge production traffic: drift, and the KPI on labelled rows"),
    "smoke": (_smoke, "smoke-test the service as production runs it; nothing moves"),
    "release": (_release, "smoke-test, publish the champion bundle, then promote"),
    "champion": (_champion, "download the latest release's champion bundle into champion/"),
    "match": (_match, "refuse a built model other than the one the committed record judged"),
    "manifests": (_manifests, "write deploy/k8s/base/deployment.yaml from the policy"),
    "pin": (_pin, "pin the released image digest in the production overlay"),
}


def main(argv: list[str] | None = None) -> int:
    """Run one verb: 0 on success, 1 when a gate fails, 2 on a problem to fix (one line)."""
    parser = argparse.ArgumentParser(prog=PROJECT, description=__doc__)
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=os.environ.get("VERBOSE", "") not in ("", "0"),
        help="log libraries' progress too (also VERBOSE=1)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, (_, help_text) in VERBS.items():
        sub = verbs.add_parser(name, help=help_text)
        if name == "gate":
            # Checked when run: only the gate verbs import the gates (`serve` stays lean).
            sub.add_argument("name", help="the gate's name (make help lists them)")
        if name == "gates":
            sub.add_argument("--only", help="comma-separated gate names (default: every gate)")
        if name == "serve":
            sub.add_argument(
                "--confine",
                action="store_true",
                help="in a cgroup holding the policy's load-gate memory and CPU (CONFINE=1)",
            )
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        print(VERBS[args.verb][0](Path.cwd(), args))
    except GateFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
