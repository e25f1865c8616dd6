"""A whole nbgrader course round, as an instructor plays it, in a temporary course folder.

Generate the student version of every chapter (`python -m alexnet_lib student`, nbgrader's generate_assignment
underneath) and check that no solution is left in it; then, with nbgrader's own command line in a course folder,
release the quickest chapter, submit it once filled with the reference solutions and once with wrong answers,
autograde both and read the scores from nbgrader's gradebook. Needs nbgrader (`pip install nbgrader==0.9.6`,
in requirements.txt): without it the tests skip, except under CI=true where they fail.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alexnet_lib.book.student import BEGIN, END, NBGRADER
from tests.chapters import CHAPTERS, ROOT

pytestmark = pytest.mark.slow  # the fast lane (-m "not slow") leaves it out

#: The chapter the round is played with: the quickest to execute.
QUICK = "output_size"
#: Wrong answers for the quick chapter's exercises, by grade_id; the first exercise is answered right.
WRONG = {"ex-exact-sizes": "def exact_sizes(lo, hi):\n    return [W for W in range(lo, hi) if W % 4 == 0]\n"
                           "check_exact_sizes(exact_sizes);",
         "ex-fc-share": "from torch import nn\ndef fc_share(model):\n    return 0.5\ncheck_fc_share(fc_share);"}


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module", autouse=True)
def nbgrader_installed():
    """Fail under CI (the round trip is part of what CI checks), else skip and say how to install nbgrader."""
    if shutil.which("nbgrader") is None or subprocess.run([sys.executable, "-c", "import nbgrader"]).returncode:
        why = f"nbgrader is not installed: pip install {NBGRADER}"
        if _on_ci():
            pytest.fail(f"the nbgrader round trip cannot run under CI: {why}")
        pytest.skip(why)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _solution_lines(nb: dict) -> set[str]:
    """The distinctive lines of every answer (between the markers), which must appear nowhere in a student version."""
    elsewhere = "\n".join(_source(c) for c in nb["cells"] if BEGIN not in _source(c))
    lines = set()
    for cell in nb["cells"]:
        for block in re.findall(f"{BEGIN}\n(.*?)\n[ \t]*{END}", _source(cell), re.S):
            lines |= {line.strip() for line in block.splitlines() if len(line.strip()) >= 12}
    return {line for line in lines if line not in elsewhere}


def _solution_prose(nb: dict) -> list[str]:
    """The body of every written {solution} block."""
    text = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    return re.findall(r"```\{solution\}[^\n]*\n:class: dropdown\n\n(.*?)\n```", text, re.S)


def _pictures(nb: dict) -> int:
    """The figures and explorers a notebook shows."""
    return sum("image/png" in o.get("data", {}) or 'class="alexnet-explorer"' in "".join(o.get("data", {}).get(
        "text/html", "")) for c in nb["cells"] for o in c.get("outputs", []))


def test_student_versions_of_every_chapter_hold_no_solution(tmp_path):
    out = tmp_path / "student"
    done = subprocess.run([sys.executable, "-m", "alexnet_lib", "student", *map(str, CHAPTERS), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for chapter in CHAPTERS:
        original, student = _load(chapter), _load(out / chapter.name)
        text = json.dumps(student, ensure_ascii=False)
        assert BEGIN not in text and END not in text and "{solution}" not in text
        leaked = [line for line in _solution_lines(original) if line in text]
        assert not leaked, f"{chapter.name}: solution text left in the student version: {leaked[:3]}"
        prose = [p for p in _solution_prose(original) if p[:80] in text]
        assert not prose, f"{chapter.name}: a written solution is left: {prose[0][:80]}"
        answers = [c for c in student["cells"] if _nbgrader(c).get("solution")]
        assert len(answers) == sum(1 for c in original["cells"] if _nbgrader(c).get("solution")) >= 3
        for cell in answers:
            assert "raise NotImplementedError()" in _source(cell)
            assert cell["outputs"] == [] and cell["execution_count"] is None, "answer outputs may show the answer"
            assert "hide-input" not in cell["metadata"].get("tags", []), "learners must see the cell they fill in"
        tests = [c for c in student["cells"] if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")]
        assert len(tests) == len(answers) and all(_nbgrader(c)["locked"] for c in tests)
        # The statements stay, and so do the figures and the explorer of the rest of the chapter.
        assert text.count("{exercise}") == json.dumps(original, ensure_ascii=False).count("{exercise}")
        assert _pictures(student) == _pictures(original) > 0
    assert not (out / ".ipynb_checkpoints").exists() and sorted(p.name for p in out.iterdir()) == \
        sorted(c.name for c in CHAPTERS)


def _nbgrader_cli(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ALEXNET_PROFILE="smoke")  # what an instructor sets for autograding on a CPU
    done = subprocess.run(["nbgrader", *args], cwd=course, capture_output=True, text=True, env=env, timeout=400)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _submit(course: Path, student: str, released: dict, answers: dict) -> None:
    """Put `released` into submitted/<student>/, with each answer cell's source replaced as `answers` says."""
    nb = json.loads(json.dumps(released))
    for cell in nb["cells"]:
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    folder = course / "submitted" / student / QUICK
    folder.mkdir(parents=True)
    (folder / f"{QUICK}.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def test_a_course_round_autogrades_full_and_partial_marks(tmp_path):
    course = tmp_path / "course"
    (course / "source" / QUICK).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "from alexnet_lib.book.student import configure\nc = get_config()\nconfigure(c)\n", encoding="utf-8")
    chapter = ROOT / "chapters" / f"{QUICK}.ipynb"
    shutil.copyfile(chapter, course / "source" / QUICK / chapter.name)
    _nbgrader_cli(course, "generate_assignment", QUICK, "--force")
    released = _load(course / "release" / QUICK / chapter.name)

    reference = {_nbgrader(c)["grade_id"]: _source(c) for c in _load(chapter)["cells"] if _nbgrader(c).get("solution")}
    assert set(WRONG) < set(reference), "WRONG must name the quick chapter's exercises"
    _submit(course, "right", released, reference)
    _submit(course, "wrong", released, {**reference, **WRONG})
    _nbgrader_cli(course, "autograde", QUICK, "--force")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        right = gradebook.find_submission(QUICK, "right")
        wrong = gradebook.find_submission(QUICK, "wrong")
        total = sum(_nbgrader(c).get("points", 0) for c in released["cells"] if _nbgrader(c).get("grade"))
        assert right.max_score == total == len(reference)
        assert right.score == total, "the reference solutions must get full marks"
        assert wrong.score == total - len(WRONG), "each wrong answer must lose its points, the right one keep them"


