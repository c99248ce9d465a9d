"""The Docker images copy every project package their code imports (no Docker
engine here, so this is checked statically)."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}


def project_imports(package: str, seen: set[str] | None = None) -> set[str]:
    """Project packages reachable by imports from `package`, itself included."""
    seen = seen if seen is not None else set()
    seen.add(package)
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in PACKAGES and top not in seen and top != "tests":
                    project_imports(top, seen)
    return seen


@pytest.mark.parametrize(
    "dockerfile, roots",
    [
        ("actions.Dockerfile", ["actions"]),
        ("rasa.Dockerfile", ["addons", "components", "connectors"]),
    ],
)
def test_each_image_copies_the_packages_its_code_imports(dockerfile, roots):
    copied = set(re.findall(r"^COPY \S+ (\w+) ", (ROOT / "deploy" / dockerfile).read_text(), re.M))
    ignore = (ROOT / "deploy" / f"{dockerfile}.dockerignore").read_text()
    needed = set().union(*(project_imports(root) for root in roots)) - {"scripts"}
    assert needed <= copied, needed - copied
    assert all(f"!{package}/" in ignore for package in needed)


# Rasa's own image already has these (Rasa depends on them).
IN_RASA_IMAGE = {"rasa", "rasa-sdk", "psycopg2-binary", "redis", "pydantic"}


def test_the_rasa_image_installs_the_other_pinned_runtime_libraries():
    pins = {
        line.split("==")[0]: line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    installed = (ROOT / "deploy" / "rasa.Dockerfile").read_text()
    wanted = [pin for name, pin in pins.items() if name not in IN_RASA_IMAGE]
    missing = [pin for pin in wanted if pin not in installed]
    assert not missing, missing
