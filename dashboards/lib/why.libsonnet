// SPDX-License-Identifier: MIT
// The "Why" row of both dashboards: the verdict in words, and a table of the
// active findings with the catalogue's texts (findings.json, which the
// findings_catalogue tool prints from common/src/findings_catalogue.c).
local g = import 'grafana.libsonnet';

local severityColor = { warning: 'orange', info: 'blue' };

// ksm_verdict_names[] of ksm/findings.h, in words and colours.
local verdicts = [
  ['unknown', 'unknown: run or profit unreadable', 'text'],
  ['off', 'off', 'text'],
  ['idle', 'idle', 'blue'],
  ['pays', 'pays', 'green'],
  ['could_pay_more', 'could pay more', 'orange'],
  ['does_not_pay', 'does not pay', 'red'],
];

local verdictMappings = [{ type: 'value', options: {
  [verdicts[i][0]]: { text: verdicts[i][1], color: verdicts[i][2], index: i }
  for i in std.range(0, std.length(verdicts) - 1)
} }];

// Value mappings from finding ids to one text (KEY) of each finding.
local findingMappings(catalogue, key, colored) = [{ type: 'value', options: {
  [catalogue[i].id]: { text: catalogue[i][key], index: i }
                     + (if colored then { color: severityColor[catalogue[i].severity] } else {})
  for i in std.range(0, std.length(catalogue) - 1)
} }];

// The override of table column NAME: its title TEXT, and the mapping of the
// finding ids in it to the catalogue's KEY.
local column(catalogue, name, text, key=null, width=null, colored=false) = {
  matcher: { id: 'byName', options: name },
  properties: [{ id: 'displayName', value: text }]
              + (if key != null then [{ id: 'mappings', value: findingMappings(catalogue, key, colored) }] else [])
              + (if colored then [{ id: 'custom.displayMode', value: 'color-text' }] else [])
              // The long texts have no width: a click shows the whole cell.
              + (if width != null then [{ id: 'custom.width', value: width }]
                 else [{ id: 'custom.inspect', value: true }]),
};

// The row's items.  VERDICT and FINDING are the expressions of the verdict
// series and of the findings, whose series carry the verdict name as label
// "verdict" and the finding id as label "finding".
function(catalogue, verdict, finding)
  // The table copies the finding id into two more labels, and maps each
  // copy to one text of the catalogue.
  local tableExpr = std.foldl(
    function(e, label) 'label_replace(%s, "%s", "$1", "finding", "(.*)")' % [e, label],
    ['why', 'action'],
    finding + ' == 1'
  );
  [
    g.row('Why'),
    g.panel('stat', 'Verdict', [[verdict + ' == 1', '{{instance}}']], 'none', w=5, h=8,
            mappings=verdictMappings,
            options=g.statOptions() + { colorMode: 'background', graphMode: 'none' },
            desc='Whether KSM pays on each host (ksm_verdict).') + {
      // The value shown is the label's, which the mappings put in words.
      options+: { reduceOptions+: { values: true, fields: '/^verdict$/' } },
      targets: [super.targets[0] { format: 'table' }],
    },
    g.panel('table', 'Active findings', [[tableExpr, '']], 'none', w=19, h=8,
            options={ showHeader: true },
            transformations=[{ id: 'organize', options: {
              excludeByName: { Time: true, __name__: true, job: true, Value: true, ksm: true },
              indexByName: { instance: 0, finding: 1, why: 2, action: 3 },
            } }],
            desc='Findings active now; the alert of each has the same text. '
                 + 'Warnings in orange, facts in blue.') + {
      fieldConfig+: { overrides: [
        column(catalogue, 'instance', 'Host', width=160),
        column(catalogue, 'finding', 'Finding', 'title', width=360, colored=true),
        column(catalogue, 'why', 'Why', 'why'),
        column(catalogue, 'action', 'What to change', 'action'),
      ] },
    },
  ]
