// SPDX-License-Identifier: MIT
// The mixin with a _config of one's own: hosts scraped under the job
// "hypervisors" (collectd under "hypervisors-collectd"), a longer window
// before KSMRunningButSavingNothing, copy-on-write storms alerted after
// 30 minutes, and a tag of one's own on the dashboards.  Render it with
//   dashboards/render.sh OUTPUT_DIR dashboards/example-override.jsonnet
// or, with the mixin vendored elsewhere,
//   jsonnet -J vendor/ksm -m out -e "(import 'override.jsonnet').grafanaDashboards"
// (tests/integration/dashboards_override.sh renders and checks this file.)
(import 'mixin.libsonnet') + {
  _config+:: {
    ksmSelector: 'job="hypervisors"',
    upSelector: 'job="hypervisors"',
    collectdSelector: 'job="hypervisors-collectd"',
    alertFor+: {
      KSMRunningButSavingNothing: '6h',
      KSMCopyOnWriteStorm: '30m',
    },
    dashboardTags+: ['hypervisors'],
  },
}
