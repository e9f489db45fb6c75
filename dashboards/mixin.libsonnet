// SPDX-License-Identifier: MIT
// The monitoring mixin of ksm_exporter and collectd's ksm plugin: Grafana
// dashboards, alerting and recording rules, from one _config
// (config.libsonnet) and the findings catalogue (lib/findings.json, printed from
// common/src/findings_catalogue.c by `make mixin`).  Plain jsonnet: no
// library to vendor.  Use it as
//   (import 'mixin.libsonnet') + { _config+:: { ksmSelector: 'job="hypervisors"' } }
// and render the fields below (example-override.jsonnet, render.sh).
local catalogue = import 'lib/findings.json';

(import 'config.libsonnet') + {
  grafanaDashboards+:: {
    'ksm-overview.json': (import 'lib/overview.libsonnet')($._config, catalogue),
    'ksm-collectd.json': (import 'lib/collectd.libsonnet')($._config, catalogue),
  },
  prometheusAlerts+:: (import 'lib/alerts.libsonnet')($._config, catalogue),
  prometheusRules+:: (import 'lib/recording.libsonnet')($._config),
}
