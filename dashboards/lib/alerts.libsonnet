// SPDX-License-Identifier: MIT
// The alerting rules: three about the exporter and KSM itself, then one per
// finding of the catalogue (findings.json), with the finding's title, rule
// and advice as annotations, so that the alert says what the report says.
local words = (import 'duration.libsonnet').words;

// TEXT as an annotation must hold it: Prometheus expands {{ }}.
local literal(text) = std.strReplace(text, '{{', '{{ "{{" }}');

local keys = ['action', 'alert', 'id', 'rule', 'severity', 'title', 'why'];

local findingAlert(c, f) =
  assert std.objectFields(f) == keys && std.objectHas(c.findingFor, f.severity)
         : 'a malformed finding in findings.json: ' + std.toString(f);
  {
    alert: f.alert,
    expr: 'ksm_finding{%s} == 1' % std.join(',', [m for m in [c.ksmSelector, 'finding="%s"' % f.id] if m != '']),
    'for': if std.objectHas(c.alertFor, f.alert) then c.alertFor[f.alert] else c.findingFor[f.severity],
    labels: { severity: f.severity },
    annotations: {
      summary: literal(f.title) + ' on {{ $labels.instance }}',
      description: literal(f.rule),
      runbook: literal(f.why + ' ' + f.action),
    },
  };

function(c, catalogue)
  local sel(name, selector=c.ksmSelector) =
    if selector == '' then name else '%s{%s}' % [name, selector];
  local forOf(name) = c.alertFor[name];
  local rules = [
    {
      alert: 'KSMExporterDown',
      expr: '%s == 0' % sel('up', c.upSelector),
      'for': forOf(self.alert),
      labels: { severity: 'warning' },
      annotations: {
        summary: 'ksm_exporter on {{ $labels.instance }} is down',
        description: 'Prometheus could not scrape {{ $labels.instance }} for %s.' % words(forOf('KSMExporterDown')),
        runbook: 'Check the service (systemctl status ksm_exporter) and its log on the host; '
                 + 'check that the port (default 10062) is reachable from Prometheus.',
      },
    },
    {
      alert: 'KSMDirectoryUnreadable',
      expr: '%s == 0' % sel('ksm_up'),
      'for': forOf(self.alert),
      labels: { severity: 'warning' },
      annotations: {
        summary: 'KSM cannot be read on {{ $labels.instance }}',
        description: 'ksm_up has been 0 for %s: /sys/kernel/mm/ksm is missing or unreadable.'
                     % words(forOf('KSMDirectoryUnreadable')),
        runbook: 'A kernel without CONFIG_KSM has no /sys/kernel/mm/ksm. In a container, check '
                 + "that the host's /sys is mounted and passed with --path.sysfs. The exporter's "
                 + 'log names the path and the error.',
      },
    },
    {
      alert: 'KSMRunningButSavingNothing',
      expr: '%s == 1 and on (job, instance) %s == 0' % [sel('ksm_run'), sel('ksm_saved_bytes')],
      'for': forOf(self.alert),
      labels: { severity: 'info' },
      annotations: {
        summary: 'KSM runs on {{ $labels.instance }} but saves nothing',
        description: 'ksmd has been running for %s without merging a page.'
                     % words(forOf('KSMRunningButSavingNothing')),
        runbook: 'No process marks memory mergeable (QEMU needs mem-merge=on, the libvirt default, '
                 + "and no <nosharepages/>), or the guests' memory differs. Either give KSM work "
                 + "or stop it (echo 0 > /sys/kernel/mm/ksm/run) to save ksmd's CPU.",
      },
    },
  ] + [findingAlert(c, f) for f in catalogue];
  // A name misspelt in alertFor would leave its alert at the default.
  local unknown = std.setDiff(std.set(std.objectFields(c.alertFor)), std.set([r.alert for r in rules]));
  assert unknown == [] : 'alertFor names no such alert: ' + std.join(', ', unknown);
  { groups: [{ name: 'ksm', rules: rules }] }
