"""The one packaging fact pyproject.toml cannot state: the repository keeps its data files in the top-level
fixtures/ folder, and the wheel ships the ones the sandbox reads at run time (the golden order, the
scenarios, the legal texts) inside the package, as `sandbox.fixtures` (read with importlib.resources by
sandbox/config.py). fixtures/docs/ holds the contract suite's input and stays out. The file patterns
are pyproject.toml's `package-data`."""

from setuptools import find_namespace_packages, setup

RUNTIME_FIXTURES = [
    "sandbox.fixtures",
    "sandbox.fixtures.golden",
    "sandbox.fixtures.legal",
    "sandbox.fixtures.scenarios",
]

setup(
    packages=[
        *find_namespace_packages(include=["sandbox", "sandbox.*"], exclude=["*.__pycache__"]),
        *RUNTIME_FIXTURES,
    ],
    package_dir={"sandbox.fixtures": "fixtures"},
)
