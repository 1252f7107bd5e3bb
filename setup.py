"""Build step: put the app's data into the wheel and compile the catalogs.

The repository keeps ``templates/``, ``static/``, ``service_worker/`` and ``locale/`` beside
``app/``; a wheel gets copies of them in ``app/_data/`` (where :mod:`app.resources` looks
first), with every ``locale/*/LC_MESSAGES/*.po`` compiled to ``.mo`` by babel (the ``.mo`` files
are not in git). An editable install (``make install``) uses the checkout and copies nothing.
Everything else is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_DIRS = ("templates", "static", "service_worker", "locale", "content")
TARGET = Path("app") / "_data"  # keep in step with app/resources.py INSTALLED_DATA
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", ".DS_Store")


def skip(directory: str, names: list[str]) -> set[str]:
    """Build artefacts, and ``static/vendor`` (the htmx copy that ``make`` downloads, not in
    git): the wheel is the same whether or not this checkout ran ``make vendor``."""
    ignored = set(_SKIP(directory, names))
    if Path(directory) == ROOT / "static":
        ignored.add("vendor")
    return ignored


def compile_catalogs(locale_dir: Path) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo)
    if not written:
        raise SystemExit(f"no translation catalogs (*.po) under {locale_dir}")
    return written


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders
        target = Path(self.build_lib) / TARGET
        if target.exists():
            shutil.rmtree(target)
        for name in DATA_DIRS:
            shutil.copytree(ROOT / name, target / name, ignore=skip)
        for mo in compile_catalogs(target / "locale"):
            self.announce(f"compiled {mo}", level=2)


setup(cmdclass={"build_py": BuildWithData})
