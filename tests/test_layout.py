"""The layout's rules, read from the code itself (every import statement, including those inside functions), so
that an arrow against them cannot slip in:

    app.py  ->  explorers/  ->  components/, core/, models/, and server/'s memo, gpu and queue
    training/ -> models/, core/        server/ -> models/, core/        core/ and models/: no gradio, no plotly

- an explorer imports no other explorer (a tab that is a package imports its own parts, nothing else);
- core/ imports nothing of the project but core/, and neither gradio nor plotly;
- models/ imports only models/ and core/ (shared model math), and neither gradio nor plotly;
- components/ imports only components/ and core/;
- training scripts import model definitions, never the other way round: nothing but tests imports training/;
- server/ (caches, warm-up, ZeroGPU, queue, pages, sessions, class rooms) imports only server/, models/ (the warm-up
  calls the loaders) and core/ (the rooms' rules), never an explorer; app.py imports all of server/, an explorer only EXPLORER_SERVING (the cache it
  memoises with, the GPU decorator and the queue its heavy events join), nothing else imports server/;
- nothing imports app.py.
And the size rules of STYLE.md: no function over 60 lines, no module over 400 lines.
And tests mirror the code: every module of core/ and components/ has tests/<folder>/test_<module>.py, every panel
(explorers/<section>/<panel>.py or its package) tests/explorers/test_<panel>.py.
And diffusers and transformers are imported by module path (`from diffusers.schedulers.scheduling_ddpm import
DDPMScheduler`), never by their lazy top level (`from diffusers import DDPMScheduler`): the top level's lazy
attribute lookup is not thread-safe, and the warm-up thread and two requests import at the same time (seen: "cannot
import name 'DDPMScheduler' from 'diffusers'" on the first sampling request while the warm-up loaded the U-Net).
"""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("app", "explorers", "components", "core", "models", "training", "server")
ALLOWED = {            # layer -> project layers it may import (besides itself)
    "app": {"explorers", "components", "core", "models", "server"},
    "explorers": {"components", "core", "models", "server"},
    "components": {"core"},
    "core": set(),
    "models": {"core"},
    "training": {"models", "core"},
    "server": {"models", "core"},
}
EXPLORER_SERVING = ("server.memo", "server.gpu", "server.queue")   # the only server/ modules an explorer may import
NO_UI = {"core", "models", "training"}          # layers that import neither gradio nor plotly
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def project_files() -> list[Path]:
    files = [REPO / "app.py"]
    for layer in LAYERS[1:]:
        files += sorted((REPO / layer).rglob("*.py"))
    return files


