"""Load, the first stage of the pipeline: discovery (once), spec modules, rule YAML and dashboard JSON, each
turned into a Project whose objects remember where they came from.

`discovery` finds the files, `specs` imports spec modules, `plain` reads rule files (`rules_yaml`,
`rules_strict`) and dashboards (`grafana_json` on the position-keeping parser of `json_positions`); `limits`
reports what was loaded but cannot be built (E012, E013). The modules are imported one by one, not from
here: `lint` alone pays for the plain-file readers.
"""
