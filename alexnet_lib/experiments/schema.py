"""The one record format of a recorded experiment, its one writer and its one loader."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional, Union

from ..engine.records import load_record, provenance
from ..files import read_checked_json, write_checked_json

SCHEMA = "alexnet_lib.experiment/1"
_KEYS = ("schema", "experiment", "question", "settings", "runs", "provenance")


def make_record(experiment: str, question: str, settings: dict[str, Any], runs: list[dict[str, Any]],
                device: Any = "cpu", started: Optional[float] = None) -> dict[str, Any]:
    """A record: what was asked, every setting, every run, and where/when/how long (from `time.perf_counter`)."""
    prov = provenance(device)
    if started is not None:
        prov["seconds"] = round(time.perf_counter() - started, 1)
    return {"schema": SCHEMA, "experiment": experiment, "question": question, "settings": settings,
            "runs": runs, "provenance": prov}


def save(record: dict[str, Any], out: Union[str, Path, None]) -> dict[str, Any]:
    """Write `record` (with the checksum of its content) to `out` atomically when `out` is given; return it either
    way."""
    if out is not None:
        write_checked_json(out, validate(record, "the record to write"))
    return record


def validate(record: object, where: str = "record", experiment: Optional[str] = None) -> dict[str, Any]:
    """`record` if it has the experiment schema (and is of `experiment`, when given), else a ValueError."""
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise ValueError(f"{where} is not an experiment record (schema {SCHEMA!r}); re-run the experiment's run()")
    missing = [k for k in _KEYS if k not in record]
    if missing:
        raise ValueError(f"{where} lacks {missing}: not a record written by alexnet_lib.experiments")
    if not isinstance(record["runs"], list) or not all(isinstance(r, dict) for r in record["runs"]):
        raise ValueError(f"{where}: 'runs' must be a list of objects")
    if experiment is not None and record["experiment"] != experiment:
        raise ValueError(f"{where} records experiment {record['experiment']!r}, not {experiment!r}")
    return record


def load(name_or_path: Union[str, Path], experiment: Optional[str] = None) -> dict[str, Any]:
    """A recorded experiment by run name ('lrn': data/runs/lrn.json, fetched if need be) or by file path."""
    if isinstance(name_or_path, Path) or (isinstance(name_or_path, str) and name_or_path.endswith(".json")):
        return validate(read_checked_json(name_or_path, "experiment record"), str(name_or_path), experiment)
    return validate(load_record(name_or_path), f"data/runs/{name_or_path}.json",
                    experiment if experiment is not None else name_or_path)


def where_text(record: dict[str, Any]) -> str:
    """One line: when, on what, with which torch and threads, and how long the record took."""
    p = validate(record)["provenance"]
    took = f" in {p['seconds'] / 60:.1f} min" if "seconds" in p else ""
    how = f"; {p['code']}" if p.get("code") else ""  # a record made by an earlier version of the code says so
    return (f"recorded {p.get('date', '?')} on {p.get('device_name', '?')} ({p.get('threads', '?')} threads, "
            f"torch {p.get('torch', '?')}){took}{how}")
