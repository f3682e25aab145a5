"""Every pointer resolves inside the repository: each `docs/<name>.md` named in code, scripts and
docs exists, each `docs/<name>.md §N` names a section of that file, each relative markdown link of the README
and docs/ leads to a file, and nothing points at a document the repository does not hold."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POINTER = re.compile(r"docs/(\w+)\.md(?:,? (§[\d.]+|Appendix [A-Z]))?")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PATH = re.compile(r"(?<![\w/.-])((?:common|scripts|tests|segan|isegan|dsegan|docs)/[\w/.-]*\w)")


def repo_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    return [f for f in out if f.endswith((".py", ".sh", ".md", ".ini", ".cfg")) or f == ".ci/run"]


def sections(doc: str) -> set[str]:
    """'§3', '§3.1', 'Appendix B' for the headings '## 3. …', '### 3.1 …', '## Appendix B …' of a doc."""
    found = set()
    for line in open(os.path.join(ROOT, "docs", doc + ".md")):
        if m := re.match(r"#{2,4} (\d+(?:\.\d+)*)\.? ", line):
            found.add("§" + m.group(1))
        elif m := re.match(r"#{2,4} (Appendix [A-Z])\b", line):
            found.add(m.group(1))
    return found


def test_every_pointer_into_docs_resolves():
    missing = []
    for path in repo_files():
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        for m in POINTER.finditer(text):
            doc, section = m.groups()
            if not os.path.isfile(os.path.join(ROOT, "docs", doc + ".md")):
                missing.append(f"{path}: docs/{doc}.md does not exist")
            elif section and section.rstrip(".") not in sections(doc):
                missing.append(f"{path}: docs/{doc}.md has no {section}")
    assert not missing, "\n".join(missing)


def test_every_path_named_outside_the_tests_exists():
    """A module, script or doc named in code, scripts and docs is where it says (after a move, say)."""
    stale = [f"{path}: {name}" for path in repo_files() if not path.startswith("tests/")
             for name in PATH.findall(open(os.path.join(ROOT, path), encoding="utf-8").read())
             if not any(c in name for c in "*<") and not os.path.exists(os.path.join(ROOT, name.rstrip(".")))]
    assert not stale, stale


def test_markdown_links_lead_to_files():
    broken = []
    for path in ["README.md", *(os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs")))]:
        for target in LINK.findall(open(os.path.join(ROOT, path), encoding="utf-8").read()):
            if "://" not in target and not os.path.exists(os.path.join(ROOT, os.path.dirname(path), target)):
                broken.append(f"{path}: {target}")
    assert not broken, broken


def test_nothing_points_outside_the_repository():
    """The design and metric specifications users read are docs/design.md and docs/metrics.md; the
    development notes they were written from are not in the repository."""
    outside = [f"{path}:{n}" for path in repo_files()
               for n, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1)
               if re.search(r"\bSPEC\b|\.\./shared/", line) and path != "tests/test_docs.py"]
    assert not outside, outside