def imports(path: Path) -> list[str]:
    """Every module an import statement in the file names (absolute; relative ones resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def panel_of(module: str) -> str:
    """explorers.<section>.<panel>[.<part>] -> explorers.<section>.<panel>: a tab and its own parts."""
    return ".".join(module.split(".")[:3])


LAZY_TOP_LEVELS = ("diffusers", "transformers")


def violations() -> list[str]:
    found = []
    for path in project_files():
        me = module_name(path)
        layer = me.split(".")[0]
        for name in imports(path):
            top = name.split(".")[0]
            if top in LAZY_TOP_LEVELS and name.count(".") == 1 and layer != "training" and \
                    name.split(".")[1][:1].isupper():
                found.append(f"{me} imports {name} from the lazy top level: import it by its module path")
            if top in ("gradio", "plotly") and layer in NO_UI:
                found.append(f"{me} imports {name}: {layer}/ must not depend on the UI")
            if top not in LAYERS or top == layer and layer != "explorers":
                continue
            if top == "explorers" and layer == "explorers":
                if name.count(".") >= 2 and panel_of(name) != panel_of(me):
                    found.append(f"{me} imports {name}: explorers never import each other")
                continue
            if top not in ALLOWED[layer]:
                found.append(f"{me} imports {name}: {layer}/ may import only {sorted(ALLOWED[layer]) or 'itself'}")
            elif top == "server" and layer == "explorers" and name != "server" and \
                    not any(name == allowed or name.startswith(allowed + ".") for allowed in EXPLORER_SERVING):
                found.append(f"{me} imports {name}: an explorer may import only {', '.join(EXPLORER_SERVING)} "
                             "from server/")
    return found


def test_every_import_follows_the_layout():
    assert violations() == []


def test_the_check_catches_an_arrow_against_the_rules(tmp_path, monkeypatch):
    """The walker itself: a core module that imports a model loader, two explorers importing each other, an
    explorer reaching into server/ beyond its serving helpers, and server/ importing an explorer."""
    fake = tmp_path
    (fake / "core").mkdir()
    (fake / "core" / "bad.py").write_text("def f():\n    from models.language import load_language_model\n")
    (fake / "explorers" / "learning").mkdir(parents=True)
    (fake / "explorers" / "learning" / "backprop.py").write_text("from explorers.structure.neuron import update\n")
    (fake / "explorers" / "learning" / "descent").mkdir()
    (fake / "explorers" / "learning" / "descent" / "__init__.py").write_text("from .toy import build_toy_part\n")
    (fake / "explorers" / "learning" / "descent" / "toy.py").write_text(
        "from server.memo import shared_cache\nfrom server import gpu, pages\n")
    (fake / "server").mkdir()
    (fake / "server" / "warm_up.py").write_text("from models.language import app_language_model\n"
                                                "from explorers.learning import backprop\n")
    (fake / "app.py").write_text("import explorers\n")
    (fake / "models").mkdir()
    (fake / "models" / "unet.py").write_text("def build():\n    from diffusers import UNet2DModel\n")
    monkeypatch.setattr(f"{__name__}.REPO", fake)
    found = sorted(violations())
    assert found == sorted(["core.bad imports models.language: core/ may import only itself",
                     "core.bad imports models.language.load_language_model: core/ may import only itself",
                     "explorers.learning.backprop imports explorers.structure.neuron: explorers never import each other",
                     "explorers.learning.backprop imports explorers.structure.neuron.update: explorers never import "
                     "each other",
                     "models.unet imports diffusers.UNet2DModel from the lazy top level: import it by its module "
                     "path",
                     "explorers.learning.descent.toy imports server.pages: an explorer may import only server.memo, "
                     "server.gpu, server.queue from server/",
                     "server.warm_up imports explorers.learning: server/ may import only ['core', 'models']",
                     "server.warm_up imports explorers.learning.backprop: server/ may import only ['core', 'models']"]), found


@pytest.mark.parametrize("path", project_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_functions_and_modules_stay_small(path):
    tree = ast.parse(path.read_text())
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


MIRRORED = ("core", "components")      # one test file per module


def panels() -> list[str]:
    """The panels: explorers/<section>/<panel>.py or explorers/<section>/<panel>/__init__.py."""
    found = []
    for section in sorted(p for p in (REPO / "explorers").iterdir() if (p / "__init__.py").exists()):
        found += [p.stem for p in sorted(section.glob("*.py")) if p.name != "__init__.py"]
        found += [p.name for p in sorted(section.iterdir()) if (p / "__init__.py").exists()]
    return sorted(found)


def untested() -> list[str]:
    """The test files the mirror rule asks for that do not exist."""
    wanted = [Path("tests", folder, f"test_{path.stem}.py") for folder in MIRRORED
              for path in sorted((REPO / folder).glob("*.py")) if path.name != "__init__.py"]
    wanted += [Path("tests", "explorers", f"test_{panel}.py") for panel in panels()]
    return [str(path) for path in wanted if not (REPO / path).exists()]


def test_tests_mirror_the_code():
    assert untested() == []


def test_the_mirror_check_names_a_module_or_panel_without_its_test_file(tmp_path, monkeypatch):
    for folder in ("core", "components", "explorers/learning/descent", "tests/core", "tests/explorers"):
        (tmp_path / folder).mkdir(parents=True)
    for path in ("core/__init__.py", "core/sgd.py", "core/mlp.py", "components/heatmap.py", "explorers/__init__.py",
                 "explorers/learning/__init__.py", "explorers/learning/backprop.py",
                 "explorers/learning/descent/__init__.py", "explorers/learning/descent/toy.py",
                 "tests/core/test_sgd.py", "tests/explorers/test_backprop.py"):
        (tmp_path / path).write_text("")
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    assert panels() == ["backprop", "descent"]                          # a package's parts are not panels
    assert untested() == ["tests/core/test_mlp.py", "tests/components/test_heatmap.py",
                          "tests/explorers/test_descent.py"]
