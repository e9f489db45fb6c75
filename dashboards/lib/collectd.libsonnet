// SPDX-License-Identifier: MIT
// ksm-collectd.json: the same rows from collectd's ksm plugin, through
// write_prometheus (collectd_ksm_* series).
local g = import 'grafana.libsonnet';
local why = import 'why.libsonnet';

local RATE = '$__rate_interval';

function(c, catalogue)
  local sel = g.join([c.collectdSelector, 'job=~"$job"', 'instance=~"$instance"']);
  local m(kind, inst) = 'collectd_ksm_%s{%s}' % [kind, g.join([sel, 'ksm="%s"' % inst])];
  // The series of ksm_NAME{NAME="x"}: type instance "NAME-x", which
  // write_prometheus puts in label "ksm"; copied back to label NAME.
  local labelled(name) =
    'label_replace(collectd_ksm_gauge{%s}, "%s", "$1", "ksm", "%s-(.+)")'
    % [g.join([sel, 'ksm=~"%s-.+"' % name]), name, name];
  // total_time_in_ms-ksmd is in milliseconds.
  local cpu = 'rate(%s[%s])' % [m('total_time_in_ms_total', 'ksmd'), RATE];
  local saved = m('bytes', 'saved');
  local profit = m('gauge', 'general_profit');
  local stat = g.statOptions();
  local ts = g.tsOptions;
  local items = why(catalogue, labelled('verdict'), labelled('finding')) + [
    g.row('Verdict: does KSM pay?'),
    g.panel('stat', 'Memory saved', [['sum(%s)' % saved, '']], 'bytes', w=4, options=stat),
    g.panel('stat', 'General profit', [['sum(%s)' % profit, '']], 'bytes', w=4, options=stat),
    g.panel('stat', 'ksmd CPU', [['sum(%s) / 1000' % cpu, '']], 'suffix: cores', w=4, options=stat,
            decimals=3, desc='total_time_in_ms-ksmd is in milliseconds.'),
    g.panel('stat', 'Saved per ksmd core', [['sum(%s) / (sum(%s) / 1000)' % [saved, cpu], '']], 'bytes',
            w=4, options=stat),
    g.panel('stat', 'KSM state', [['max(%s)' % m('gauge', 'run'), '']], 'none', w=4, options=stat,
            mappings=g.runMappings),
    g.panel('stat', 'Pages to scan', [['max(%s)' % m('gauge', 'pages_to_scan'), '']], 'none', w=4,
            options=stat),
    g.panel('timeseries', 'Memory saved and profit over time', [
      ['sum by (instance) (%s)' % saved, 'saved {{instance}}'],
      ['sum by (instance) (%s)' % profit, 'profit {{instance}}'],
    ], 'bytes', w=12, h=8, options=ts),
    g.panel('timeseries', 'ksmd CPU', [['sum by (instance) (%s) / 1000' % cpu, '{{instance}}']],
            'suffix: cores', w=12, h=8, options=ts),

    g.row('Sharing quality'),
    g.panel('timeseries', 'Pages', [[
      'sum by (ksm) (collectd_ksm_vmpage_number{%s})'
      % g.join([sel, 'ksm=~"shared|sharing|unshared|volatile|zero"', 'type=""']),
      '{{ksm}}',
    ]], 'suffix: pages', w=8, h=8, options=ts),
    g.panel('timeseries', 'Sharing ratio (sharing / shared)', [[m('gauge', 'sharing_ratio'), '{{instance}}']],
            'none', w=4, h=8, options=ts),
    g.panel('timeseries', 'Unshared ratio (wasted scanning)', [[m('gauge', 'unshared_ratio'), '{{instance}}']],
            'none', w=4, h=8, options=ts),
    g.panel('timeseries', 'Savings ratio', [[m('gauge', 'savings_ratio'), '{{instance}}']], 'percentunit',
            w=4, h=8, options=ts),
    g.panel('timeseries', 'Copy-on-write breaks per second',
            [['sum by (instance) (rate(%s[%s]))' % [m('total_operations_total', 'cow'), RATE], '{{instance}}']],
            'suffix: pages/s', w=4, h=8, options=ts),
  ];
  g.dashboard(c, 'ksm-collectd.json',
              "Kernel Samepage Merging from collectd's ksm plugin, through write_prometheus "
              + '(collectd_ksm_* series).',
              items, 'collectd_ksm_bytes', g.join([c.collectdSelector, 'ksm="saved"']))
