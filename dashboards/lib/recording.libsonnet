// SPDX-License-Identifier: MIT
// The recording rules: fleet-level KSM aggregates for large fleets,
// federation and long-term storage, per job, and per cluster where targets
// carry a "cluster" label.  The recorded series come from the selected
// ones alone, so the expressions on them need no selector.
function(c)
  local m(name, extra='') =
    local match = std.join(',', [x for x in [c.ksmSelector, extra] if x != '']);
    if match == '' then name else '%s{%s}' % [name, match];
  local cpu(extra='') = 'rate(%s[5m])' % m('ksm_ksmd_cpu_seconds_total', extra);
  local rule(record, expr) = { record: record, expr: expr };
  {
    groups: [{
      name: 'ksm-fleet',
      interval: c.recordingInterval,
      rules: [
        rule('job:ksm_saved_bytes:sum', 'sum by (job) (%s)' % m('ksm_saved_bytes')),
        rule('job:ksm_general_profit_bytes:sum', 'sum by (job) (%s)' % m('ksm_general_profit_bytes')),
        rule('job:ksm_rmap_overhead_bytes:sum', 'sum by (job) (%s)' % m('ksm_rmap_overhead_bytes')),
        rule('job:ksm_pages_sharing:sum', 'sum by (job) (%s)' % m('ksm_pages_sharing')),
        rule('job:ksm_ksmd_cpu_seconds:rate5m', 'sum by (job) (%s)' % cpu()),
        rule('job:ksm_cow:rate5m', 'sum by (job) (rate(%s[5m]))' % m('ksm_cow_total')),
        rule('job:ksm_hosts_running:count', 'count by (job) (%s == 1)' % m('ksm_run')),
        rule('job:ksm_saved_bytes_per_ksmd_core:ratio',
             'job:ksm_saved_bytes:sum / job:ksm_ksmd_cpu_seconds:rate5m'),
        rule('cluster:ksm_saved_bytes:sum', 'sum by (cluster) (%s)' % m('ksm_saved_bytes', 'cluster!=""')),
        rule('cluster:ksm_ksmd_cpu_seconds:rate5m', 'sum by (cluster) (%s)' % cpu('cluster!=""')),
        rule('instance:ksm_saved_bytes_per_ksmd_core:ratio',
             '%s / on (job, instance) %s' % [m('ksm_saved_bytes'), cpu()]),
      ],
    }],
  }
