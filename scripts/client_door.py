"""The generated-client door: integrators generate typed clients from /openapi.json, so CI does too.

Dumps the document from `create_app().openapi()` (no server), generates a Python client with
openapi-python-client (pinned by the `clients` extra in pyproject.toml, installed into a throwaway
venv) and TypeScript types with openapi-typescript (npm, into a temporary directory), then checks that
every operation of the document has its typed 200 response in both: in Python the operation module
parses it into a generated model, in TypeScript its `application/json` content is a
`components["schemas"][...]` reference. openapi-python-client silently drops a schema it cannot
process, and with it the response of every operation using it (two models named `OrderCustomer` once
cost six operations theirs), so any warning it prints fails the door as well.

Prints PASS/FAIL lines and the figures; exits 1 listing the operations that lack a typed response.

usage: .venv/bin/python scripts/client_door.py [openapi.json]      (make test-clients)
       with a file, that document is checked instead of the app's.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from sandbox.app import create_app
from sandbox.config import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TYPESCRIPT_TOOLS = ["openapi-typescript@^7.13", "typescript@^5.4"]
# Prints {operationId: schema name, or the type's text when it is not a components["schemas"] reference}
# for the 200 `application/json` content of every member of openapi-typescript's `operations`.
TS_RESPONSES = r"""
const ts = require("typescript");
const source = ts.createSourceFile("schema.d.ts", require("fs").readFileSync(process.argv[1], "utf8"),
  ts.ScriptTarget.Latest, true);
const key = (name) => (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)
  ? name.text : undefined);
const member = (type, name) => type && ts.isTypeLiteralNode(type)
  ? type.members.find((m) => ts.isPropertySignature(m) && key(m.name) === name)?.type : undefined;
const operations = source.statements.find(
  (s) => ts.isInterfaceDeclaration(s) && s.name.text === "operations");
const found = {};
for (const op of operations ? operations.members : []) {
  const body = member(member(member(member(op.type, "responses"), "200"), "content"), "application/json");
  const ref = body && ts.isIndexedAccessTypeNode(body) && ts.isIndexedAccessTypeNode(body.objectType)
    && body.objectType.objectType.getText() === "components"
    && body.objectType.indexType.getText() === '"schemas"' && ts.isLiteralTypeNode(body.indexType)
    ? body.indexType.literal.text : null;
  found[key(op.name)] = ref ?? (body ? body.getText() : "no 200 application/json content");
}
console.log(JSON.stringify(found));
"""


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="client-door-") as tmp:
        work = Path(tmp)
        spec = dump_spec(work / "openapi.json", sys.argv[1] if len(sys.argv) > 1 else None)
        operations = list_operations(spec)
        # Both installs are mostly network waits: run them side by side.
        python_tools = install_python_generator(work / "venv")
        typescript_tools = run_background(
            ["npm", "install", "--prefix", str(work / "ts"), "--no-audit", "--no-fund", "--loglevel=error",
             *TYPESCRIPT_TOOLS]
        )  # fmt: skip
        finish(python_tools, "installing openapi-python-client")
        finish(typescript_tools, "installing openapi-typescript")
        installed = time.monotonic()

        results = {
            "Python (openapi-python-client)": check_python(work, operations),
            "TypeScript (openapi-typescript)": ([], check_typescript(work, spec, operations)),
        }
    total = time.monotonic() - started
    for client, (warnings, lacking) in results.items():
        for warning in warnings:
            print(f"FAIL: {client}: generator warning: {warning}")
        if lacking:
            print(
                f"FAIL: {client}: {len(lacking)} of {len(operations)} operations lack a typed 200 response:"
            )
            for line in lacking:
                print(f"  {line}")
        else:
            print(f"PASS: {client}: all {len(operations)} operations have a typed 200 response")
    print(f"figures: {len(operations)} operations, installs {installed - started:.1f} s, total {total:.1f} s")
    return 1 if any(warnings or lacking for warnings, lacking in results.values()) else 0


def dump_spec(path: Path, given: str | None) -> dict:
    if given:
        try:
            spec = json.loads(Path(given).read_text())
        except (OSError, ValueError) as error:
            sys.exit(f"FAIL: {given} is not a readable JSON OpenAPI document: {error}")
    else:
        # An in-memory database: building the app for its document touches no file.
        spec = create_app(Settings(database_url="sqlite://")).openapi()
    path.write_text(json.dumps(spec))
    return spec


def list_operations(spec: dict) -> dict[tuple[str, str], dict]:
    return {(method, path): op for path, ops in spec["paths"].items() for method, op in ops.items()}


def label(key: tuple[str, str], operations: dict[tuple[str, str], dict]) -> str:
    method, path = key
    return f"{method.upper()} {path} ({operations[key].get('summary', '')})"


def install_python_generator(venv: Path) -> subprocess.Popen:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["clients"]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return run_background(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *pins]
    )


def run_background(command: list[str], cwd: Path | None = None) -> subprocess.Popen:
    try:
        return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except FileNotFoundError:
        sys.exit(f"FAIL: `{Path(command[0]).name}` not found: this check needs Node.js 20 with npm")


def finish(process: subprocess.Popen, what: str) -> str:
    output, _ = process.communicate()
    if process.returncode:
        sys.exit(f"FAIL: {what} (exit {process.returncode}):\n{output}")
    return output


def check_python(work: Path, operations: dict[tuple[str, str], dict]) -> tuple[list[str], list[str]]:
    """The generator's warnings, and the operations whose module parses no generated model for 200."""
    config = work / "python-client.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the check reads the code as generated
    output = finish(
        run_background(
            [str(work / "venv" / "bin" / "openapi-python-client"), "generate",
             "--path", str(work / "openapi.json"), "--output-path", str(work / "python"),
             "--meta", "none", "--config", str(config)]
        ),
        "openapi-python-client generate",
    )  # fmt: skip
    warnings = [line for line in output.splitlines() if "Unable to" in line]
    typed = {}
    for module in sorted((work / "python" / "api").rglob("*.py")):
        if module.name != "__init__.py":
            key, model = python_operation(module)
            typed[key] = model
    by_shape = {(method, without_names(path)): (method, path) for method, path in operations}
    if len(by_shape) != len(operations):
        sys.exit("FAIL: two operations differ only in their path parameters' names; tell them apart here")
    models = {p.stem for p in (work / "python" / "models").glob("*.py")}
    lacking = [
        label(key, operations)
        for shape, key in by_shape.items()
        if typed.get(shape) is None or typed[shape][1] not in models
    ]
    return warnings, lacking


