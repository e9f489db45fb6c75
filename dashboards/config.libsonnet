// SPDX-License-Identifier: MIT
// What a user of the mixin may change: override any field of _config (see
// example-override.jsonnet).  The findings' own thresholds (20% of guest
// memory in huge pages, 5% of a CPU, ...) are not here: the exporter judges
// the findings (common/src/findings_catalogue.c, docs/findings.md) and
// exports ksm_finding{finding="..."}, so the dashboards and the alerts say
// what the exporter's report says.  Only how long a finding must stay
// active before it alerts belongs to the rules.
{
  _config+:: {
    // Label matchers that pick the exporter's series (ksm_*) and collectd's
    // write_prometheus series (collectd_ksm_*), in every panel, variable and
    // rule.  Empty by default: the series' names are the exporter's own, so
    // any job that scrapes them is seen, whatever its name.
    ksmSelector: '',
    collectdSelector: '',
    // The targets KSMExporterDown watches: `up` is every target's, so this
    // one needs a job.  Prometheus jobs named with "ksm" by default.
    upSelector: 'job=~".*ksm.*"',

    // How long an alert's condition must hold before it fires, by alert
    // name.  KSMRunningButSavingNothing's is the window in which ksmd
    // merged nothing.  A finding alert named here takes this duration
    // rather than the one of its severity below.
    alertFor: {
      KSMExporterDown: '5m',
      KSMDirectoryUnreadable: '10m',
      KSMRunningButSavingNothing: '2h',
    },
    // The finding alerts, by the finding's severity.  The exporter already
    // judges the rate findings over its reading interval: these durations
    // only ride out a finding that flickers at its threshold.
    findingFor: { warning: '15m', info: '1h' },

    // The recording rules' evaluation interval.
    recordingInterval: '1m',

    // The dashboards: file name -> uid and title.
    dashboards: {
      'ksm-overview.json': { uid: 'ksm-overview', title: 'KSM overview' },
      'ksm-collectd.json': { uid: 'ksm-collectd', title: 'KSM overview (collectd)' },
    },
    dashboardTags: ['ksm', 'kvm', 'memory'],
    dashboardRefresh: '1m',
    dashboardTime: { from: 'now-6h', to: 'now' },
  },
}
