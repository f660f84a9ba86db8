"""Where the shipped folders (templates, static, migrations) are found.

An installed wheel carries them inside the package; a source checkout keeps them at the top.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name
