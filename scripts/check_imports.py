"""Fail when any two modules of `pipeline` import each other, directly or round a loop.

import-linter's layers contract (pyproject.toml, `lint-imports`) keeps the
packages in one direction; this keeps the modules free of cycles inside them
too. The graph is grimp's (import-linter's own), without TYPE_CHECKING imports.

    .venv/bin/python scripts/check_imports.py
"""

from __future__ import annotations

import sys

import grimp


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def main() -> int:
    graph = grimp.build_graph("pipeline", exclude_type_checking_imports=True)
    groups = cycles(graph)
    for group in groups:
        print("import cycle: " + " <-> ".join(group))
    print(f"{len(graph.modules)} modules, {len(groups)} import cycles")
    return 1 if groups else 0


if __name__ == "__main__":
    sys.exit(main())
