// SPDX-License-Identifier: MIT
// The rule files of a mixin, as the text render.sh writes: a comment, then
// the rules as YAML.  (The dashboards are written as JSON by jsonnet -m.)

// The keys of a rule in the order people read them; others follow, sorted.
local order = ['name', 'interval', 'alert', 'record', 'expr', 'for', 'labels',
               'annotations', 'summary', 'description', 'runbook', 'rules'];
local keys(o) =
  local fields = std.objectFields(o);
  [k for k in order if std.member(fields, k)] + [k for k in fields if !std.member(order, k)];

local isLetter(ch) = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
local isWordChar(ch) = isLetter(ch) || (ch >= '0' && ch <= '9') || std.member('_:-', ch);
// Texts of more than a few words are quoted anyway: look no further.
local isWord(s) =
  local c = std.stringChars(s);
  std.length(c) > 0 && std.length(c) <= 64 && isLetter(c[0])
  && std.length([x for x in c if !isWordChar(x)]) == 0
  && !std.member(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n'], std.asciiLower(s));

// A scalar: a plain word or duration where YAML reads it back as the same
// string, else double-quoted with JSON's escapes, which are YAML's.
local scalar(v) =
  if std.isString(v) then
    (if isWord(v) || (import 'duration.libsonnet').valid(v) then v else std.escapeStringJson(v))
  else std.manifestJson(v);

// The lines of V, at INDENT spaces.  Jsonnet's std.manifestYamlDoc would do,
// but takes seconds on these rules: this joins lists of lines once.
local lines(v, indent) =
  local pad = std.repeat(' ', indent);
  local nested(x) = (std.isObject(x) && std.length(x) > 0) || (std.isArray(x) && std.length(x) > 0);
  if std.isObject(v) then
    std.flattenArrays([
      if nested(v[k]) then [pad + k + ':'] + lines(v[k], indent + 2)
      else [pad + k + ': ' + (if std.isObject(v[k]) then '{}' else if std.isArray(v[k]) then '[]' else scalar(v[k]))]
      for k in keys(v)
    ])
  else if std.isArray(v) then
    std.flattenArrays([
      local item = if nested(x) then lines(x, indent + 2) else [pad + '  ' + scalar(x)];
      [pad + '- ' + std.substr(item[0], indent + 2, std.length(item[0]))] + item[1:]
      for x in v
    ])
  else [pad + scalar(v)];

local yaml(value) = std.join('\n', lines(value, 0));

function(mixin) {
  'ksm-alerts.yml':
    |||
      # SPDX-License-Identifier: MIT
      # Alerting rules for ksm_exporter, rendered from the mixin in dashboards/
      # by `make mixin`: do not edit.  Change _config (config.libsonnet) for
      # the job selector and the "for" durations, and
      # common/src/findings_catalogue.c for the finding alerts (one per
      # finding: its rule, threshold and text).
    ||| + yaml(mixin.prometheusAlerts),
  'ksm-recording.yml':
    |||
      # SPDX-License-Identifier: MIT
      # Recording rules for fleet-level KSM aggregates, for large fleets,
      # federation and long-term storage: per job, and per cluster where
      # targets carry a "cluster" label.  Rendered from the mixin in
      # dashboards/ by `make mixin`: do not edit.
    ||| + yaml(mixin.prometheusRules),
}
