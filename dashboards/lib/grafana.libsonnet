// SPDX-License-Identifier: MIT
// The Grafana JSON of this mixin's dashboards: panels, their layout on the
// 24-column grid, template variables and the dashboard around them.
local DS = { type: 'prometheus', uid: '${datasource}' };

// Matchers joined into one selector body; an empty one (a selector
// overridden to '') is left out.
local join(matchers) = std.join(',', [m for m in matchers if m != '']);

// Gives each item its id (its place, from 1) and its gridPos: rows start a
// new line; a panel goes right of the previous one, or below the tallest
// panel of the line when the line is full.
local layout(items) =
  local newline(s) = s { x: 0, y: if s.x > 0 then s.y + s.rowH else s.y, rowH: 0 };
  local step(s, item) =
    local id = std.length(s.panels) + 1;
    if item.type == 'row' then
      local n = newline(s);
      n { y: n.y + 1, panels: s.panels + [item { id: id, gridPos: { h: 1, w: 24, x: 0, y: n.y } }] }
    else
      local n = if s.x + item.w > 24 then newline(s) else s;
      n {
        x: n.x + item.w,
        rowH: std.max(n.rowH, item.h),
        panels: s.panels + [item { id: id, gridPos: { h: item.h, w: item.w, x: n.x, y: n.y } }],
      };
  std.foldl(step, items, { x: 0, y: 0, rowH: 0, panels: [] }).panels;

local row(title) = {
  type: 'row',
  title: title,
  collapsed: false,
  panels: [],
};

// A panel of KIND; TARGETS are [expr, legend] pairs.  W and H are its size
// on the grid, which layout() turns into its gridPos.
local panel(kind, title, targets, unit, w=6, h=6, desc='', options={},
            custom=null, mappings=null, transformations=null, decimals=null) = {
  w:: w,
  h:: h,
  type: kind,
  title: title,
  description: desc,
  datasource: DS,
  fieldConfig: {
    defaults: { unit: unit }
              + (if mappings != null then { mappings: mappings } else {})
              + (if custom != null then { custom: custom } else {})
              + (if decimals != null then { decimals: decimals } else {}),
    overrides: [],
  },
  options: options,
  targets: [
    { datasource: DS, expr: targets[i][0], legendFormat: targets[i][1], refId: std.char(65 + i) }
    + (if std.member(['stat', 'table', 'bargauge'], kind) then { instant: true, range: false } else {})
    + (if kind == 'table' then { format: 'table' } else {})
    for i in std.range(0, std.length(targets) - 1)
  ],
} + (if transformations != null then { transformations: transformations } else {});

local statOptions(textMode='auto') = {
  reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
  colorMode: 'value',
  graphMode: 'area',
  justifyMode: 'auto',
  orientation: 'auto',
  textMode: textMode,
};

local tsOptions = {
  legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
  tooltip: { mode: 'multi', sort: 'desc' },
};

// The data source, job and instance variables; the job and instance
// values are the labels of METRIC{MATCH}.
local variables(metric, match) =
  local jobq = if match == '' then 'label_values(%s, job)' % metric
               else 'label_values(%s{%s}, job)' % [metric, match];
  local instq = 'label_values(%s{%s}, instance)' % [metric, join([match, 'job=~"$job"'])];
  local query(name, label, q) = {
    name: name,
    label: label,
    type: 'query',
    datasource: DS,
    definition: q,
    query: { query: q, refId: name },
    multi: true,
    includeAll: true,
    allValue: '.+',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    refresh: 2,
    sort: 1,
    hide: 0,
    regex: '',
    options: [],
  };
  [
    {
      name: 'datasource',
      label: 'Data source',
      type: 'datasource',
      query: 'prometheus',
      hide: 0,
      refresh: 1,
      regex: '',
      current: { selected: false, text: 'Prometheus', value: '${DS_PROMETHEUS}' },
      options: [],
    },
    query('job', 'Job', jobq),
    query('instance', 'Instance', instq),
  ];

local panelNames = { stat: 'Stat', table: 'Table', timeseries: 'Time series', bargauge: 'Bar gauge' };

// The dashboard FILE of config C, of the panels and rows ITEMS.
local dashboard(c, file, desc, items, metric, match) =
  local panels = layout(items);
  local kinds = std.set([p.type for p in panels if p.type != 'row']);
  {
    __inputs: [{
      name: 'DS_PROMETHEUS',
      label: 'Prometheus',
      description: 'Prometheus that scrapes the hosts',
      type: 'datasource',
      pluginId: 'prometheus',
      pluginName: 'Prometheus',
    }],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '9.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
    ] + [{ type: 'panel', id: k, name: panelNames[k], version: '' } for k in kinds],
    annotations: { list: [{
      builtIn: 1,
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      hide: true,
      iconColor: 'rgba(0, 211, 255, 1)',
      name: 'Annotations & Alerts',
      type: 'dashboard',
    }] },
    description: desc,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [],
    liveNow: false,
    panels: panels,
    refresh: c.dashboardRefresh,
    schemaVersion: 37,
    style: 'dark',
    tags: c.dashboardTags,
    templating: { list: variables(metric, match) },
    time: c.dashboardTime,
    timepicker: {},
    timezone: '',
    title: c.dashboards[file].title,
    uid: c.dashboards[file].uid,
    version: 1,
    weekStart: '',
  };

{
  DS: DS,
  join: join,
  row: row,
  panel: panel,
  statOptions: statOptions,
  tsOptions: tsOptions,
  dashboard: dashboard,
  runMappings: [{ type: 'value', options: {
    '0': { text: 'stopped', color: 'orange', index: 0 },
    '1': { text: 'running', color: 'green', index: 1 },
    '2': { text: 'unmerging', color: 'red', index: 2 },
  } }],
  yesNo: [{ type: 'value', options: {
    '0': { text: 'no', index: 0 },
    '1': { text: 'yes', index: 1 },
  } }],
}
