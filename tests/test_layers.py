"""The floors of pipeline/: a module imports only from its own layer and the layers beneath it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pipeline

PACKAGE = Path(pipeline.__file__).parent
# Ground floor first (README, "Layout"). pipeline/data holds package files, no code.
LAYERS = ("core", "runtime", "text", "lsh", "stages", "report", "orchestration")
# The one module outside the floors: `luigi --module pipeline.tasks` in existing crontabs.
TOP_LEVEL = ("__init__.py", "tasks.py")


def imported_modules(path: Path, package_root: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every module of ours that ``path`` imports, inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join((package_root.name, *path.relative_to(package_root).parent.parts))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            module = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            # `from pipeline.core import tables` names a module too: keep the imported name.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == package_root.name]


def upward_imports(path: Path, package_root: Path) -> list[str]:
    own = LAYERS.index(path.relative_to(package_root).parts[0])
    found = []
    for line, name in imported_modules(path, package_root):
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in LAYERS:
            found += [f"line {line}: {name} (not in a layer)"] if parts[1:2] != ["__version__"] else []
        elif LAYERS.index(parts[1]) > own:
            found.append(f"line {line}: {name}")
    return found


def _layered_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE and p.relative_to(PACKAGE).parts[0] != "data")


def test_every_module_lives_in_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in TOP_LEVEL)
    assert loose == [], f"modules outside the layer folders: {loose}"
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name not in ("data", "__pycache__"))
    assert folders == sorted(LAYERS)


@pytest.mark.parametrize("path", _layered_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path: Path):
    assert upward_imports(path, PACKAGE) == [], f"{path.relative_to(PACKAGE)} imports from a higher layer"


def test_the_check_catches_an_upward_import(tmp_path: Path):
    root = tmp_path / "pipeline"
    for layer in ("core", "stages"):
        (root / layer).mkdir(parents=True)
    (root / "core" / "ids.py").write_text(
        "import json\nfrom pipeline.core import errors\n\ndef f():\n    from ..stages.align import AlignParams\n"
    )
    (root / "stages" / "align.py").write_text("from pipeline.core.ids import passage_id\nfrom . import ingest\n")
    assert upward_imports(root / "core" / "ids.py", root) == ["line 5: pipeline.stages.align.AlignParams"]
    assert upward_imports(root / "stages" / "align.py", root) == []


def imported_modules_of(floor: str, package_root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module of ``floor`` -> the modules of ours it imports (a name imported from a module counts
    as that module)."""
    found = {}
    for path in sorted((package_root / floor).glob("*.py")):
        module = ".".join((package_root.name, floor, path.stem))
        found[module] = {".".join(name.split(".")[:3]) for _, name in imported_modules(path, package_root)}
    return found


# A stage's own subpackage: the ingest stage's input readers (one module per kind of file).
OWN_SUBPACKAGES = {"pipeline.stages.ingest": "pipeline.stages.readers"}


def test_no_stage_imports_another_stage():
    crossings = {
        (module, other)
        for module, imports in imported_modules_of("stages").items()
        for other in imports
        if other.startswith("pipeline.stages.") and other != module and OWN_SUBPACKAGES.get(module) != other
    }
    assert crossings == set(), "stages talk through tables, not imports: move the shared rule down a floor"


def test_a_stage_subpackage_imports_no_stage():
    for package in OWN_SUBPACKAGES.values():
        folder = PACKAGE.joinpath(*package.split(".")[1:])
        for path in sorted(folder.glob("*.py")):
            stages = {
                name
                for _, name in imported_modules(path, PACKAGE)
                if name.startswith("pipeline.stages.") and not name.startswith(package)
            }
            assert stages == set(), f"{path.relative_to(PACKAGE)} imports a stage"


def test_lsh_imports_no_stage():
    stage_imports = {
        module: sorted(i for i in imports if i.startswith("pipeline.stages."))
        for module, imports in imported_modules_of("lsh").items()
    }
    assert "pipeline.lsh.pairs" in stage_imports
    assert {module: found for module, found in stage_imports.items() if found} == {}


def test_the_stage_check_sees_a_stage_imported_by_name(tmp_path: Path):
    stages = tmp_path / "pipeline" / "stages"
    stages.mkdir(parents=True)
    (stages / "provenance.py").write_text("from pipeline.stages.align import COPY_RELATIONS\nfrom . import clusters\n")
    assert imported_modules_of("stages", tmp_path / "pipeline") == {
        "pipeline.stages.provenance": {"pipeline.stages.align", "pipeline.stages.clusters"}
    }


def test_the_first_task_module_name_still_schedules_the_tasks():
    """`luigi --module pipeline.tasks Inbox ...` in crontabs written before the floors."""
    import pipeline.tasks as first_name
    from pipeline.orchestration import tasks

    assert (first_name.Inbox, first_name.Batch, first_name.Report) == (tasks.Inbox, tasks.Batch, tasks.Report)
