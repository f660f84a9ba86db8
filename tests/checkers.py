"""The checkers the field uses, run on our pages: axe-core inside headless Chromium (WCAG 2.2
AA rules) and the Nu HTML Checker (vnu.jar, with Java) on the HTML the server sends.

Both come from npm into tests/tools/node_modules (`npm ci --prefix tests/tools`, which
.ci/run does); Java is Debian's default-jre-headless. Missing, they skip, or fail in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLS = Path(__file__).parent / "tools" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"

# axe-core's tags for every success criterion up to WCAG 2.2 level AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _need(path: Path, what: str) -> None:
    if not path.exists():
        reason = f"{what} is missing at {path}: run `npm ci --prefix tests/tools`"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(reason)


def need_axe() -> None:
    _need(AXE, "axe-core")


def need_vnu() -> None:
    _need(VNU, "vnu-jar")
    if shutil.which("java") is None:
        reason = "java is missing: apt-get install default-jre-headless"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(reason)


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str | None
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} at {', '.join(self.targets[:5])}"


def axe(page, colour_rules_only: bool = False) -> list[Violation]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now; `colour_rules_only` runs
    only its colour rules (contrast, links told apart by colour alone), for a page already
    checked in full whose colours are all that changed.

    The source goes in through the DevTools protocol (page.evaluate), which the page's
    Content-Security-Policy does not govern, so the page is checked with its real CSP on.
    """
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """([tags, coloursOnly]) => axe.run(document, {resultTypes: ['violations'], runOnly: coloursOnly
             ? {type: 'rule', values: axe.getRules(tags).filter(r => r.tags.includes('cat.color')).map(r => r.ruleId)}
             : {type: 'tag', values: tags}})""",
        [WCAG_AA, colour_rules_only],
    )
    return [
        Violation(v["id"], v.get("impact"), v["help"], tuple(" ".join(n["target"]) for n in v["nodes"]))
        for v in result["violations"]
    ]


# What the stylesheet's dark scheme sets, as the page's CSSOM has it: the properties of
# every rule inside a `prefers-color-scheme: dark` media block.
DARK_SCHEME_PROPERTIES = """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
  .filter(rule => rule instanceof CSSMediaRule && rule.conditionText.includes('prefers-color-scheme: dark'))
  .flatMap(media => [...media.cssRules]).flatMap(rule => [...rule.style])"""


@dataclass(frozen=True)
class HtmlError:
    page: str
    message: str
    extract: str

    def __str__(self) -> str:
        return f"{self.page}: {self.message} [{self.extract.strip()[:120]}]"


def vnu(pages: dict[str, str]) -> list[HtmlError]:
    """The Nu HTML Checker's errors on each page (name → the HTML the server sent), in one
    run of Java for all of them."""
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for n, (name, html) in enumerate(pages.items()):
            path = Path(tmp) / f"page-{n}.html"
            path.write_text(html, encoding="utf-8")
            files[path.name] = name
        run = subprocess.run(
            ["java", "-Xss4m", "-jar", str(VNU), "--format", "json", "--exit-zero-always", *[str(Path(tmp) / f"page-{n}.html") for n in range(len(pages))]],
            capture_output=True, text=True, timeout=600,
        )
    report = json.loads(run.stderr or run.stdout)
    return [
        HtmlError(files.get(m.get("url", "").rsplit("/", 1)[-1], m.get("url", "")), m["message"], m.get("extract", ""))
        for m in report["messages"]
        if m["type"] == "error"
    ]
