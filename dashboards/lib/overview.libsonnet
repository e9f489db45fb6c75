// SPDX-License-Identifier: MIT
// ksm-overview.json: the exporter's dashboard (ksm_* series).
local g = import 'grafana.libsonnet';
local why = import 'why.libsonnet';

local RATE = '$__rate_interval';

function(c, catalogue)
  local sel = g.join([c.ksmSelector, 'job=~"$job"', 'instance=~"$instance"']);
  local m(name) = '%s{%s}' % [name, sel];
  local vms = 'ksm_process_mergeable{%s}' % g.join([sel, 'vm!=""']);
  local cpu = 'rate(%s[%s])' % [m('ksm_ksmd_cpu_seconds_total'), RATE];
  local stat = g.statOptions();
  local ts = g.tsOptions;
  local items = why(catalogue, m('ksm_verdict'), m('ksm_finding')) + [
    g.row('Verdict: does KSM pay?'),
    g.panel('stat', 'Memory saved', [['sum(%s)' % m('ksm_saved_bytes'), '']], 'bytes', w=4,
            options=stat, desc='(pages_sharing + ksm_zero_pages) x page size, all selected hosts.'),
    g.panel('stat', 'General profit', [['sum(%s)' % m('ksm_general_profit_bytes'), '']], 'bytes', w=4,
            options=stat,
            desc='What KSM saves net of its rmap_item metadata; negative means KSM costs memory.'),
    g.panel('stat', 'ksmd CPU', [['sum(%s)' % cpu, '']], 'suffix: cores', w=4, options=stat,
            decimals=3, desc='CPU the ksmd thread burns, in cores.'),
    g.panel('stat', 'Saved per ksmd core', [['sum(%s) / sum(%s)' % [m('ksm_saved_bytes'), cpu], '']],
            'bytes', w=4, options=stat,
            desc='Memory saved per core of ksmd CPU: the price of the saving.'),
    g.panel('stat', 'KSM state', [['max(%s)' % m('ksm_run'), '']], 'none', w=4, options=stat,
            mappings=g.runMappings, desc='run: 0 stopped, 1 running, 2 unmerging.'),
    g.panel('stat', 'Advisor mode', [['max by (mode) (%s) == 1' % m('ksm_advisor_mode'), '{{mode}}']],
            'none', w=4, options=g.statOptions('name'), desc='The scan advisor (advisor_mode).'),
    g.panel('timeseries', 'Memory saved and profit over time', [
      ['sum by (instance) (%s)' % m('ksm_saved_bytes'), 'saved {{instance}}'],
      ['sum by (instance) (%s)' % m('ksm_general_profit_bytes'), 'profit {{instance}}'],
      ['sum by (instance) (%s)' % m('ksm_rmap_overhead_bytes'), 'rmap overhead {{instance}}'],
    ], 'bytes', w=12, h=8, options=ts),
    g.panel('timeseries', 'ksmd CPU', [['sum by (instance) (%s)' % cpu, '{{instance}}']],
            'suffix: cores', w=6, h=8, options=ts),
    g.panel('timeseries', 'Scan settings',
            [['max by (instance) (%s)' % m('ksm_pages_to_scan'), 'pages_to_scan {{instance}}']],
            'none', w=3, h=8, options=ts),
    g.panel('timeseries', 'Sleep between batches',
            [['max by (instance) (%s)' % m('ksm_sleep_seconds'), '{{instance}}']], 's', w=3, h=8,
            options=ts),

    g.row('Sharing quality'),
    g.panel('timeseries', 'Pages', [
      ['sum(%s)' % m('ksm_pages_shared'), 'shared'],
      ['sum(%s)' % m('ksm_pages_sharing'), 'sharing'],
      ['sum(%s)' % m('ksm_pages_unshared'), 'unshared'],
      ['sum(%s)' % m('ksm_pages_volatile'), 'volatile'],
      ['sum(%s)' % m('ksm_zero_pages'), 'zero pages'],
    ], 'suffix: pages', w=8, h=8, options=ts),
    g.panel('timeseries', 'Sharing ratio (sharing / shared)', [[m('ksm_sharing_ratio'), '{{instance}}']],
            'none', w=4, h=8, options=ts, desc='Sites per KSM page; up to max_page_sharing.'),
    g.panel('timeseries', 'Unshared ratio (wasted scanning)',
            [[m('ksm_unshared_ratio'), '{{instance}}']], 'none', w=4, h=8, options=ts,
            desc='pages_unshared / pages_sharing: high means ksmd scans pages that never merge.'),
    g.panel('timeseries', 'Savings ratio', [[m('ksm_savings_ratio'), '{{instance}}']], 'percentunit',
            w=4, h=8, options=ts, desc='pages_sharing / all pages KSM tracks.'),
    g.panel('timeseries', 'Stable node chains and dups', [
      ['sum(%s)' % m('ksm_stable_node_chains'), 'chains'],
      ['sum(%s)' % m('ksm_stable_node_dups'), 'dups'],
    ], 'none', w=4, h=8, options=ts),

    g.row('Scanning'),
    g.panel('timeseries', 'Full scans per hour',
            [['sum by (instance) (rate(%s[%s])) * 3600' % [m('ksm_full_scans_total'), RATE], '{{instance}}']],
            'none', w=8, h=8, options=ts),
    g.panel('timeseries', 'Full-scan duration', [[m('ksm_full_scan_duration_seconds'), '{{instance}}']],
            's', w=8, h=8, options=ts, desc='Time per full scan of all mergeable memory.'),
    g.panel('timeseries', 'Pages scanned and skipped per second', [
      ['sum(rate(%s[%s]))' % [m('ksm_pages_scanned_total'), RATE], 'scanned'],
      ['sum(rate(%s[%s]))' % [m('ksm_pages_skipped_total'), RATE], 'skipped (smart scan)'],
    ], 'suffix: pages/s', w=8, h=8, options=ts),

    g.row('Churn and risk'),
    g.panel('timeseries', 'Copy-on-write breaks per second',
            [['sum by (instance) (rate(%s[%s]))' % [m('ksm_cow_total'), RATE], '{{instance}}']],
            'suffix: pages/s', w=12, h=8, options=ts,
            desc='Writes to merged pages that split them again (cow_ksm).'),
    g.panel('timeseries', 'Swap-in copies per second',
            [['sum by (instance) (rate(%s[%s]))' % [m('ksm_swapin_copies_total'), RATE], '{{instance}}']],
            'suffix: pages/s', w=12, h=8, options=ts),

    g.row('Per VM and per process'),
    g.panel('table', 'Top savers', [
      ['topk(20, %s)' % m('ksm_process_merging_pages'), ''],
      ['topk(20, %s)' % m('ksm_process_profit_bytes'), ''],
    ], 'none', w=12, h=9, options={ showHeader: true },
            transformations=[
              { id: 'merge', options: {} },
              { id: 'organize', options: {
                excludeByName: { Time: true, __name__: true, job: true },
                renameByName: { 'Value #A': 'merging pages', 'Value #B': 'profit (bytes)' },
              } },
            ],
            desc='Processes by pages merged; vm names the QEMU guest.'),
    g.panel('timeseries', 'Profit by VM or process',
            [['topk(10, %s)' % m('ksm_process_profit_bytes'), '{{vm}}{{comm}} {{pid}} on {{instance}}']],
            'bytes', w=12, h=9, options=ts),
    g.panel('table', 'Isolation: which VMs take part in merging', [[vms, '']], 'none', w=12, h=8,
            mappings=g.yesNo, options={ showHeader: true },
            transformations=[{ id: 'organize', options: {
              excludeByName: { Time: true, __name__: true, job: true },
              renameByName: { Value: 'mergeable' },
            } }],
            desc='mergeable 0: the guest opted out (libvirt <nosharepages/>), '
                 + 'the usual guard against KSM side channels between tenants.'),
    g.panel('stat', 'VMs merging', [['count(%s == 1) or vector(0)' % vms, '']], 'none', w=4, h=8,
            options=stat),
    g.panel('stat', 'VMs opted out', [['count(%s == 0) or vector(0)' % vms, '']], 'none', w=4, h=8,
            options=stat),
    g.panel('stat', 'Merging across NUMA nodes', [['max(%s)' % m('ksm_merge_across_nodes'), '']], 'none',
            w=4, h=8, options=stat, mappings=g.yesNo,
            desc='merge_across_nodes; absent on kernels without NUMA.'),

    g.row('Fleet'),
    g.panel('stat', 'Hosts with KSM running', [['count(%s == 1) or vector(0)' % m('ksm_run'), '']],
            'none', w=6, options=stat),
    g.panel('stat', 'Fleet memory saved', [['sum(%s)' % m('ksm_saved_bytes'), '']], 'bytes', w=6,
            options=stat),
    g.panel('stat', 'Fleet ksmd CPU', [['sum(%s)' % cpu, '']], 'suffix: cores', w=6, options=stat,
            decimals=3),
    g.panel('stat', 'Fleet saved per ksmd core', [['sum(%s) / sum(%s)' % [m('ksm_saved_bytes'), cpu], '']],
            'bytes', w=6, options=stat),
    g.panel('timeseries', 'Memory saved by host', [['sum by (instance) (%s)' % m('ksm_saved_bytes'), '{{instance}}']],
            'bytes', w=24, h=8, options=ts),
  ];
  g.dashboard(c, 'ksm-overview.json',
              'Kernel Samepage Merging: what it saves, what it costs, for which VMs (ksm_exporter).',
              items, 'ksm_up', c.ksmSelector)
