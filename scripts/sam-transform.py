#!/usr/bin/env python3
"""Transform a SAM template into plain CloudFormation with the AWS SAM translator, offline.

Reads the template (YAML or JSON, short-form intrinsics allowed) from the path given, or from stdin, and
writes the transformed template as JSON to stdout. `--parameter Name=Value` (repeatable) sets parameter values,
as a deployment does: the translator resolves a few properties (`Tracing`) from them; the rest default.

    python3 scripts/sam-transform.py template.yaml --parameter Tracing=Active Used by the template tests
(test/unit/template/) so they check the roles CloudFormation would really create, not the SAM shorthand.

Offline: the translator asks IAM for the AWS managed policies' ARNs only when a function names one in
`Policies`; iam-warden gives every function an explicit role, so the loader is a stub that knows none
(a template that needs one fails loudly instead of calling AWS).
"""

import argparse
import json
import os
import sys

# The translator resolves AWS::Region/AWS::Partition pseudo parameters from boto's default region.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402


class OfflineManagedPolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader, which would call iam:ListPolicies."""

    def load(self) -> dict[str, str]:
        return {}


def as_packaged(template: dict) -> dict:
    """Point local `CodeUri`s at S3, as `sam package` does: the translator accepts only S3 code locations."""
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            if not properties["CodeUri"].startswith("s3://"):
                properties["CodeUri"] = f"s3://iam-warden-artifacts/{logical_id}.zip"
    return template


def main() -> int:
    parser = argparse.ArgumentParser(description="Transform a SAM template offline.")
    parser.add_argument("template", nargs="?", help="template path (default: stdin)")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    parameters = dict(item.split("=", 1) for item in args.parameter)
    text = open(args.template, encoding="utf-8").read() if args.template else sys.stdin.read()
    try:
        template = as_packaged(yaml_parse(text))
        output = transform(template, parameters, OfflineManagedPolicyLoader())  # type: ignore[arg-type]
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"sam-transform: {cause.message}", file=sys.stderr)
        return 1
    json.dump(output, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
