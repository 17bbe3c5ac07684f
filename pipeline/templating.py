"""The one Jinja2 environment every letter template is rendered in: a sandbox.

Templates are files staff may edit, so they are code from outside the
program: `{{ cycler.__init__.__globals__.os.popen('id').read() }}` in a plain
Environment runs a command as the service user. Every template the project
renders (the reply now; objection letters and reports later) goes through
`template_env()`, Jinja2's ImmutableSandboxedEnvironment, with autoescape on
(a unit named A&B must not break the XML) and StrictUndefined (a misspelt
variable is an error, not a blank). `unsafe_expressions()` finds, before any
render, what the sandbox would refuse only when that branch runs.
"""

from __future__ import annotations

from jinja2 import StrictUndefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

__all__ = ["SecurityError", "template_env", "unsafe_expressions"]

# Jinja's default globals (cycler, joiner, lipsum, namespace, dict) are ways into
# Python objects no letter needs; range stays for loops and is capped by the sandbox.
_KEPT_GLOBALS = ("range",)


def template_env() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.globals = {name: env.globals[name] for name in _KEPT_GLOBALS if name in env.globals}
    return env


def _private(name: object) -> bool:
    return isinstance(name, str) and name.startswith("_")


def unsafe_expressions(source: str) -> list[str]:
    """Attribute or item names starting with "_" (and `attr` filters naming one) in a template.

    Raises jinja2.TemplateSyntaxError for broken syntax, like any parse.
    """
    found: list[str] = []
    for node in template_env().parse(source).find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr) and _private(node.attr):
            found.append(node.attr)
        elif (
            isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and _private(node.arg.value)
        ):
            found.append(str(node.arg.value))
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            for arg in node.args:
                if not isinstance(arg, nodes.Const) or _private(arg.value):
                    found.append(f"attr({arg.value if isinstance(arg, nodes.Const) else '…'})")
    return list(dict.fromkeys(found))
