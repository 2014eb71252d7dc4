"""axe-core in the browser: inject it, run the WCAG 2.0/2.1 A and AA rules, keep the results.

axe-core is installed by ``scripts/setup test`` from npm into the test virtualenv's ``axe/``
folder (never copied into the repository). It is added to each page as an init script through
the DevTools protocol, so the pages themselves keep running under their real
Content-Security-Policy while audited; any CSP violation a page causes is recorded and
reported alongside axe's findings.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

AXE = Path(sys.prefix) / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations", "incomplete"],
  });
  const brief = (items) => items.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    nodes: rule.nodes.map((node) => ({
      target: node.target,
      html: node.html.slice(0, 300),
      summary: node.failureSummary,
    })),
  }));
  return {
    engine: results.testEngine.version,
    url: results.url,
    violations: brief(results.violations),
    incomplete: brief(results.incomplete),
    csp: window.__cspViolations || [],
    // WCAG 1.4.10 (reflow), which axe leaves to people: nothing wider than the window.
    overflow: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
  };
}"""


def axe_source() -> str:
    """The installed axe-core, or a failure that says how to install it."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is not installed at {AXE}: run `bash scripts/setup test` "
            "(it needs npm, from Node.js 20)"
        )
    return AXE.read_text(encoding="utf-8")


def prepare(context: BrowserContext) -> None:
    """Make axe (and a CSP violation recorder) present in every page the context opens."""
    context.add_init_script(axe_source())
    context.add_init_script(RECORD_CSP_VIOLATIONS)


@dataclass
class Audit:
    """Every page audited in one run, with what axe found on each."""

    language: str
    pages: list[dict[str, Any]] = field(default_factory=list)

    def run(self, page: Page, name: str, viewport: str) -> dict[str, Any]:
        """Audit the page as it is now; the findings are kept under the page's name."""
        result: dict[str, Any] = page.evaluate(RUN_AXE, WCAG_TAGS)
        result.update(page=name, viewport=viewport, language=self.language)
        self.pages.append(result)
        return result

    def failures(self) -> list[str]:
        """One line per failing rule instance or CSP violation, naming page and element."""
        lines = []
        for result in self.pages:
            where = f"{result['language']} {result['viewport']} {result['page']}"
            for rule in result["violations"]:
                for node in rule["nodes"]:
                    lines.append(f"{where}: {rule['id']} ({rule['impact']}) at {node['target']}")
            lines.extend(f"{where}: CSP {violation}" for violation in result["csp"])
            if result["overflow"]:
                lines.append(f"{where}: {result['overflow']}px wider than the window (reflow)")
        return lines

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.pages, indent=1, ensure_ascii=False), encoding="utf-8")
