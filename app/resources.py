"""Where the app's files are: one resolver for the checkout and for an installed wheel.

The repository keeps ``templates/``, ``static/``, ``service_worker/`` and ``locale/`` next to
``app/``. An installed wheel carries copies of them inside the package, in ``app/_data/``
(``setup.py`` puts them there and compiles the catalogs). When that folder is present the app
uses it, else the source checkout: running from a checkout (``make run``, an editable install,
the tests) and running from ``pip install .`` find the same files. Migrations live in the
package in both cases.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The name of the folder inside the installed package (``setup.py`` writes it).
INSTALLED_DATA = "_data"


def _data_root() -> Path:
    installed = PACKAGE_DIR / INSTALLED_DATA
    return installed if installed.is_dir() else PACKAGE_DIR.parent


DATA_ROOT = _data_root()
TEMPLATES = DATA_ROOT / "templates"
STATIC = DATA_ROOT / "static"
SERVICE_WORKER = DATA_ROOT / "service_worker"
LOCALE = DATA_ROOT / "locale"
CONTENT = DATA_ROOT / "content"  # the open pages' Markdown (app/info/pages.py)
MIGRATIONS = PACKAGE_DIR / "migrations"
