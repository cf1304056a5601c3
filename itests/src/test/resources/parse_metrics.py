"""Parses Prometheus text exposition from stdin with the Prometheus project's own Python parser
and prints the samples as JSON: {"families": [{"name", "type", "samples": [{"name", "labels", "value"}]}]}.
Exits non-zero, with the parser's error, on text it does not accept."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({
        "name": family.name,
        "type": family.type,
        "help": family.documentation,
        "samples": [{"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)}
                    for s in family.samples],
    })
json.dump({"families": families}, sys.stdout)
