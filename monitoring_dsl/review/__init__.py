"""Review tools over the output tree: a semantic diff of two builds, importing existing files as specs, and a
static preview of the dashboards."""