def test_every_chapter_autogrades_within_the_instructors_cell_limit(tmp_path):
    """Under the instructors page's config, every chapter's reference answers autograde to full marks: no cell is
    stopped by the time limit (ALEXNET_PROFILE=smoke, as the page says) and none fails."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        "from alexnet_lib.book.student import configure\nc = get_config()\nconfigure(c)\n", encoding="utf-8")
    for chapter in CHAPTERS:
        (course / "source" / chapter.stem).mkdir(parents=True)
        shutil.copyfile(chapter, course / "source" / chapter.stem / chapter.name)
        _nbgrader_cli(course, "generate_assignment", chapter.stem, "--force")
        released = _load(course / "release" / chapter.stem / chapter.name)
        reference = {_nbgrader(c)["grade_id"]: _source(c) for c in _load(chapter)["cells"]
                     if _nbgrader(c).get("solution")}
        nb = json.loads(json.dumps(released))
        for cell in nb["cells"]:
            if _nbgrader(cell).get("grade_id") in reference:
                cell["source"] = reference[_nbgrader(cell)["grade_id"]]
        folder = course / "submitted" / "reference" / chapter.stem
        folder.mkdir(parents=True)
        (folder / chapter.name).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        _nbgrader_cli(course, "autograde", chapter.stem, "--force")
        graded = _load(course / "autograded" / "reference" / chapter.stem / chapter.name)
        errors = [(i, o.get("ename")) for i, c in enumerate(graded["cells"]) for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, f"{chapter.name}: cells failed or were stopped under autograde: {errors}"

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for chapter in CHAPTERS:
            s = gradebook.find_submission(chapter.stem, "reference")
            assert s.score == s.max_score > 0, f"{chapter.name}: {s.score} of {s.max_score}"
