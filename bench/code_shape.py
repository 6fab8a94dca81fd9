"""The code's shape: the largest functions, the highest cyclomatic complexity and module sizes.

    python bench/code_shape.py coordinator_app ui

Prints the top functions by complexity and by length, the modules over 600 lines, and how many
functions break the targets (over 80 lines, complexity over 15). docs/architecture.md quotes it.
"""

from __future__ import annotations

import pathlib
import sys

from radon.complexity import cc_visit
from radon.visitors import Class


def measure(roots: list[str]) -> tuple[list[tuple[int, int, str]], list[tuple[int, str]]]:
    functions, modules = [], []
    for root in roots:
        for path in sorted(pathlib.Path(root).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            modules.append((source.count("\n"), str(path)))
            for block in cc_visit(source):          # methods come as blocks of their own too
                if isinstance(block, Class):
                    continue
                owner = f"{block.classname}." if block.classname else ""
                functions.append((block.complexity, block.endline - block.lineno + 1,
                                  f"{path}:{block.lineno} {owner}{block.name}"))
    return functions, modules


def main(roots: list[str]) -> None:
    functions, modules = measure(roots)
    print("highest complexity (cc, lines, where):")
    for row in sorted(functions, reverse=True)[:8]:
        print("  ", row)
    print("longest functions (cc, lines, where):")
    for row in sorted(functions, key=lambda r: r[1], reverse=True)[:8]:
        print("  ", row)
    big = [m for m in sorted(modules, reverse=True) if m[0] > 600]
    print(f"modules: {len(modules)}, largest {max(modules)[0]} lines; over 600 lines: {big}")
    print(f"functions: {len(functions)}; complexity over 15: {sum(1 for f in functions if f[0] > 15)}; "
          f"over 80 lines: {sum(1 for f in functions if f[1] > 80)}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["coordinator_app", "ui"])
