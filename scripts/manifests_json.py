"""Prints the YAML documents of the files named on the command line as one JSON array, for
tests/it/deploy_kubernetes.rs (PyYAML comes with kubernetes-validate, which that test also runs)."""
import json
import sys

import yaml

documents = []
for name in sys.argv[1:]:
    with open(name, encoding="utf-8") as f:
        documents.extend(d for d in yaml.safe_load_all(f) if d)
json.dump(documents, sys.stdout)