def python_operation(module: Path) -> tuple[tuple[str, str], tuple[str, str] | None]:
    """(method, path with `{}` for each parameter) of one generated operation module, and the (class,
    module) of the generated model its 200 branch parses into, or None."""
    tree = ast.parse(module.read_text())
    imported = {
        alias.asname or alias.name: node.module.rsplit(".", 1)[-1]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("models.") and node.level == 3
        for alias in node.names
    }
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    # _kwargs: dict[str, Any] = {"method": "get", "url": ..., ...}
    request = next(
        node.value
        for node in ast.walk(functions["_get_kwargs"])
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "_kwargs"
    )
    fields = {key.value: value for key, value in zip(request.keys, request.values, strict=True)}
    url = fields["url"]  # "/partner/customer/{external_customer_id}".format(...) with parameters
    template = url.value if isinstance(url, ast.Constant) else url.func.value.value
    model = None
    for node in ast.walk(functions["_parse_response"]):
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["response_200"]
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "from_dict"
            and getattr(node.value.func.value, "id", None) in imported
        ):
            name = node.value.func.value.id
            model = (name, imported[name])
    return (fields["method"].value, without_names(template)), model


def without_names(path: str) -> str:
    """The generator renames path parameters; a path with `{}` for each still names one operation."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def check_typescript(work: Path, spec: dict, operations: dict[tuple[str, str], dict]) -> list[str]:
    types = work / "schema.d.ts"
    finish(
        run_background(
            [str(work / "ts" / "node_modules" / ".bin" / "openapi-typescript"), str(work / "openapi.json"),
             "--output", str(types)]
        ),
        "openapi-typescript",
    )  # fmt: skip
    # `node -e` resolves `require` from its working directory: run it where typescript is installed.
    reader = run_background(["node", "-e", TS_RESPONSES, str(types)], cwd=work / "ts")
    found = json.loads(finish(reader, "reading the TypeScript types"))
    schemas = spec["components"]["schemas"]
    lacking = []
    for key, operation in operations.items():
        ref = found.get(operation.get("operationId"), "operation missing from the generated types")
        if ref not in schemas:
            lacking.append(f"{label(key, operations)}: {ref}")
    return lacking


if __name__ == "__main__":
    sys.exit(main())
